"""People, counties, their sign-in sessions and the single-use tokens sent to them by e-mail."""
import functools
import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (ForeignKey, Integer, String, Text, and_, bindparam, case, delete, func, or_, select,
                        true, update)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow
from ..vocabulary import PROGRAM_LABELS, ROLE_LABELS

log = logging.getLogger(__name__)


class County(db.Model):
    """One of California's 58 counties."""

    __tablename__ = "counties"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Display name without "County" ("Los Angeles").
    name: Mapped[str] = mapped_column(String(60), unique=True)
    #: URL and search key ("los-angeles").
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    #: Whether the county takes part in Linkages.
    is_linkages: Mapped[bool] = mapped_column(default=False)
    #: The year the county joined Linkages, when it has.
    linkages_since: Mapped[int | None]

    def __str__(self):
        return f"{self.name} County"

    @staticmethod
    def slugify(name):
        return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class User(UserMixin, db.Model):
    """A person with an account: county staff, CFPIC staff or a partner."""

    __tablename__ = "users"

    STATUSES = ("pending", "invited", "active", "declined", "deactivated")

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased sign-in address.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Unique handle used for @mentions and profile URLs.
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    #: Job title ("CalWORKs Program Manager").
    title: Mapped[str] = mapped_column(String(120), default="")
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    #: One of vocabulary.PROGRAMS.
    program: Mapped[str] = mapped_column(String(20), default="partner")
    #: admin, organizer or member.
    role: Mapped[str] = mapped_column(String(20), default="member")
    #: pending (asked for an account), invited, active, declined or deactivated.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: A short note about oneself shown on the profile.
    bio: Mapped[str] = mapped_column(Text, default="")
    #: When the person hid the getting-started checklist on the home page (None: still shown).
    checklist_hidden_at: Mapped[datetime | None]
    #: Why they asked for an account (shown to the approving admin).
    request_note: Mapped[str] = mapped_column(Text, default="")
    #: Failed sign-ins in the current window (see `record_failed_sign_in`).
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    #: When the current window of failed sign-ins began.
    failed_sign_ins_since: Mapped[datetime | None]
    #: Sign-in refused until then, whatever the password (too many failures).
    sign_in_locked_until: Mapped[datetime | None]
    #: When the owner was last told of a lock (at most one notice a day).
    sign_in_lock_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]

    county: Mapped[County | None] = relationship(lazy="joined")

    def __str__(self):
        return self.name

    #: The secret of the browser session this object was loaded for (not stored on the user).
    session_token = None

    # Flask-Login: the id in the cookie is the secret of one row of `user_sessions`.
    def get_id(self):
        if not self.session_token:
            raise RuntimeError("start a session (UserSession.start) before signing a person in")
        return self.session_token

    def __eq__(self, other):
        """The same person, whichever session (if any) each object was loaded for."""
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = UserMixin.__hash__

    @property
    def is_active(self):
        return self.status == "active"

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_organizer(self):
        return self.role in ("admin", "organizer")

    @property
    def program_label(self):
        return PROGRAM_LABELS.get(self.program, self.program)

    @property
    def role_label(self):
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def initials(self):
        parts = [p for p in self.name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password):
        return verify_password(self.password_hash, password)

    def end_sessions(self):
        """End every signed-in session of this person, on every device, now."""
        UserSession.end_all(self)

    def is_sign_in_locked(self, now=None):
        return bool(self.sign_in_locked_until) and self.sign_in_locked_until > (now or utcnow())

    def record_failed_sign_in(self, limit, window: timedelta):
        """Count a failed sign-in; return True when the owner should be told of a lock now.

        Each step is one conditional UPDATE, so concurrent failures on several web nodes are all
        counted, one of them starts the lock, and the owner is told at most once a day.
        """
        now = utcnow()
        table = type(self)
        db.session.execute(
            update(table).where(table.id == self.id).values(
                failed_sign_ins=case((table.failed_sign_ins_since > now - window,
                                      table.failed_sign_ins + 1), else_=1),
                failed_sign_ins_since=case((table.failed_sign_ins_since > now - window,
                                            table.failed_sign_ins_since), else_=now),
            ).execution_options(synchronize_session=False))
        locked = db.session.execute(
            update(table).where(
                table.id == self.id, table.failed_sign_ins >= limit,
                or_(table.sign_in_locked_until.is_(None), table.sign_in_locked_until <= now),
            ).values(sign_in_locked_until=now + window).execution_options(synchronize_session=False))
        notify = False
        if locked.rowcount == 1:
            notify = db.session.execute(
                update(table).where(table.id == self.id, or_(
                    table.sign_in_lock_notified_at.is_(None),
                    table.sign_in_lock_notified_at <= now - timedelta(days=1),
                )).values(sign_in_lock_notified_at=now).execution_options(synchronize_session=False)
            ).rowcount == 1
        db.session.expire(self, ["failed_sign_ins", "failed_sign_ins_since", "sign_in_locked_until",
                                 "sign_in_lock_notified_at"])
        return notify

    def clear_failed_sign_ins(self):
        self.failed_sign_ins = 0
        self.failed_sign_ins_since = None
        self.sign_in_locked_until = None

    def activate(self):
        if self.status not in ("pending", "invited", "deactivated", "active"):
            raise ValueError(f"cannot activate an account that is {self.status}")
        self.status = "active"
        self.activated_at = self.activated_at or utcnow()

    @classmethod
    def name_contains(cls, text):
        """A condition: the name holds every word typed (any case; % and _ are plain characters)."""
        words = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in text.split()[:5]]
        return and_(true(), *[func.lower(cls.name).like(f"%{w.lower()}%", escape="\\") for w in words])

    @classmethod
    def by_email(cls, email):
        return select(cls).where(cls.email == normalize_email(email))

    @classmethod
    def unique_handle(cls, name):
        """A free handle derived from the name ("Maria Lopez" -> "maria.lopez", "maria.lopez2")."""
        base = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")[:32] or "member"
        taken = set(db.session.scalars(select(cls.handle).where(cls.handle.like(f"{base}%"))))
        handle, n = base, 1
        while handle in taken:
            n += 1
            handle = f"{base}{n}"
        return handle

    @classmethod
    def recent_members(cls, limit=8):
        return (
            select(cls)
            .where(cls.status == "active")
            .order_by(cls.activated_at.desc(), cls.id.desc())
            .limit(limit)
        )

    @classmethod
    def recent_members_and_total(cls, limit=8):
        """`recent_members` rows (User, total), total being every active member: one query."""
        return cls.recent_members(limit).add_columns(func.count().over().label("total"))

    @classmethod
    def count_active(cls):
        return select(func.count()).select_from(cls).where(cls.status == "active")


