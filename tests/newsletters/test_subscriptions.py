"""Subscribing: double opt-in over real SMTP, preferences, one-click unsubscribe, members, tokens."""
from urllib.parse import urlparse

from sqlalchemy import select

from community.extensions import db
from newsletters import services, tokens
from newsletters.models import Subscriber
from tests.conftest import text_of


def _path(url):
    return urlparse(url).path


def _link(message, fragment):
    return next(w for w in text_of(message).split() if fragment in w)


def test_double_opt_in_round_trip_over_smtp_records_consent_only_after_the_click(
        app_factory, smtp_server):
    app = app_factory(MAIL_URL=smtp_server.url)
    with app.app_context():
        client = app.test_client()
        response = client.post("/newsletter/subscribe", data={
            "email": "Jordan.Ellis@Placer.example.gov", "name": "Jordan Ellis", "county_id": 0})
        assert "Check your inbox" in response.get_data(as_text=True)
        subscriber = db.session.scalar(Subscriber.by_email("jordan.ellis@placer.example.gov"))
        assert (subscriber.status, subscriber.consent_at) == ("pending", None)

        message = smtp_server.wait_for(1)[0]
        assert message["To"].addresses[0].addr_spec == "jordan.ellis@placer.example.gov"
        assert message["Subject"] == "Confirm your Linkages newsletter subscription"
        link = _path(_link(message, "/newsletter/confirm/"))
        page = client.get(link).get_data(as_text=True)  # as a mail filter opening every link would
        assert "Confirm my subscription" in page and "jordan.ellis@placer.example.gov" in page
        db.session.expire_all()
        assert subscriber.status == "pending"
        assert "You are subscribed" in client.post(link).get_data(as_text=True)
        assert "You are subscribed" in client.get(link).get_data(as_text=True)  # opened again later
        db.session.expire_all()
        assert subscriber.status == "confirmed" and subscriber.consent_at is not None
        assert subscriber.source == "form"


def test_subscribing_an_address_already_on_the_list_reveals_nothing_and_mails_its_owner(
        app, client, make_subscribers, outbox):
    reader = make_subscribers(1)[0]
    response = client.post("/newsletter/subscribe", data={"email": reader.email, "name": "X"})
    assert "Check your inbox" in response.get_data(as_text=True)
    message = outbox.to(reader.email)[-1]
    assert message["Subject"] == "You are already on the Linkages newsletter list"
    assert "/newsletter/preferences/" in text_of(message)
    assert db.session.scalar(select(db.func.count()).select_from(Subscriber)) == 1


def test_the_subscribe_form_keeps_what_was_typed_and_explains_an_invalid_address(app, client):
    response = client.post("/newsletter/subscribe", data={"email": "maria@", "name": "Maria"})
    page = response.get_data(as_text=True)
    assert "Enter an e-mail address like name@county.ca.gov." in page
    assert 'value="Maria"' in page and 'value="maria@"' in page
    assert db.session.scalar(select(db.func.count()).select_from(Subscriber)) == 0


def test_an_expired_or_tampered_confirmation_link_is_refused(app, client, make_subscribers):
    reader = make_subscribers(1, status="pending")[0]
    good = tokens.confirmation_token(reader)
    assert client.get(f"/newsletter/confirm/{good}x").status_code == 410
    assert client.post(f"/newsletter/confirm/{good}x").status_code == 410
    app.config["NEWSLETTER_CONFIRM_DAYS"] = -1
    assert client.get(f"/newsletter/confirm/{good}").status_code == 410
    assert client.post(f"/newsletter/confirm/{good}").status_code == 410
    db.session.expire_all()
    assert reader.status == "pending"


def test_a_subscriber_token_is_signed_per_person_and_useless_for_confirmation(app, make_subscribers):
    first, second = make_subscribers(2)
    token = tokens.subscriber_token(first)
    assert tokens.subscriber_from_token(token) == first
    assert tokens.subscriber_from_token(tokens.subscriber_token(second)) == second
    assert tokens.subscriber_from_confirmation(token) is None  # different salt
    assert tokens.subscriber_from_token(token[:-2] + "xx") is None


