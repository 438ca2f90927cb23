"""Account operations: sign-in, requests and approvals, invitations, passwords, profiles.

Functions here change objects and flush; the caller (view, CLI or job) commits.
"""
import time
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import object_session

from .. import audit, guard, mail
from ..clusters.models import join_public_clusters
from ..errors import DomainError
from ..extensions import db
from ..permissions import NotAllowed, can
from ..timeutil import utcnow
from ..vocabulary import PROGRAM_LABELS, ROLE_LABELS
from .models import (AccountToken, County, User, UserSession, describe_device, normalize_email,
                     verify_password)
from .provides import person_changed

MIN_PASSWORD_LENGTH = 10


class AccountError(DomainError):
    """A request about an account that cannot be carried out; the message is for the person."""


#: How long each app keeps the county list before reading it again. Counties change only through
#: migrations and `flask seed-demo` (missing ones added); the process that changes them forgets
#: its copy at once, other processes and machines see the change within this many seconds.
COUNTY_CACHE_SECONDS = 300

_COUNTIES = "community.accounts.counties"


def counties():
    """Every county as (id, name), by name: one query per app every `COUNTY_CACHE_SECONDS`."""
    cached = current_app.extensions.get(_COUNTIES)
    now = time.monotonic()
    if cached is None or now - cached[0] > COUNTY_CACHE_SECONDS:
        rows = db.session.execute(select(County.id, County.name).order_by(County.name)).all()
        cached = current_app.extensions[_COUNTIES] = (now, tuple((row.id, row.name) for row in rows))
    return cached[1]


def county_choices(blank="Choose a county"):
    return [(0, blank)] + [(county_id, f"{name} County") for county_id, name in counties()]


def _forget_counties(*_):
    if has_app_context():
        current_app.extensions.pop(_COUNTIES, None)


def _county_changed(mapper, connection, county):
    # Forget now (this transaction may read the list again) and when it ends (it may roll back).
    _forget_counties()
    session = object_session(county)
    if session is not None and not session.info.get(_COUNTIES):
        session.info[_COUNTIES] = True
        event.listen(session, "after_commit", _session_ended, once=True)
        event.listen(session, "after_soft_rollback", _session_ended, once=True)


def _session_ended(session, *_):
    session.info.pop(_COUNTIES, None)
    _forget_counties()


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(County, _change, _county_changed)


def authenticate(email, password):
    """The active account with this e-mail and password, or None (one answer for every failure).

    Every outcome costs one password-hash check, so response times do not tell which addresses
    have accounts. Repeated wrong passwords lock the account for a while (`SIGN_IN_LOCK_*`)
    whatever the client's address, and its owner is e-mailed once.
    """
    user = db.session.scalar(User.by_email(email))
    if user is None:
        verify_password(None, password)  # the same work as a real check, then the same answer
        return None
    matches = user.check_password(password)
    if not user.is_active or user.is_sign_in_locked():
        return None
    if not matches:
        config = current_app.config
        limit, minutes = config["SIGN_IN_LOCK_AFTER"], config["SIGN_IN_LOCK_MINUTES"]
        if user.record_failed_sign_in(limit, timedelta(minutes=minutes)):
            mail.send(mail.render_message(
                "account_locked", user, "Sign-in to your Linkages Community account is paused",
                user=user, attempts=limit, minutes=minutes,
                reset_url=_external("accounts.forgot_password"),
            ))
        return None
    user.clear_failed_sign_ins()
    user.last_sign_in_at = utcnow()
    return user


def start_session(user, user_agent=""):
    """Open a server-side session for a signed-in person; returns the secret for the cookie."""
    days = current_app.config["SESSION_LIFETIME_DAYS"]
    return UserSession.start(user, timedelta(days=days), describe_device(user_agent))


def end_session(secret):
    """Sign one browser out: its cookie stops working even if someone kept a copy."""
    UserSession.end(secret)


def live_sessions(user):
    return db.session.scalars(UserSession.live_for(user)).all()


def check_password_strength(password, email=""):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if normalize_email(password) == normalize_email(email):
        raise AccountError("Your password must not be your e-mail address.")