def password_hash_method():
    return current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"


@functools.cache
def stand_in_password_hash(method):
    """A hash of a random password, made once per process and method with the real parameters.

    Checking against it costs what checking a real password costs, so the time a sign-in takes
    does not tell an unknown or password-less address from a wrong password.
    """
    return generate_password_hash(secrets.token_urlsafe(24), method=method)


def verify_password(password_hash, password):
    """Whether `password` matches `password_hash`; one hash check even when there is no hash."""
    matches = check_password_hash(password_hash or stand_in_password_hash(password_hash_method()),
                                  password or "")
    return bool(password_hash) and matches


def normalize_email(email):
    return (email or "").strip().lower()


class AccountToken(db.Model):
    """A single-use, expiring secret sent by e-mail (invitation or password reset).

    Only a hash of the secret is stored, so a database leak does not leak working links.
    """

    __tablename__ = "account_tokens"

    PURPOSES = ("invite", "reset")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: invite or reset.
    purpose: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the secret in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    #: Set when the link is used; a used token never works again.
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(secret):
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, user, purpose, lifetime: timedelta):
        """Create a token and return (token, secret); the secret goes into the e-mailed link."""
        if purpose not in cls.PURPOSES:
            raise ValueError(purpose)
        secret = secrets.token_urlsafe(32)
        token = cls(user=user, purpose=purpose, token_hash=cls.hash(secret),
                    expires_at=utcnow() + lifetime)
        db.session.add(token)
        return token, secret

    @classmethod
    def cancel_all(cls, user):
        """Every unused link of this person, of every purpose, stops working: once a password is
        set or changed, an older (perhaps forwarded) invitation or reset e-mail must not set
        another one."""
        db.session.execute(update(cls).where(cls.user_id == user.id, cls.used_at.is_(None))
                           .values(used_at=utcnow()).execution_options(synchronize_session="fetch"))

    @classmethod
    def find_usable(cls, secret, purpose):
        """The unused, unexpired token for this secret, or None."""
        return db.session.scalar(
            select(cls).where(
                cls.token_hash == cls.hash(secret or ""),
                cls.purpose == purpose,
                cls.used_at.is_(None),
                cls.expires_at > utcnow(),
            )
        )