def test_the_preference_page_changes_name_and_county_and_pauses(app, client, make_subscribers):
    reader = make_subscribers(1)[0]
    url = _path(services.preferences_url(reader))
    assert "Your newsletter preferences" in client.get(url).get_data(as_text=True)
    county_id = db.session.scalar(select(db.text("id")).select_from(db.text("counties"))
                                  .where(db.text("name = 'Merced'")))
    client.post(url, data={"name": "Rosa Flores", "county_id": county_id, "paused": "y"})
    db.session.expire_all()
    assert (reader.name, reader.county.name, reader.status) == ("Rosa Flores", "Merced", "paused")
    client.post(url, data={"name": "Rosa Flores", "county_id": 0})
    db.session.expire_all()
    assert reader.status == "confirmed" and reader.county_id is None


def test_unsubscribe_get_asks_first_and_the_one_button_post_unsubscribes(app_factory, make_subscribers):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        reader = make_subscribers(1)[0]
        client = app.test_client()
        url = _path(services.unsubscribe_url(reader))
        page = client.get(url).get_data(as_text=True)
        assert "Unsubscribe from the Linkages newsletter?" in page
        assert 'name="List-Unsubscribe" value="One-Click"' in page
        db.session.expire_all()
        assert reader.status == "confirmed"
        assert client.post(url, data={}).status_code == 400  # not the RFC 8058 body
        response = client.post(url, data={"List-Unsubscribe": "One-Click"})
        assert "You are unsubscribed" in response.get_data(as_text=True)
        db.session.expire_all()
        assert reader.status == "unsubscribed" and reader.unsubscribed_at is not None


def test_other_newsletter_forms_still_require_the_csrf_token(app_factory, make_subscribers):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        reader = make_subscribers(1)[0]
        client = app.test_client()
        response = client.post(_path(services.preferences_url(reader)), data={"paused": "y"})
        assert response.status_code == 400
        response = client.post("/newsletter/subscribe", data={"email": "a@b.example.gov", "name": "A"})
        assert response.status_code == 400


def test_the_public_forms_are_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LIMIT_NEWSLETTER_SUBSCRIBE="2 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [client.post("/newsletter/subscribe", data={
            "email": f"n{n}@yolo.example.gov", "name": "N"}).status_code for n in range(3)]
        assert codes == [200, 200, 429]


def test_resubscribing_after_unsubscribing_needs_a_fresh_confirmation(app, client, make_subscribers,
                                                                       outbox):
    reader = make_subscribers(1, status="unsubscribed")[0]
    client.post("/newsletter/subscribe", data={"email": reader.email, "name": "Back Again"})
    db.session.expire_all()
    assert reader.status == "pending"
    assert "/newsletter/confirm/" in text_of(outbox.to(reader.email)[-1])


def test_a_member_subscribes_from_their_profile_without_confirmation(app, client, make_user,
                                                                     sign_in):
    member = make_user(name="Maria Lopez", email="maria.lopez@stanislaus.example.gov")
    other = make_user(name="James Chen")
    sign_in(member)
    page = client.get(f"/people/{member.handle}").get_data(as_text=True)
    assert "Get the newsletter" in page
    assert "Get the newsletter" not in client.get(f"/people/{other.handle}").get_data(as_text=True)
    client.post("/newsletter/me", data={"subscribe": "1"})
    subscriber = db.session.scalar(Subscriber.by_email(member.email))
    assert (subscriber.status, subscriber.source, subscriber.user_id) == ("confirmed", "member", member.id)
    assert "Stop the newsletter" in client.get(f"/people/{member.handle}").get_data(as_text=True)
    client.post("/newsletter/me", data={"subscribe": "0"})
    db.session.expire_all()
    assert subscriber.status == "unsubscribed"


def test_member_toggle_needs_a_signed_in_member(app, client):
    response = client.post("/newsletter/me", data={"subscribe": "1"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