def request_account(name, email, county_id, program, title, note="", confirmed=False):
    """Record a request for an account, for an admin to approve; tell the admins.

    When the address already has an account, the owner is told instead, and the request looks
    the same from outside (no way to learn who has an account).
    """
    guard.screen({"title": title, "note": note}, confirmed)
    email = normalize_email(email)
    existing = db.session.scalar(User.by_email(email))
    if existing is not None and existing.status == "pending":  # asked twice: still being reviewed
        mail.send(mail.render_message(
            "account_pending", existing, "Your Linkages Community account request is being reviewed",
            user=existing))
        return None
    if existing is not None:
        mail.send(mail.render_message(
            "account_exists", existing, "You already have a Linkages Community account",
            user=existing, reset_url=_external("accounts.forgot_password"),
        ))
        return None
    user = User(email=email, name=name.strip(), handle=User.unique_handle(name),
                county_id=county_id or None, program=program, title=title.strip(),
                request_note=(note or "").strip(), status="pending")
    db.session.add(user)
    db.session.flush()
    admins = db.session.scalars(select(User).where(User.role == "admin", User.status == "active"))
    for admin in admins:
        mail.send(mail.render_message(
            "account_requested", admin, f"Account request from {user.name}",
            admin=admin, requester=user, review_url=_external("admin.people", status="pending"),
        ))
    return user


def invite_user(admin, email, name, role="member", county_id=None, program="partner", title=""):
    """Create an invited account and e-mail a link to set a password."""
    _require_admin(admin)
    email = normalize_email(email)
    if db.session.scalar(User.by_email(email)) is not None:
        raise AccountError("Someone with that e-mail address already has an account.")
    if role not in ROLE_LABELS:
        raise AccountError("Choose a role.")
    user = User(email=email, name=name.strip(), handle=User.unique_handle(name), role=role,
                county_id=county_id or None, program=program, title=title.strip(),
                status="invited")
    db.session.add(user)
    db.session.flush()
    _send_invitation(user, inviter=admin)
    audit.record(admin, "account.invite", "user", user.id, f"Invited {user.email} as {role}")
    return user


def _lock_pending(user):
    """Read the person's row afresh under a lock: two admins deciding one request at the same
    moment decide it once (the second is told it is no longer waiting)."""
    db.session.refresh(user, with_for_update={"of": User})


def approve_request(admin, user):
    """Approve a pending request: the person gets a link to set their password."""
    _require_admin(admin)
    _lock_pending(user)
    if user.status != "pending":
        raise AccountError(f"{user.name}'s account is not waiting for approval.")
    user.status = "invited"
    _send_invitation(user, inviter=admin)
    audit.record(admin, "account.approve", "user", user.id, f"Approved {user.email}")


def decline_request(admin, user, reason=""):
    _require_admin(admin)
    _lock_pending(user)
    if user.status != "pending":
        raise AccountError(f"{user.name}'s account is not waiting for approval.")
    user.status = "declined"
    mail.send(mail.render_message(
        "account_declined", user, "Your Linkages Community account request",
        user=user, reason=(reason or "").strip(),
    ))
    audit.record(admin, "account.decline", "user", user.id, f"Declined {user.email}")


def deactivate(admin, user):
    """Deactivate an account: the person cannot sign in, and every session ends now."""
    _require_manage(admin, user)
    user.status = "deactivated"
    user.end_sessions()
    AccountToken.cancel_all(user)  # a reactivated account does not revive old links
    person_changed(user)
    audit.record(admin, "account.deactivate", "user", user.id, f"Deactivated {user.email}")


def reactivate(admin, user):
    _require_manage(admin, user)
    if user.status != "deactivated":
        raise AccountError(f"{user.name}'s account is not deactivated.")
    user.status = "active" if user.password_hash else "invited"
    person_changed(user)
    audit.record(admin, "account.reactivate", "user", user.id, f"Reactivated {user.email}")


def change_role(admin, user, role):
    _require_manage(admin, user)
    if role not in ROLE_LABELS:
        raise AccountError("Choose a role.")
    if role != user.role:
        audit.record(admin, "account.role", "user", user.id,
                     f"Role of {user.email}: {user.role} → {role}")
        user.role = role


def change_county(admin, user, county_id):
    """An administrator moves a person to another county (or none), audited: what they reach of
    county-only content follows at once."""
    _require_manage(admin, user)
    county_id = county_id or None
    if county_id is not None and db.session.get(County, county_id) is None:
        raise AccountError("Choose a county.")
    if county_id != user.county_id:
        before = user.county.name if user.county else "no county"
        user.county_id = county_id
        db.session.flush()
        db.session.refresh(user, ["county"])
        audit.record(admin, "account.county", "user", user.id,
                     f"County of {user.email}: {before} → {user.county.name if user.county else 'no county'}")
        person_changed(user)


