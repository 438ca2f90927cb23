"""Technical-assistance requests: a county asks CFPIC for help; CFPIC triages, notes and resolves."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from ..extensions import db
from ..permissions import COUNTY, Scope
from ..timeutil import utcnow
from ..vocabulary import STRATEGIES, TOOLKIT_AREAS

URGENCIES = [("low", "Whenever you can"), ("normal", "Within a few weeks"), ("urgent", "Urgent: within a week")]
FORMATS = [("call", "A call"), ("site_visit", "A site visit"), ("training", "A training (standard or customized)"),
           ("documents", "Documents and examples")]
#: new → scheduled → in progress → resolved (a request may skip scheduling).
STATUSES = [("new", "New"), ("scheduled", "Scheduled"), ("in_progress", "In progress"), ("resolved", "Resolved")]
STATUS_LABELS, URGENCY_LABELS, FORMAT_LABELS = dict(STATUSES), dict(URGENCIES), dict(FORMATS)
AREA_LABELS, STRATEGY_LABELS = dict(TOOLKIT_AREAS), dict(STRATEGIES)


class AssistanceRequest(db.Model):
    """A county's request for technical assistance or training."""

    __tablename__ = "assistance_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The county asking; its staff see the request, nobody else outside CFPIC.
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    topic: Mapped[str] = mapped_column(String(200))
    #: What they need and what they have tried.
    details: Mapped[str] = mapped_column(Text, default="")
    toolkit_area: Mapped[str] = mapped_column(String(40), default="")
    strategy: Mapped[str] = mapped_column(String(40), default="")
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    preferred_format: Mapped[str] = mapped_column(String(20), default="call")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    #: The CFPIC staff member handling it.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When a call or visit is planned (UTC), and where to join.
    scheduled_at: Mapped[datetime | None]
    meeting_link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: First time CFPIC answered (assigned, scheduled, or wrote a shared note).
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    #: Raised on every change of a scheduled call, for calendar invitations.
    sequence: Mapped[int] = mapped_column(default=0)

    county = relationship("County", lazy="joined")
    requester = relationship("User", foreign_keys=[requester_id], lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")
    notes: Mapped[list["AssistanceNote"]] = relationship(back_populates="request", order_by="AssistanceNote.id",
                                                         cascade="all, delete-orphan")
    links: Mapped[list["AssistanceLink"]] = relationship(back_populates="request", order_by="AssistanceLink.id",
                                                         cascade="all, delete-orphan")
    attachments: Mapped[list["AssistanceAttachment"]] = relationship(
        back_populates="request", order_by="AssistanceAttachment.id", cascade="all, delete-orphan")

    def __str__(self):
        return self.topic

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def urgency_label(self):
        return URGENCY_LABELS.get(self.urgency, self.urgency)

    @property
    def format_label(self):
        return FORMAT_LABELS.get(self.preferred_format, self.preferred_format)

    @property
    def area_label(self):
        return AREA_LABELS.get(self.toolkit_area, "")

    @property
    def strategy_label(self):
        return STRATEGY_LABELS.get(self.strategy, "")

    @property
    def is_open(self):
        return self.status != "resolved"

    def access_scope(self):
        """The county's staff and CFPIC see it (the policy's `county` scope, also in search)."""
        return Scope(COUNTY, owner_id=self.requester_id, county_id=self.county_id)

    @classmethod
    def of_county(cls, county_id):
        return select(cls).where(cls.county_id == county_id).order_by(cls.created_at.desc())

    @classmethod
    def with_ids(cls, ids=None):
        """These requests (all when `ids` is None), oldest first, for the search source."""
        query = select(cls).options(selectinload(cls.notes), selectinload(cls.attachments)).order_by(cls.id)
        return query if ids is None else query.where(cls.id.in_(ids))


class AssistanceNote(db.Model):
    """A note on a request: internal to CFPIC, or shared with the county."""

    __tablename__ = "assistance_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    #: Shared notes are seen (and e-mailed) to the county; internal ones only by CFPIC staff.
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[AssistanceRequest] = relationship(back_populates="notes")
    author = relationship("User", lazy="joined")


class AssistanceLink(db.Model):
    """A library resource (by its page address) attached to a request by CFPIC."""

    __tablename__ = "assistance_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True)
    #: The site path of the resource ("/library/12"); shown as a card re-checked for each viewer.
    path: Mapped[str] = mapped_column(String(300))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[AssistanceRequest] = relationship(back_populates="links")


class AssistanceAttachment(db.Model):
    """A file the county attached to its request, checked and kept as the library keeps uploads."""

    __tablename__ = "assistance_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True)
    #: The generated name in the file store (FILE_STORE); the uploader's name is only data.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: pending until the extraction job ran, then what `extraction` said (text, no_text, failed …).
    extraction_state: Mapped[str] = mapped_column(String(20), default="pending")
    #: The extracted text: read by the confidentiality guard, and by search unless held.
    text: Mapped[str] = mapped_column(Text, default="")
    #: What the guard found in the text; while set (and not confirmed) only the uploader and
    #: CFPIC open the file.
    held_reason: Mapped[str | None] = mapped_column(String(300))
    guard_confirmed_at: Mapped[datetime | None]

    request: Mapped[AssistanceRequest] = relationship(back_populates="attachments")
    uploaded_by = relationship("User", lazy="joined")

    @property
    def is_held(self):
        return self.held_reason is not None and self.guard_confirmed_at is None

    @property
    def is_withheld(self):
        """Held, or not yet read and checked by the confidentiality guard."""
        return self.is_held or self.extraction_state == "pending"
