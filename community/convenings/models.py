"""Events (convenings, webinars, cluster calls, trainings), their agendas, registrations and feedback."""
import secrets
from datetime import datetime, timedelta

from sqlalchemy import (Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint,
                        func, or_, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import County, User
from ..caching import VersionRow, counter_sql, with_create_all
from ..clusters.models import Cluster
from ..errors import DomainError
from ..extensions import db
from ..permissions import CLUSTERS, MEMBERS, PUBLIC, Scope, access_filter
from ..timeutil import utcnow
from ..vocabulary import EVENT_KINDS
from .dates import describe_rule, parse_rule, series_occurrences

KIND_LABELS = dict(EVENT_KINDS)
DRAFT, PUBLISHED, CANCELLED = "draft", "published", "cancelled"
STATUSES = (DRAFT, PUBLISHED, CANCELLED)

#: People named as the organizers of an event (shown as contacts).
event_organizers = Table(
    "event_organizers",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class EventError(DomainError):
    """A rule of events was broken; the message is meant for the person."""


class Event(db.Model):
    """A convening, webinar, cluster call or training; one row per series for recurring events."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: convening, webinar, cluster-call or training (vocabulary.EVENT_KINDS).
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown; rendered sanitized.
    summary: Mapped[str] = mapped_column(Text, default="")
    #: First (or only) occurrence, naive UTC.
    start_at: Mapped[datetime] = mapped_column(index=True)
    end_at: Mapped[datetime]
    #: Street address or room; empty for online-only events.
    venue: Mapped[str] = mapped_column(String(300), default="")
    #: Online meeting link: shown only to registered people, never in public pages or feeds.
    join_url: Mapped[str] = mapped_column(String(500), default="")
    #: public, members or clusters (permissions.VISIBILITIES).
    visibility: Mapped[str] = mapped_column(String(20), default=PUBLIC)
    #: The cluster that may see a cluster-only event, and whose calls these are.
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"),
                                                   index=True)
    #: draft (organizers only), published or cancelled.
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    #: RFC 5545 rule for recurring series, in Pacific time ("FREQ=MONTHLY;BYDAY=3TU"); "" for one-offs.
    rrule: Mapped[str] = mapped_column(String(200), default="")
    #: Seats; None for unlimited.
    capacity: Mapped[int | None]
    #: Registration window (naive UTC); open from publication and until the start when empty.
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    #: Whether an organizer approves each registration.
    requires_approval: Mapped[bool] = mapped_column(default=False)
    #: Whether people register at all (cluster calls are open to the cluster without it).
    registration_enabled: Mapped[bool] = mapped_column(default=True)
    #: iCalendar SEQUENCE: raised on every change people's calendars must pick up.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: Recording link, published after the event.
    recording_url: Mapped[str] = mapped_column(String(500), default="")
    #: Whether the feedback form is open to attendees.
    feedback_open: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    cluster: Mapped[Cluster | None] = relationship(lazy="joined")
    organizers: Mapped[list[User]] = relationship(secondary=event_organizers, order_by=User.name)
    sessions: Mapped[list["EventSession"]] = relationship(
        back_populates="event", cascade="all, delete-orphan",
        order_by="(EventSession.start_at, EventSession.track, EventSession.id)")
    exceptions: Mapped[list["EventException"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventException.original_start")
    materials: Mapped[list["EventMaterial"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventMaterial.id")

    def __str__(self):
        return self.title

    # The permission policy reads these two. Events are managed by the organizers and admins of
    # the day, not by whoever created one: an organizer moved back to member no longer reads its
    # registrants' needs or runs it.
    def access_scope(self):
        cluster_ids = frozenset([self.cluster_id]) if self.visibility == CLUSTERS and self.cluster_id else frozenset()
        return Scope(visibility=self.visibility, cluster_ids=cluster_ids, owner_id=None,
                     cluster_id=self.cluster_id, organizers_manage=True, managers_see=True)

    @property
    def is_draft(self):
        return self.status == DRAFT

    @property
    def is_cancelled(self):
        return self.status == CANCELLED

    @property
    def is_public(self):
        return self.visibility == PUBLIC and self.status == PUBLISHED

    @property
    def is_recurring(self):
        return bool(self.rrule)

    @property
    def repeat_label(self):
        """The rule in words ("Every month on the third Tuesday")."""
        return describe_rule(self.rrule, self.start_at)

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_online(self):
        return not self.venue

    @property
    def place_label(self):
        return self.venue or "Online"

    @property
    def duration(self):
        return self.end_at - self.start_at

    def validate(self):
        """Raise EventError unless the event is coherent."""
        if self.end_at <= self.start_at:
            raise EventError("The event must end after it starts.", "end_at")
        if self.kind not in KIND_LABELS:
            raise EventError("Choose a kind of event.")
        if self.visibility == CLUSTERS and not self.cluster_id:
            raise EventError("Choose the cluster that may see this event.")
        if self.capacity is not None and self.capacity < 0:
            raise EventError("Capacity cannot be negative.")
        if (self.registration_opens_at and self.registration_closes_at
                and self.registration_closes_at <= self.registration_opens_at):
            raise EventError("Registration must close after it opens; as entered, it would never "
                             "open. Change the opening or the closing time.",
                             "registration_closes_at")
        if not self.rrule and self.registration_closes_at and self.registration_closes_at > self.end_at:
            raise EventError("Registration must close by the time the event ends.", "registration_closes_at")
        if not self.rrule and self.registration_opens_at and self.registration_opens_at >= self.end_at:
            raise EventError("Registration would open after the event is over: open it before the event ends.",
                             "registration_opens_at")
        if self.rrule:
            try:
                self.rule()
            except (ValueError, TypeError) as error:
                raise EventError(f"The recurrence rule is not valid: {error}") from None

    def touch(self):
        """Record a change calendars must see: raises SEQUENCE."""
        self.sequence = (self.sequence or 0) + 1
        self.updated_at = utcnow()

    def rule(self):
        """The dateutil rule, anchored at the first start in Pacific wall-clock time."""
        return parse_rule(self.rrule, self.start_at)

    def occurrences(self, start, end):
        """[(start, end, original_start)] in naive UTC overlapping [start, end), exceptions applied
        (`dates.series_occurrences`)."""
        if not self.rrule:
            overlaps = self.start_at < end and self.end_at > start
            return [(self.start_at, self.end_at, self.start_at)] if overlaps else []
        return series_occurrences(self.rrule, self.start_at, self.duration, self.exceptions, start, end)

    def next_occurrence(self, after=None):
        after = after or utcnow()
        if not self.rrule:
            return (self.start_at, self.end_at, self.start_at) if self.end_at > after else None
        upcoming = self.occurrences(after, after + timedelta(days=400))
        return upcoming[0] if upcoming else None

    def accepts_registrations(self, now=None):
        """Published, with registration on and its window open."""
        return self.status == PUBLISHED and self.registration_enabled and self.registration_window_open(now)

    def registration_window_open(self, now=None):
        now = now or utcnow()
        closes = self.registration_closes_at or (self.next_occurrence(now) or (self.end_at,))[0]
        opens = self.registration_opens_at
        return (opens is None or opens <= now) and now < closes

    @classmethod
    def visible_to(cls, user):
        """Query of the events this person may see (drafts only for organizers)."""
        allowed = access_filter(user)
        query = select(cls)
        if allowed.everything or getattr(user, "is_organizer", False):
            return query  # organizers manage every event (Scope.managers_see)
        conditions = [cls.visibility == PUBLIC]
        if allowed.members:
            conditions.append(cls.visibility == MEMBERS)
        if allowed.cluster_ids:
            conditions.append((cls.visibility == CLUSTERS) & cls.cluster_id.in_(allowed.cluster_ids))
        return query.where(or_(*conditions), cls.status != DRAFT)

    @classmethod
    def in_window(cls, query, start, end, one_offs_limit=None):
        """Restrict a query to events that may have an occurrence in [start, end).

        With `one_offs_limit`, keep only the first that many one-off events by (start, title, id)
        (a subquery, so still one statement); series are all kept.
        """
        one_offs = (cls.rrule == "") & (cls.start_at < end) & (cls.end_at > start)
        if one_offs_limit:
            first = (query.with_only_columns(cls.id).where(one_offs)
                     .order_by(cls.start_at, cls.title, cls.id).limit(one_offs_limit))
            one_offs = cls.id.in_(first)
        return query.where(or_(one_offs, (cls.rrule != "") & (cls.start_at < end)))

    @classmethod
    def public_published(cls):
        return select(cls).where(cls.visibility == PUBLIC, cls.status == PUBLISHED)


class EventException(db.Model):
    """One changed occurrence of a recurring series: skipped, or moved to another time."""

    __tablename__ = "event_exceptions"
    __table_args__ = (UniqueConstraint("event_id", "original_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: The start the rule gives this occurrence (naive UTC): its RECURRENCE-ID.
    original_start: Mapped[datetime]
    #: New times for a moved occurrence; both empty when it is skipped.
    new_start: Mapped[datetime | None]
    new_end: Mapped[datetime | None]
    #: Why it changed ("Moved for Veterans Day"), shown on the calendar.
    note: Mapped[str] = mapped_column(String(300), default="")

    event: Mapped[Event] = relationship(back_populates="exceptions")

    @property
    def is_skipped(self):
        return self.new_start is None


class EventSession(db.Model):
    """One agenda item of a convening: a plenary, a workshop, a clinical academy block."""

    __tablename__ = "event_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    #: Room name ("Sierra Ballroom").
    room: Mapped[str] = mapped_column(String(120), default="")
    #: Track ("Plenary", "Workshops", "Clinical academy").
    track: Mapped[str] = mapped_column(String(120), default="")
    #: Speakers as free text ("Dr. Ana Ruiz, UC Davis").
    speakers: Mapped[str] = mapped_column(String(300), default="")
    #: A member who speaks (linked to their profile).
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Seats in the room; None for unlimited. Plenaries need no choice.
    capacity: Mapped[int | None]
    #: Whether registrants choose this session (parallel workshops) or everyone attends.
    needs_choice: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="sessions")
    speaker: Mapped[User | None] = relationship(lazy="joined")

    def __str__(self):
        return self.title

    def validate(self):
        if self.end_at <= self.start_at:
            raise EventError("The session must end after it starts.")

    def overlaps(self, other):
        return self.start_at < other.end_at and other.start_at < self.end_at


class EventRegistration(db.Model):
    """A person's place at an event: registered, waitlisted, pending approval or cancelled."""

    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    STATUSES = ("registered", "waitlisted", "pending", "cancelled", "declined")
    #: The statuses of a registration that still holds: a seat, a place on the waitlist, a request.
    ACTIVE = ("registered", "waitlisted", "pending")

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: Order of arrival: waitlist promotion follows it (taken under the event's row lock).
    arrival: Mapped[int] = mapped_column(Integer, default=0)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    #: vocabulary.PROGRAMS key.
    program: Mapped[str] = mapped_column(String(20), default="")
    dietary_needs: Mapped[str] = mapped_column(String(300), default="")
    accessibility_needs: Mapped[str] = mapped_column(String(300), default="")
    #: Consent to show the name on the participant list.
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    #: Who ended it: "self", "organizer", "access" (the event is no longer open to the person).
    cancelled_by: Mapped[str] = mapped_column(String(20), default="", server_default="")
    checked_in_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship(lazy="joined")
    county: Mapped[County | None] = relationship()
    choices: Mapped[list["EventSessionChoice"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan")

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def is_registered(self):
        return self.status == "registered"

    def promote_from_waitlist(self):
        if self.status != "waitlisted":
            raise EventError("Only waitlisted registrations can be promoted.")
        self.status = "registered"
        self.promoted_at = self.updated_at = utcnow()

    def cancel(self, by="self"):
        """End the registration; `by` says who: "self", "organizer" or "access" (see `cancelled_by`)."""
        if not self.is_active:
            raise EventError("This registration is already cancelled.")
        self.status, self.cancelled_by = "cancelled", by
        self.cancelled_at = self.updated_at = utcnow()
        self.choices.clear()

    def status_text(self, own=False):
        """The status in words; a cancelled registration says who cancelled it (`own`: to its person)."""
        if self.status != "cancelled":
            return "awaiting approval" if self.status == "pending" else self.status
        them = "you" if own else "them"
        return {"self": "cancelled by you" if own else "cancelled by the registrant",
                "organizer": "cancelled by an organizer",
                "access": f"ended: the event is no longer open to {them}"}.get(self.cancelled_by, "cancelled")

    @classmethod
    def counts_by_status(cls, event_id):
        return select(cls.status, func.count()).where(cls.event_id == event_id).group_by(cls.status)


class EventSessionChoice(db.Model):
    """A registrant's choice of a parallel session."""

    __tablename__ = "event_session_choices"
    __table_args__ = (UniqueConstraint("registration_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("event_registrations.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"), index=True)

    registration: Mapped[EventRegistration] = relationship(back_populates="choices")
    session: Mapped[EventSession] = relationship(lazy="joined")


class EventReminder(db.Model):
    """A reminder claimed for one registration and occurrence: the row exists before the mail goes."""

    __tablename__ = "event_reminders"
    __table_args__ = (UniqueConstraint("registration_id", "occurrence_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("event_registrations.id", ondelete="CASCADE"), index=True)
    occurrence_start: Mapped[datetime]
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventMaterial(db.Model):
    """Slides, handouts or a recording published with an event or one of its sessions."""

    __tablename__ = "event_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="materials")
    session: Mapped[EventSession | None] = relationship()


class EventFeedback(db.Model):
    """One attendee's short feedback on an event."""

    __tablename__ = "event_feedback"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: 1 (poor) to 5 (excellent).
    rating: Mapped[int]
    #: Will they use what they learned? yes / maybe / no.
    useful: Mapped[str] = mapped_column(String(10), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventCalendarToken(db.Model):
    """The secret in a person's personal calendar feed URL; regenerating it revokes the old URL."""

    __tablename__ = "event_calendar_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def new_secret():
        return secrets.token_urlsafe(32)


class EventsVersion(VersionRow, db.Model):
    """One row whose number changes with every write to what calendars show (`VERSIONED_TABLES`):
    what the calendar's kept listings, pages and feeds are keyed by (`services.events_version`).
    Database triggers change it, so a write by any process, machine or tool counts, two edits
    committed in either order both count, and reading it is one primary-key lookup however many
    events there are."""

    __tablename__ = "events_version"


#: The tables whose every write changes the calendar's version: events, their moved or skipped
#: dates, their sessions, and clusters (whose names listings show).
VERSIONED_TABLES = ("events", "event_exceptions", "event_sessions", "clusters")


def events_version_sql(dialect):
    """The statements that make the version row and its triggers (idempotent; migration 0023
    runs the same statements)."""
    return counter_sql(dialect, "events_version", VERSIONED_TABLES)


with_create_all(events_version_sql)
