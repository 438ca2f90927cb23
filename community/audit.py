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


#: How each recorded act reads in the audit log. An act missing here still reads as words
#: ("thread.redact_title" → "Thread: redact title"), so a new act never shows as code.
ACTION_LABELS = {
    "account.approve": "Approved an account request",
    "account.decline": "Declined an account request",
    "account.invite": "Invited someone",
    "account.deactivate": "Deactivated an account",
    "account.reactivate": "Reactivated an account",
    "account.role": "Changed a site role",
    "account.county": "Moved someone to another county",
    "assistance.ask": "Asked for technical assistance",
    "assistance.triage": "Triaged an assistance request",
    "cluster.create": "Created a cluster",
    "cluster.update": "Changed a cluster's settings",
    "cluster.set_role": "Changed a member's cluster role",
    "cluster.remove_member": "Removed a member from a cluster",
    "event.create": "Created an event",
    "event.publish": "Published an event",
    "event.cancel": "Cancelled an event",
    "flag.dismiss": "Dismissed a flag",
    "newsletter.import": "Imported subscribers",
    "newsletter.schedule": "Scheduled a newsletter",
    "newsletter.unschedule": "Unscheduled a newsletter",
    "newsletter.send": "Sent a newsletter",
    "post.edit": "Edited someone's post",
    "post.hide": "Hid a post",
    "post.unhide": "Showed a hidden post again",
    "post.delete": "Deleted a post",
    "post.redact": "Redacted a post",
    "resource.share": "Shared a resource",
    "resource.new_version": "Uploaded a new version of a resource",
    "resource.delete": "Deleted a resource",
    "resource.guard_confirm": "Confirmed a held upload",
    "survey.create": "Created a survey",
    "survey.round_create": "Added a survey round",
    "survey.round_open": "Opened a survey round",
    "survey.round_close": "Closed a survey round",
    "thread.move": "Moved a thread",
    "thread.lock": "Locked a thread",
    "thread.unlock": "Unlocked a thread",
    "thread.redact_title": "Redacted a thread title",
    "toolkit.add": "Added an item to the Toolkit",
    "toolkit.remove": "Removed an item from the Toolkit",
    "toolkit.introduction": "Edited a Toolkit introduction",
}

#: The part of the site an act belongs to, by its first word.
AREA_LABELS = {
    "account": "Accounts", "assistance": "Technical assistance", "cluster": "Clusters",
    "event": "Events", "flag": "Moderation", "newsletter": "Newsletter", "post": "Posts",
    "resource": "Library", "survey": "Surveys", "thread": "Threads", "toolkit": "Toolkit",
}


def action_label(action):
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    area, _, verb = action.partition(".")
    return f"{area.replace('_', ' ').capitalize()}: {verb.replace('_', ' ')}" if verb else action


def entries(area="", action="", actor=""):
    """The log newest first, narrowed to one area, one act and acts by people whose name matches."""
    query = AuditEntry.latest()
    if action:
        query = query.where(AuditEntry.action == action)
    elif area in AREA_LABELS:
        query = query.where(AuditEntry.action.like(f"{area}.%"))
    if actor.strip():
        query = query.join(User, AuditEntry.actor_id == User.id).where(User.name_contains(actor))
    return query


def action_choices():
    """Acts that appear in the log, as (value, label) sorted by label, for the filter."""
    found = db.session.scalars(select(AuditEntry.action).distinct()).all()
    return sorted(((a, action_label(a)) for a in found), key=lambda pair: pair[1])


def record(actor, action, target_type, target_id=None, summary="", cluster_id=None):
    """Add an audit entry to the session; the caller's transaction commits it."""
    entry = AuditEntry(actor_id=getattr(actor, "id", None), action=action,
                       target_type=target_type, target_id=target_id, summary=summary,
                       cluster_id=cluster_id)
    db.session.add(entry)
    return entry
