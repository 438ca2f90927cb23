"""Sign-in against guessing: the same work for every outcome, and a per-account lock."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from community.accounts import models, services
from community.accounts.models import User
from community.extensions import db
from community.timeutil import utcnow
from tests.conftest import text_of

PASSWORD = "correct horse battery"


@pytest.fixture
def hasher_calls(monkeypatch):
    """Counts of password-hash checks and of new hashes made while the test runs."""
    models.stand_in_password_hash(models.password_hash_method())  # made once, before counting starts
    calls = {"check": 0, "generate": 0}
    real_check, real_generate = models.check_password_hash, models.generate_password_hash

    def check(*args, **kwargs):
        calls["check"] += 1
        return real_check(*args, **kwargs)

    def generate(*args, **kwargs):
        calls["generate"] += 1
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(models, "check_password_hash", check)
    monkeypatch.setattr(models, "generate_password_hash", generate)
    return calls


@pytest.fixture
def people(app, make_user):
    """One account in each state sign-in must refuse or accept."""
    admin = make_user(role="admin", email="admin@county.example.gov")
    active = make_user(email="active@county.example.gov")
    gone = make_user(email="gone@county.example.gov")
    services.deactivate(admin, gone)
    services.request_account("Pat Pending", "pending@county.example.gov", None, "cws", "SW")
    invited = services.invite_user(admin, "invited@county.example.gov", "Ivy Invited")
    db.session.commit()
    return {"active": active, "deactivated": gone, "invited": invited}


def _attempt(client, email, password, address="198.51.100.7"):
    return client.post("/sign-in", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _answer(response, email):
    """The page with the echoed address taken out: what tells one outcome from another."""
    return response.get_data(as_text=True).replace(email, "EMAIL")


@pytest.mark.parametrize("email, password", [
    ("nobody@county.example.gov", PASSWORD),            # no such account
    ("pending@county.example.gov", PASSWORD),           # asked for an account, no password yet
    ("invited@county.example.gov", PASSWORD),           # invited, no password yet
    ("gone@county.example.gov", PASSWORD),              # deactivated, right password
    ("active@county.example.gov", "a wrong password"),  # wrong password
    ("active@county.example.gov", PASSWORD),            # success
])
def test_every_sign_in_outcome_checks_exactly_one_password_hash(client, people, hasher_calls,
                                                                email, password):
    _attempt(client, email, password)
    assert hasher_calls == {"check": 1, "generate": 0}


def test_every_refused_sign_in_gets_the_same_page_whatever_the_reason(client, people):
    answers = {_answer(_attempt(client, email, password), email) for email, password in [
        ("nobody@county.example.gov", PASSWORD), ("pending@county.example.gov", PASSWORD),
        ("invited@county.example.gov", PASSWORD), ("gone@county.example.gov", PASSWORD),
        ("active@county.example.gov", "a wrong password")]}
    assert len(answers) == 1
    assert "do not match an active account" in answers.pop()


@pytest.fixture
def lock_after_three(app_factory):
    application = app_factory(SIGN_IN_LOCK_AFTER=3, SIGN_IN_LOCK_MINUTES=15)
    with application.app_context():
        yield application


def test_repeated_wrong_passwords_lock_the_account_from_every_address_and_tell_its_owner_once(
        lock_after_three, make_user, outbox, hasher_calls):
    app = lock_after_three
    user = make_user(email="target@county.example.gov")
    client = app.test_client()
    for n in range(3):
        _attempt(client, user.email, "guess number %d" % n, address=f"203.0.113.{n}")
    locked = _attempt(app.test_client(), user.email, PASSWORD, address="192.0.2.55")
    assert locked.status_code == 200 and "do not match an active account" in locked.get_data(as_text=True)
    for n in range(5):
        _attempt(client, user.email, "more guessing %d" % n, address=f"203.0.113.{10 + n}")
    [notice] = outbox.to(user.email)
    body = text_of(notice)
    assert "paused for 15 minutes" in body
    assert "http://community.test/password/forgot" in body
    assert hasher_calls["check"] == 9  # the locked account still costs a full check each time


def test_a_locked_account_gets_the_same_answer_as_an_unknown_address(lock_after_three, make_user):
    app = lock_after_three
    user = make_user(email="target@county.example.gov")
    client = app.test_client()
    for _ in range(3):
        _attempt(client, user.email, "wrong")
    locked = _answer(_attempt(client, user.email, PASSWORD), user.email)
    unknown = _answer(_attempt(client, "nobody@county.example.gov", PASSWORD), "nobody@county.example.gov")
    assert locked == unknown


def test_the_lock_lifts_after_its_time_and_a_good_sign_in_clears_the_count(lock_after_three, make_user):
    app = lock_after_three
    user = make_user()
    client = app.test_client()
    for _ in range(3):
        _attempt(client, user.email, "wrong")
    assert _attempt(client, user.email, PASSWORD).status_code == 200
    past = utcnow() - timedelta(minutes=16)
    db.session.execute(update(User).values(sign_in_locked_until=past, failed_sign_ins_since=past))
    db.session.commit()
    assert _attempt(client, user.email, PASSWORD).status_code == 302
    db.session.refresh(user)
    assert (user.failed_sign_ins, user.sign_in_locked_until) == (0, None)


def test_failures_spread_over_more_than_the_window_do_not_lock(lock_after_three, make_user):
    app = lock_after_three
    user = make_user()
    client = app.test_client()
    for _ in range(2):
        _attempt(client, user.email, "wrong")
    db.session.execute(update(User).values(failed_sign_ins_since=utcnow() - timedelta(minutes=20)))
    db.session.commit()
    for _ in range(2):
        _attempt(client, user.email, "wrong")
    assert _attempt(client, user.email, PASSWORD).status_code == 302


def test_choosing_a_new_password_by_e_mail_ends_the_lock(lock_after_three, make_user, outbox):
    app = lock_after_three
    user = make_user()
    client = app.test_client()
    for _ in range(3):
        _attempt(client, user.email, "wrong")
    client.post("/password/forgot", data={"email": user.email})
    link = next(w for w in text_of(outbox.to(user.email)[-1]).split() if "/password/reset/" in w)
    client.post(link.split("community.test", 1)[1],
                data={"password": "a brand new password", "confirm": "a brand new password"})
    client.post("/sign-out")
    assert _attempt(client, user.email, "a brand new password").status_code == 302


def test_simultaneous_failures_on_postgresql_all_count_and_send_one_notice(
        lock_after_three, backend, make_user, outbox):
    if backend != "postgresql":
        pytest.skip("row locks are what this checks; SQLite runs one writer at a time")
    app = lock_after_three
    user = make_user()
    email, attempts, barrier, codes = user.email, 8, threading.Barrier(8), []

    def fail(n):
        client = app.test_client()
        barrier.wait()
        codes.append(_attempt(client, email, f"wrong {n}", address=f"203.0.113.{n}").status_code)

    threads = [threading.Thread(target=fail, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.refresh(user)
    assert codes == [200] * attempts
    assert user.failed_sign_ins == attempts and user.is_sign_in_locked()
    assert len(outbox.to(user.email)) == 1