class UserSession(db.Model):
    """One signed-in browser. The cookie carries a secret; only its hash is stored here.

    Signing out deletes the row, so a copied cookie stops working; the check is against this
    table, so it holds across several web nodes.
    """

    __tablename__ = "user_sessions"

    #: How often, at most, `last_seen_at` is written (keeps page views read-only).
    TOUCH_EVERY = timedelta(minutes=5)

    #: SHA-256 of the secret in the session cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Last request, to within `TOUCH_EVERY`.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Absolute end of the session (SESSION_LIFETIME_DAYS after sign-in).
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: "Firefox on Windows": enough for a person to recognise the device, no more.
    device: Mapped[str] = mapped_column(String(80), default="")

    user: Mapped[User] = relationship(lazy="raise")

    @staticmethod
    def hash(secret):
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def start(cls, user, lifetime: timedelta, device=""):
        """Open a session for `user` and return its secret (also set as `user.session_token`)."""
        now = utcnow()
        db.session.execute(delete(cls).where(cls.expires_at <= now))  # tidy up as we go
        secret = secrets.token_urlsafe(32)
        db.session.add(cls(id=cls.hash(secret), user_id=user.id, created_at=now,
                           last_seen_at=now, expires_at=now + lifetime, device=device[:80]))
        user.session_token = secret
        return secret

    @classmethod
    def find_live(cls, secret):
        """The unexpired session for this secret, or None: a row of its person (`User`, loaded),
        its `id` and when it was `last_seen_at` (the session itself is not loaded as an object:
        every signed-in request asks, and the person is all it needs)."""
        if not secret:
            return None
        return db.session.execute(_live_session(), {"id": cls.hash(secret), "now": utcnow()}).one_or_none()

    @classmethod
    def end(cls, secret):
        db.session.execute(delete(cls).where(cls.id == cls.hash(secret or "")))

    @classmethod
    def end_all(cls, user):
        db.session.execute(delete(cls).where(cls.user_id == user.id))

    @classmethod
    def live_for(cls, user):
        """This person's open sessions, most recently used first."""
        return (select(cls).where(cls.user_id == user.id, cls.expires_at > utcnow())
                .order_by(cls.last_seen_at.desc()))

    @classmethod
    def needs_touch(cls, last_seen_at, now):
        return now - last_seen_at >= cls.TOUCH_EVERY

    @classmethod
    def record_activity(cls, session_id, now):
        """Write `last_seen_at` in its own short transaction, leaving the request's untouched."""
        try:
            with db.engine.begin() as connection:
                connection.execute(update(cls).where(cls.id == session_id).values(last_seen_at=now))
        except SQLAlchemyError:  # a missed "last seen" must never cost the page
            log.warning("could not record session activity", exc_info=True)


#: Facts about the person that nearly every signed-in page reads (their unread notifications,
#: their clusters), read in the statement that finds their session rather than one statement each
#: — on PostgreSQL each statement is a round trip. name -> (column(person_id) giving a scalar
#: subquery, receive(user, value) keeping it for the request). Areas add theirs with
#: `read_with_session` when imported.
_SESSION_FACTS = {}


def read_with_session(name, column, receive):
    """Read `column(User.id)` with every signed-in request's session and hand it to
    `receive(user, value)` once the person is loaded (`received_with_session`)."""
    _SESSION_FACTS[name] = (column, receive)
    _live_session.cache_clear()


def received_with_session(user, row):
    """Give each fact read with the session (a `find_live` row) to its area."""
    for name, (_, receive) in _SESSION_FACTS.items():
        receive(user, getattr(row, name))


@functools.lru_cache(maxsize=1)
def _live_session():
    """The unexpired session `:id` with its person and the facts read with it: built once, as
    every signed-in request asks."""
    facts = [column(User.id).label(name) for name, (column, _) in _SESSION_FACTS.items()]
    return (select(User, UserSession.id, UserSession.last_seen_at, *facts)
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.id == bindparam("id"), UserSession.expires_at > bindparam("now")))


def describe_device(user_agent):
    """A short "Browser on System" summary of a User-Agent header."""
    agent = user_agent or ""
    browser = next((name for marker, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"), ("Safari/", "Safari")) if marker in agent), "")
    system = next((name for marker, name in (
        ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
        ("Windows", "Windows"), ("Macintosh", "macOS"), ("Linux", "Linux")) if marker in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
