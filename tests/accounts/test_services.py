"""Account services: requests, approvals, invitations, passwords, deactivation."""
from datetime import timedelta

import pytest

from community.accounts import services
from community.accounts.models import AccountToken, User
from community.audit import AuditEntry
from community.extensions import db
from community.jobs import run_ready
from community.permissions import NotAllowed
from tests.conftest import text_of


def _link(message):
    return next(word for word in text_of(message).split() if word.startswith("http"))


def test_request_account_creates_a_pending_account_and_tells_every_admin(app, make_user, outbox):
    admin = make_user(role="admin")
    services.request_account("Jordan Ellis", "Jordan.Ellis@Placer.example.gov", None, "calworks",
                             "Employment Specialist", "Starting a pilot")
    db.session.commit()
    run_ready()
    user = db.session.scalar(User.by_email("jordan.ellis@placer.example.gov"))
    assert user.status == "pending" and user.handle == "jordan.ellis"
    [message] = outbox.to(admin.email)
    assert "Jordan Ellis" in text_of(message)


def test_request_for_an_existing_address_tells_the_owner_and_creates_nothing(app, make_user, outbox):
    existing = make_user(email="taken@county.example.gov")
    before = db.session.query(User).count()
    assert services.request_account("Someone", "TAKEN@county.example.gov", None, "cws", "x") is None
    db.session.commit()
    run_ready()
    assert db.session.query(User).count() == before
    [message] = outbox.to(existing.email)
    assert "already have one" in text_of(message)


def test_a_request_sent_again_while_the_first_is_reviewed_says_so_and_offers_no_dead_end(app, make_user, outbox):
    make_user(role="admin")
    services.request_account("Sam Ortiz", "sam.ortiz@kern.example.gov", None, "cws", "Analyst")
    db.session.commit()
    assert services.request_account("Sam Ortiz", "Sam.Ortiz@kern.example.gov", None, "cws", "Analyst") is None
    db.session.commit()
    run_ready()
    [message] = outbox.to("sam.ortiz@kern.example.gov")
    assert message["Subject"] == "Your Linkages Community account request is being reviewed"
    assert "/password/" not in text_of(message) and "already with the administrators" in text_of(message)
    assert db.session.query(User).filter_by(email="sam.ortiz@kern.example.gov").count() == 1


def test_approving_a_request_sends_a_single_use_link_that_activates_the_account(app, make_user, outbox):
    admin = make_user(role="admin")
    user = services.request_account("Priya Desai", "priya@yolo.example.gov", None, "cws", "SW III")
    services.approve_request(admin, user)
    db.session.commit()
    run_ready()
    link = _link(outbox.to("priya@yolo.example.gov")[-1])
    secret = link.rsplit("/", 1)[1]
    assert services.token_user(secret, "invite") == user
    services.set_password_with_token(secret, "invite", "a long enough password")
    db.session.commit()
    assert user.status == "active" and user.check_password("a long enough password")
    with pytest.raises(services.AccountError):
        services.set_password_with_token(secret, "invite", "another long password")
    assert db.session.query(AuditEntry).filter_by(action="account.approve").count() == 1


def test_members_cannot_approve_requests(app, make_user):
    member = make_user()
    user = services.request_account("Priya Desai", "priya@yolo.example.gov", None, "cws", "SW III")
    with pytest.raises(NotAllowed):
        services.approve_request(member, user)


def test_declining_a_request_tells_the_person_with_the_reason(app, make_user, outbox):
    admin = make_user(role="admin")
    user = services.request_account("Pat Doe", "pat@example.org", None, "partner", "Consultant")
    services.decline_request(admin, user, "This intranet is for county staff.")
    db.session.commit()
    run_ready()
    assert user.status == "declined"
    assert "for county staff" in text_of(outbox.to("pat@example.org")[-1])


def test_invitation_refuses_an_address_that_has_an_account(app, make_user):
    admin = make_user(role="admin")
    make_user(email="someone@county.example.gov")
    with pytest.raises(services.AccountError):
        services.invite_user(admin, "someone@county.example.gov", "Someone")


def test_reset_tokens_expire(app, make_user):
    user = make_user()
    token, secret = AccountToken.issue(user, "reset", timedelta(hours=-1))
    db.session.commit()
    assert services.token_user(secret, "reset") is None
    with pytest.raises(services.AccountError):
        services.set_password_with_token(secret, "reset", "brand new password")


def test_using_one_reset_link_voids_every_other_outstanding_link(app, make_user):
    user = make_user()
    _, first = AccountToken.issue(user, "reset", timedelta(hours=1))
    _, second = AccountToken.issue(user, "reset", timedelta(hours=1))
    db.session.commit()
    services.set_password_with_token(second, "reset", "brand new password")
    db.session.commit()
    assert services.token_user(first, "reset") is None


def test_reset_for_an_unknown_address_sends_nothing(app, outbox):
    assert services.start_password_reset("nobody@example.org") is None
    db.session.commit()
    run_ready()
    assert outbox.messages() == []


def test_short_passwords_are_refused(app, make_user):
    user = make_user()
    with pytest.raises(services.AccountError):
        services.change_password(user, "correct horse battery", "short")


def test_deactivation_ends_sessions_and_blocks_sign_in(app, make_user):
    admin, user = make_user(role="admin"), make_user()
    services.start_session(user, "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0")
    services.start_session(user, "Mozilla/5.0 (iPhone) Safari/604.1")
    db.session.commit()
    assert len(services.live_sessions(user)) == 2
    services.deactivate(admin, user)
    db.session.commit()
    assert services.live_sessions(user) == []
    assert services.authenticate(user.email, "correct horse battery") is None


def test_admins_cannot_deactivate_or_demote_themselves(app, make_user):
    admin = make_user(role="admin")
    with pytest.raises(NotAllowed):
        services.deactivate(admin, admin)
    with pytest.raises(NotAllowed):
        services.change_role(admin, admin, "member")


def test_role_changes_are_audited(app, make_user):
    admin, user = make_user(role="admin"), make_user()
    services.change_role(admin, user, "organizer")
    db.session.commit()
    entry = db.session.query(AuditEntry).filter_by(action="account.role").one()
    assert entry.target_id == user.id and "member → organizer" in entry.summary


def test_handles_are_unique(app, make_user):
    first = make_user(name="Maria Lopez")
    second = make_user(name="Maria Lopez")
    assert (first.handle, second.handle) == ("maria.lopez", "maria.lopez2")
