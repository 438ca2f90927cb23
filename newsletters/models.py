"""Subscribers, issues with their ordered blocks, and one delivery row per recipient and issue."""
import re
from datetime import datetime

from sqlalchemy import (JSON, ForeignKey, Integer, String, Text, UniqueConstraint, and_, func, or_,
                        select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community import ordering
from community.accounts.models import County, User
from community.errors import DomainError
from community.extensions import db
from community.timeutil import utcnow


#: What an issue may be about and a subscriber may choose to receive, in the order shown.
TOPICS = {
    "convenings": "Convenings",
    "webinars": "Webinars",
    "resources": "New resources",
    "clusters": "Cluster news",
}
#: Each topic's bit in `Subscriber.topics` and `Issue.topics` (append new topics: never reorder).
TOPIC_BITS = {name: 1 << position for position, name in enumerate(TOPICS)}
ALL_TOPICS = sum(TOPIC_BITS.values())


def topic_mask(names):
    """The bits of the named topics (unknown names are ignored)."""
    return sum(TOPIC_BITS[name] for name in set(names or ()) if name in TOPIC_BITS)


def topic_names(mask):
    """The names of the topics set in `mask`, in TOPICS order."""
    return [name for name, bit in TOPIC_BITS.items() if (mask or 0) & bit]


def topic_labels(mask):
    return [TOPICS[name] for name in topic_names(mask)]


class Subscriber(db.Model):
    """A person on the newsletter list, with or without an account on the site."""

    __tablename__ = "newsletter_subscribers"

    STATUSES = ("pending", "confirmed", "paused", "unsubscribed")
    SOURCES = ("form", "member", "import", "demo")

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased address; one subscriber per address.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    #: pending (waiting for the confirmation click), confirmed, paused or unsubscribed.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    #: How consent was given: form (double opt-in), member (signed-in profile), import, demo.
    source: Mapped[str] = mapped_column(String(20), default="form")
    #: The member account that subscribed itself, if any.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the person gave consent (confirmation click, profile toggle, or the imported date).
    consent_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    #: The topics the person receives issues about (bits of TOPIC_BITS); everyone starts with
    #: all of them. Issues about no topic in particular reach every confirmed subscriber.
    topics: Mapped[int] = mapped_column(Integer, default=ALL_TOPICS, server_default=str(ALL_TOPICS))

    county: Mapped[County | None] = relationship(lazy="joined")

    @property
    def topic_names(self):
        return topic_names(self.topics)

    def choose_topics(self, names):
        self.topics = topic_mask(names)

    @classmethod
    def receiving(cls, topics=0):
        """The condition for who receives an issue about `topics` (a mask): confirmed
        subscribers, and when the issue has topics, only those who chose one of them."""
        if not topics:
            return cls.status == "confirmed"
        return and_(cls.status == "confirmed", cls.topics.op("&")(topics) != 0)

    @classmethod
    def count_receiving(cls, topics=0):
        return db.session.scalar(select(func.count()).select_from(cls).where(cls.receiving(topics)))

    def __str__(self):
        return self.name or self.email

    @property
    def receives_issues(self):
        return self.status == "confirmed"

    def confirm(self, source=None, when=None):
        """Record consent and start sending; a no-op for someone already confirmed."""
        if self.status == "confirmed":
            return
        self.status = "confirmed"
        self.consent_at = when or utcnow()
        self.unsubscribed_at = None
        if source:
            self.source = source

    def pause(self):
        if self.status != "confirmed":
            raise ValueError(f"cannot pause a subscription that is {self.status}")
        self.status = "paused"

    def resume(self):
        if self.status != "paused":
            raise ValueError(f"cannot resume a subscription that is {self.status}")
        self.status = "confirmed"

    def unsubscribe(self):
        if self.status != "unsubscribed":
            self.status = "unsubscribed"
            self.unsubscribed_at = utcnow()

    @staticmethod
    def normalize(email):
        return (email or "").strip().lower()

    @classmethod
    def by_email(cls, email):
        return select(cls).where(cls.email == cls.normalize(email))

    @classmethod
    def search(cls, text="", status=""):
        query = select(cls).order_by(cls.created_at.desc(), cls.id.desc())
        if status:
            query = query.where(cls.status == status)
        if text:
            pattern = f"%{text.strip().lower()}%"
            query = query.where(or_(cls.email.like(pattern), func.lower(cls.name).like(pattern)))
        return query

    @classmethod
    def count_by_status(cls):
        rows = db.session.execute(select(cls.status, func.count()).group_by(cls.status)).all()
        counts = dict.fromkeys(cls.STATUSES, 0)
        counts.update(rows)
        return counts


class Issue(db.Model):
    """One newsletter issue: composed as a draft, scheduled or sent now, then kept in the archive."""

    __tablename__ = "newsletter_issues"

    STATUSES = ("draft", "scheduled", "sending", "sent")

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    #: The line mail clients show after the subject.
    preheader: Mapped[str] = mapped_column(String(200), default="")
    #: Markdown, shown at the top of the issue.
    introduction: Mapped[str] = mapped_column(Text, default="")
    #: draft, scheduled, sending or sent; only drafts and scheduled issues can be edited.
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    #: When a scheduled issue goes out (UTC).
    scheduled_at: Mapped[datetime | None] = mapped_column(index=True)
    #: When a worker claimed the issue and wrote its delivery rows.
    send_started_at: Mapped[datetime | None]
    #: Last sign of life from a worker sending it; a stale heartbeat lets another worker resume.
    heartbeat_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The topics the issue is about (bits of TOPIC_BITS): it goes to the subscribers who chose
    #: any of them; 0 (no topic) sends it to every confirmed subscriber.
    topics: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    blocks: Mapped[list["Block"]] = relationship(back_populates="issue", order_by="Block.position",
                                                 cascade="all, delete-orphan")
    created_by: Mapped[User | None] = relationship()

    def __str__(self):
        return self.subject

    @property
    def topic_names(self):
        return topic_names(self.topics)

    @property
    def topic_labels(self):
        return topic_labels(self.topics)

    @property
    def is_editable(self):
        return self.status in ("draft", "scheduled")

    @property
    def slug(self):
        return re.sub(r"[^a-z0-9]+", "-", self.subject.lower()).strip("-")[:80] or "issue"

    def require_editable(self):
        if not self.is_editable:
            raise DomainError("This issue is being sent or was sent, so it can no longer change.")

    def schedule(self, when):
        self.require_editable()
        self.status = "scheduled"
        self.scheduled_at = when

    def unschedule(self):
        if self.status != "scheduled":
            raise DomainError("This issue is not scheduled, so there is nothing to unschedule.")
        self.status = "draft"
        self.scheduled_at = None

    def move_block(self, block, offset):
        """Move a block up (-1) or down (+1) and renumber the positions."""
        self.require_editable()
        self.blocks = ordering.move(self.blocks, block, offset, start=0)

    @classmethod
    def archived(cls):
        """Sent issues, newest first: the public archive."""
        return select(cls).where(cls.status == "sent").order_by(cls.sent_at.desc(), cls.id.desc())

    @classmethod
    def previous_sent_at(cls, issue_id=None):
        query = select(func.max(cls.sent_at)).where(cls.status == "sent")
        if issue_id:
            query = query.where(cls.id != issue_id)
        return db.session.scalar(query)

    @classmethod
    def for_organizers(cls):
        order = func.coalesce(cls.sent_at, cls.scheduled_at, cls.updated_at)
        return select(cls).order_by(order.desc(), cls.id.desc())


class Block(db.Model):
    """One block of an issue; `cards` holds the snapshot of site content taken at compose/send time."""

    __tablename__ = "newsletter_blocks"

    KINDS = {
        "story": "Story",
        "events": "Upcoming events",
        "resources": "New resources",
        "highlights": "Cluster highlights",
        "cta": "Call to action",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("newsletter_issues.id", ondelete="CASCADE"),
                                          index=True)
    #: Order within the issue, from 0.
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: story, events, resources, highlights or cta.
    kind: Mapped[str] = mapped_column(String(20))
    heading: Mapped[str] = mapped_column(String(200), default="")
    #: Markdown (story text, or the line above a call to action).
    body: Mapped[str] = mapped_column(Text, default="")
    #: The story's Markdown rendered and sanitized at save time.
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: Kind-specific settings: start/end dates, thread ids, button text and link.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Snapshot of ContentCards as plain dicts (title, url, summary, meta, when).
    cards: Mapped[list] = mapped_column(JSON, default=list)

    issue: Mapped[Issue] = relationship(back_populates="blocks")

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)


class Delivery(db.Model):
    """One recipient of one issue; written before sending so a send can resume without repeats."""

    __tablename__ = "newsletter_deliveries"
    __table_args__ = (UniqueConstraint("issue_id", "subscriber_id"),)

    STATUSES = ("pending", "sending", "sent", "failed", "skipped")

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("newsletter_issues.id", ondelete="CASCADE"),
                                          index=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"), index=True)
    #: pending, sending (claimed by a worker), sent, failed (gave up) or skipped (unsubscribed).
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    #: How many times a worker claimed this row to send it.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Random id of the worker batch that holds the claim.
    claim: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    #: The last error from the mail server, for the organizer.
    error: Mapped[str] = mapped_column(Text, default="")

    subscriber: Mapped[Subscriber] = relationship()

    @classmethod
    def progress(cls, issue_id):
        """{status: count} for one issue, every status present."""
        rows = db.session.execute(select(cls.status, func.count()).where(cls.issue_id == issue_id)
                                  .group_by(cls.status)).all()
        counts = dict.fromkeys(cls.STATUSES, 0)
        counts.update(rows)
        return counts
