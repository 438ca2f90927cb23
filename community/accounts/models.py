"""People, counties and the single-use tokens that invite them or reset passwords."""
import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow
from ..vocabulary import PROGRAM_LABELS, ROLE_LABELS


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
    #: Why they asked for an account (shown to the approving admin).
    request_note: Mapped[str] = mapped_column(Text, default="")
    #: Raised to end every session of this person (password change, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]

    county: Mapped[County | None] = relationship(lazy="joined")

    def __str__(self):
        return self.name

    # Flask-Login: the id carries the session version so old sessions stop matching.
    def get_id(self):
        return f"{self.id}:{self.session_version}"

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
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self):
        """Invalidate every signed-in session of this person."""
        self.session_version = (self.session_version or 1) + 1

    def activate(self):
        if self.status not in ("pending", "invited", "deactivated", "active"):
            raise ValueError(f"cannot activate an account that is {self.status}")
        self.status = "active"
        self.activated_at = self.activated_at or utcnow()

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
    def count_active(cls):
        return select(func.count()).select_from(cls).where(cls.status == "active")


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