def start_password_reset(email):
    """E-mail a reset link if an active account has this address; silent otherwise."""
    user = db.session.scalar(User.by_email(email))
    if user is None or user.status not in ("active", "invited"):
        return None
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    _, secret = AccountToken.issue(user, "reset", timedelta(hours=hours))
    mail.send(mail.render_message(
        "password_reset", user, "Reset your Linkages Community password",
        user=user, hours=hours, url=_external("accounts.reset_password", secret=secret),
    ))
    return user


def token_user(secret, purpose):
    token = AccountToken.find_usable(secret, purpose)
    return token.user if token else None


def set_password_with_token(secret, purpose, password):
    """Use an invitation or reset link once: set the password, activate, end other sessions."""
    token = AccountToken.find_usable(secret, purpose)
    if token is None:
        raise AccountError("This link has expired or has already been used. Ask for a new one.")
    user = token.user
    if user.status not in ("active", "invited"):
        raise AccountError("This account cannot be used. Contact an administrator.")
    check_password_strength(password, user.email)
    user.set_password(password)
    first_time = user.activated_at is None
    user.activate()
    if first_time:  # a new member starts in the announcements cluster
        join_public_clusters(user)
    person_changed(user)
    user.end_sessions()
    user.clear_failed_sign_ins()  # the mailbox owner chose a new password: no more pause
    AccountToken.cancel_all(user)  # this link, and every other invitation or reset link
    return user


def change_password(user, current_password, new_password):
    if not user.check_password(current_password):
        raise AccountError("Your current password is not correct.")
    check_password_strength(new_password, user.email)
    user.set_password(new_password)
    user.end_sessions()
    AccountToken.cancel_all(user)


def update_profile(user, name, title, program, bio, confirmed=False):
    """What a person changes about themselves. Not their county: it decides which county's
    survey responses, assistance requests and county-only content they reach, so an
    administrator sets it (`change_county`), as they approve the account in the first place."""
    guard.screen({"title": title, "bio": bio}, confirmed)
    user.name = name.strip()
    user.title = title.strip()
    if program not in PROGRAM_LABELS:
        raise AccountError("Choose a program.")
    user.program = program
    user.bio = bio.strip()
    person_changed(user)


def create_user(email, name, password, role="member", county_name=None, program="partner",
                title=""):
    """Create an active account directly (CLI and demo data)."""
    email = normalize_email(email)
    if db.session.scalar(User.by_email(email)) is not None:
        raise AccountError(f"{email} already has an account.")
    if role not in ROLE_LABELS:
        raise AccountError(f"unknown role {role!r}")
    check_password_strength(password, email)
    county = None
    if county_name:
        county = db.session.scalar(select(County).where(func.lower(County.name) == county_name.lower()))
    user = User(email=email, name=name, handle=User.unique_handle(name), role=role,
                county=county, program=program, title=title, status="pending")
    user.set_password(password)
    user.activate()
    db.session.add(user)
    db.session.flush()
    person_changed(user)
    return user


def _send_invitation(user, inviter):
    days = current_app.config["INVITATION_DAYS"]
    _, secret = AccountToken.issue(user, "invite", timedelta(days=days))
    mail.send(mail.render_message(
        "invitation", user, "Your invitation to Linkages Community",
        user=user, inviter=inviter, days=days, url=_external("accounts.accept_invitation", secret=secret),
    ))


def _require_admin(actor):
    if not can(actor, "admin"):
        raise NotAllowed("Only administrators manage accounts.")


def _require_manage(actor, user):
    if not can(actor, "manage", user):
        raise NotAllowed("You cannot change this account.")


def _external(endpoint, **values):
    return mail.external_url(endpoint, **values)


def directory(county_slug="", program="", role="", name=""):
    """Active people for the directory, filtered by county, program, site role and part of a name.

    Unknown filter values are ignored rather than refused: the directory is a GET page whose
    address people share and edit by hand. Returns (query, county) — the county for the heading.
    """
    query = select(User).where(User.status == "active").order_by(User.name, User.id)
    county = None
    if county_slug:
        county = db.session.scalar(select(County).where(County.slug == county_slug))
        if county is not None:
            query = query.where(User.county_id == county.id)
    if program in PROGRAM_LABELS:
        query = query.where(User.program == program)
    if role in ROLE_LABELS:
        query = query.where(User.role == role)
    if name.strip():
        query = query.where(User.name_contains(name))
    return query, county
