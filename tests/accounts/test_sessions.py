"""Server-side sessions: a copied cookie dies with sign-out, password changes and deactivation."""
from datetime import timedelta

from sqlalchemy import select, update

from community.accounts import services
from community.accounts.models import UserSession
from community.extensions import db
from community.timeutil import utcnow

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def _signed_in_client(app, user, user_agent=FIREFOX):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD},
                           headers={"User-Agent": user_agent})
    assert response.status_code == 302
    return client


def _cookie(client, app):
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def _client_with_cookie(app, value):
    """A different browser that presents a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), value)
    return thief


def _is_signed_in(client):
    return client.get("/people").status_code == 200


def test_a_session_cookie_copied_before_sign_out_does_not_work_after_it(app, make_user):
    user = make_user()
    browser = _signed_in_client(app, user)
    copy = _cookie(browser, app)
    assert _is_signed_in(_client_with_cookie(app, copy))
    browser.post("/sign-out")
    assert not _is_signed_in(browser)
    assert not _is_signed_in(_client_with_cookie(app, copy))
    assert db.session.scalars(select(UserSession)).all() == []


def test_signing_out_in_one_browser_leaves_the_persons_other_browsers_signed_in(app, make_user):
    user = make_user()
    laptop, phone = _signed_in_client(app, user), _signed_in_client(app, user, IPHONE)
    laptop.post("/sign-out")
    assert not _is_signed_in(laptop) and _is_signed_in(phone)


def test_changing_the_password_ends_every_other_session_and_copied_cookies_but_not_this_one(
        app, make_user):
    user = make_user()
    laptop, phone = _signed_in_client(app, user), _signed_in_client(app, user, IPHONE)
    copy = _cookie(laptop, app)
    response = laptop.post("/account/password", data={
        "current_password": PASSWORD, "password": "another good password",
        "confirm": "another good password"})
    assert response.status_code == 302
    assert _is_signed_in(laptop)
    assert not _is_signed_in(phone)
    assert not _is_signed_in(_client_with_cookie(app, copy))  # the laptop got a new session
    assert len(services.live_sessions(user)) == 1


def test_resetting_the_password_by_e_mail_ends_every_session(app, make_user, outbox):
    from tests.conftest import text_of

    user = make_user()
    phone = _signed_in_client(app, user, IPHONE)
    services.start_password_reset(user.email)
    db.session.commit()
    from community.jobs import run_ready

    run_ready()
    link = next(w for w in text_of(outbox.to(user.email)[-1]).split() if "/password/reset/" in w)
    other = app.test_client()
    other.post(link.split("community.test", 1)[1],
               data={"password": "a brand new password", "confirm": "a brand new password"})
    assert _is_signed_in(other)
    assert not _is_signed_in(phone)


def test_an_admin_deactivating_an_account_ends_its_sessions_and_copied_cookies(app, make_user):
    admin, user = make_user(role="admin"), make_user()
    browser = _signed_in_client(app, user)
    copy = _cookie(browser, app)
    admin_browser = _signed_in_client(app, admin)
    assert admin_browser.post(f"/admin/people/{user.id}/deactivate").status_code == 302
    assert not _is_signed_in(browser)
    assert not _is_signed_in(_client_with_cookie(app, copy))
    assert services.live_sessions(user) == []
    # Reactivation does not bring an old cookie back to life.
    services.reactivate(admin, user)
    db.session.commit()
    assert not _is_signed_in(_client_with_cookie(app, copy))


def test_sign_out_everywhere_ends_copied_cookies_of_every_device(app, make_user):
    user = make_user()
    laptop, phone = _signed_in_client(app, user), _signed_in_client(app, user, IPHONE)
    copies = [_cookie(laptop, app), _cookie(phone, app)]
    laptop.post("/account/sign-out-everywhere")
    assert not _is_signed_in(laptop) and not _is_signed_in(phone)
    assert not any(_is_signed_in(_client_with_cookie(app, copy)) for copy in copies)


def test_a_session_ends_when_its_lifetime_is_over_even_if_the_cookie_is_kept(app, make_user):
    user = make_user()
    browser = _signed_in_client(app, user)
    session = db.session.scalar(select(UserSession))
    assert session.expires_at - session.created_at == timedelta(days=app.config["SESSION_LIFETIME_DAYS"])
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not _is_signed_in(browser)


def test_the_session_lifetime_setting_sets_the_sessions_the_cookie_and_the_csrf_tokens(app_factory):
    app = app_factory(SESSION_LIFETIME_DAYS=3)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=3)
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 3 * 24 * 3600


def test_a_forged_cookie_naming_a_made_up_session_or_an_old_style_id_signs_no_one_in(app, make_user):
    user = make_user()
    _signed_in_client(app, user)
    serializer = app.session_interface.get_signing_serializer(app)
    for forged_id in ("made-up-token", f"{user.id}:1", str(user.id),
                      db.session.scalar(select(UserSession.id))):  # the stored hash is not the secret
        forged = serializer.dumps({"_user_id": forged_id, "_fresh": True})
        assert not _is_signed_in(_client_with_cookie(app, forged)), forged_id


def test_sessions_hold_across_two_web_nodes_sharing_the_database(app_factory, make_user):
    node_a, node_b = app_factory(), app_factory()
    with node_a.app_context():
        user = make_user()
        browser = _signed_in_client(node_a, user)
    copy = _cookie(browser, node_a)
    on_b = _client_with_cookie(node_b, copy)
    with node_b.app_context():
        assert _is_signed_in(on_b)
    with node_a.app_context():
        browser.post("/sign-out")
    with node_b.app_context():
        assert not _is_signed_in(on_b)


def test_last_seen_is_written_at_most_every_few_minutes(app, make_user):
    user = make_user()
    browser = _signed_in_client(app, user)
    long_ago = utcnow() - timedelta(hours=1)
    db.session.execute(update(UserSession).values(last_seen_at=long_ago))
    db.session.commit()
    browser.get("/people")
    db.session.expire_all()
    seen = db.session.scalar(select(UserSession.last_seen_at))
    assert seen > long_ago + timedelta(minutes=30)
    browser.get("/people")  # a minute later would not write again
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == seen


def test_the_profile_page_lists_the_persons_devices_and_marks_this_one(app, make_user):
    user, other = make_user(), make_user()
    laptop = _signed_in_client(app, user)
    _signed_in_client(app, user, IPHONE)
    _signed_in_client(app, other, "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36")
    page = laptop.get("/account/profile").get_data(as_text=True)
    assert "Firefox on Windows <strong>(this device)</strong>" in page
    assert "Safari on iPhone" in page
    assert "Chrome on Linux" not in page  # someone else's session
    assert "Sign out on every device" in page


def test_signing_in_tidies_away_expired_sessions(app, make_user):
    user = make_user()
    _signed_in_client(app, user)
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    _signed_in_client(app, user)
    assert len(db.session.scalars(select(UserSession)).all()) == 1
