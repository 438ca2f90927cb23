"""The audit log: who did what to whom, for admin and moderator actions."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts.models import User
from .extensions import db
from .timeutil import utcnow


class AuditEntry(db.Model):
    """One recorded administrative or moderation act."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Dotted verb, e.g. "account.approve", "thread.lock".
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: Kind and id of what was acted on ("user", 12).
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    #: A short human summary; never client data.
    summary: Mapped[str] = mapped_column(Text, default="")
    #: The cluster concerned, for moderation acts (lets facilitators' acts be filtered).
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))

    actor: Mapped[User | None] = relationship(lazy="joined")

    @classmethod
    def latest(cls):
        return select(cls).order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def about(cls, targets, actions):
        """Entries with one of `actions` on one of `targets` ((type, id) pairs), newest first."""
        return cls.latest().where(cls.action.in_(actions), or_(*[
            (cls.target_type == kind) & (cls.target_id == ident) for kind, ident in targets]))


def record(actor, action, target_type, target_id=None, summary="", cluster_id=None):
    """Add an audit entry to the session; the caller's transaction commits it."""
    entry = AuditEntry(actor_id=getattr(actor, "id", None), action=action,
                       target_type=target_type, target_id=target_id, summary=summary,
                       cluster_id=cluster_id)
    db.session.add(entry)
    return entry
