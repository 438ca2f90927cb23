"""Library resources, their file versions, and the curated Linkages Toolkit."""
from datetime import datetime

from sqlalchemy import (JSON, Column, ForeignKey, LargeBinary, String, Table, Text, UniqueConstraint,
                        false, or_, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import County, User
from ..caching import VersionRow, counter_sql, with_create_all
from ..clusters.models import Cluster
from ..extensions import db
from ..permissions import CLUSTERS, MEMBERS, PUBLIC, Scope
from ..timeutil import utcnow
from ..vocabulary import DOCUMENT_TYPES, PROGRAM_LABELS, STRATEGIES, TOOLKIT_AREAS

#: Content type -> (icon key, the name people know the format by, what the icon says).
FILE_KINDS = {
    "application/pdf": ("pdf", "PDF", "PDF"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("word", "Word", "DOCX"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("excel", "Excel", "XLSX"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("slides", "PowerPoint", "PPTX"),
    "text/plain": ("text", "Text", "TXT"),
    "text/markdown": ("text", "Markdown", "MD"),
}

resource_clusters = Table(
    "resource_clusters", db.metadata,
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_id", ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
)

#: What extraction found: pending (queued), searchable (text indexed), no_text (reason given).
EXTRACTION_STATES = ("pending", "searchable", "no_text", "not_applicable")


class Resource(db.Model):
    """A shared county artifact (a file with versions, or a link) and what describes it."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: A few sentences saying what it is and how a county used it.
    summary: Mapped[str] = mapped_column(Text, default="")
    #: The county that made it (defaults to the uploader's).
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    #: One of vocabulary.PROGRAMS.
    program: Mapped[str] = mapped_column(String(20), default="linkages")
    #: One of vocabulary.DOCUMENT_TYPES.
    doc_type: Mapped[str] = mapped_column(String(20), index=True)
    #: Keys of vocabulary.TOOLKIT_AREAS.
    toolkit_areas: Mapped[list] = mapped_column(JSON, default=list)
    #: Keys of vocabulary.STRATEGIES.
    strategies: Mapped[list] = mapped_column(JSON, default=list)
    #: Free tags, lower-case.
    tags: Mapped[list] = mapped_column(JSON, default=list)
    #: The year the document was written or adopted.
    year: Mapped[int | None]
    #: public, members or clusters (see permissions.Scope).
    visibility: Mapped[str] = mapped_column(String(20), default=MEMBERS, index=True)
    #: For a link resource (a video, a page elsewhere): its address; None for uploaded files.
    link_url: Mapped[str | None] = mapped_column(String(500))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Total downloads of every version (links count clicks through).
    download_count: Mapped[int] = mapped_column(default=0)
    #: Soft delete: hidden everywhere and removed from search, kept for the record.
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    county: Mapped[County | None] = relationship(lazy="joined")
    clusters: Mapped[list[Cluster]] = relationship(secondary=resource_clusters, lazy="selectin",
                                                   order_by=Cluster.name)
    #: Loaded with the resources (one query for a whole list): every list item shows the current
    #: version's format and size.
    versions: Mapped[list["ResourceVersion"]] = relationship(
        back_populates="resource", order_by="ResourceVersion.number.desc()",
        cascade="all, delete-orphan", lazy="selectin")

    def __str__(self):
        return self.title

    def access_scope(self):
        return Scope(visibility=self.visibility,
                     cluster_ids=frozenset(c.id for c in self.clusters),
                     owner_id=self.owner_id, organizers_manage=True)

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def is_link(self):
        return self.link_url is not None

    @property
    def current_version(self):
        return self.versions[0] if self.versions else None

    @property
    def file_kind(self):
        """(icon key, format name, icon text) of what a download gives: ("word", "Word", "DOCX") …"""
        if self.is_link:
            return ("video", "Video", "VIDEO") if self.doc_type == "video" else ("link", "Link", "LINK")
        current = self.current_version
        return FILE_KINDS.get(current.content_type if current else "", ("file", "File", "FILE"))

    @property
    def doc_type_label(self):
        return dict(DOCUMENT_TYPES).get(self.doc_type, self.doc_type)

    @property
    def program_label(self):
        return PROGRAM_LABELS.get(self.program, self.program)

    @property
    def toolkit_area_labels(self):
        labels = dict(TOOLKIT_AREAS)
        return [labels.get(key, key) for key in self.toolkit_areas or []]

    @property
    def strategy_labels(self):
        labels = dict(STRATEGIES)
        return [labels.get(key, key) for key in self.strategies or []]

    @property
    def meta_line(self):
        """"MOU / agreement · Stanislaus County · 2019"."""
        parts = [self.doc_type_label]
        if self.county:
            parts.append(str(self.county))
        if self.year:
            parts.append(str(self.year))
        return " · ".join(parts)

    def set_visibility(self, visibility, clusters):
        """Set who may see it; cluster visibility needs at least one cluster."""
        if visibility not in (PUBLIC, MEMBERS, CLUSTERS):
            raise ValueError(f"unknown visibility {visibility!r}")
        if visibility == CLUSTERS and not clusters:
            raise ValueError("a resource for cluster members needs at least one cluster")
        self.visibility = visibility
        self.clusters = list(clusters) if visibility == CLUSTERS else []

    def mark_deleted(self, by):
        self.deleted_at = utcnow()
        self.deleted_by_id = by.id

    def count_download(self, version=None):
        """Add one download in SQL (`n = n + 1` at flush): simultaneous downloads all count."""
        self.download_count = type(self).download_count + 1
        if version is not None:
            version.download_count = type(version).download_count + 1

    @classmethod
    def visible_to(cls, allowed):
        """Live resources an AccessFilter allows, as a select (newest first)."""
        return select(cls).where(cls.allowed_by(allowed)).order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def allowed_by(cls, allowed):
        """The SQL condition for live resources an AccessFilter allows (for any select)."""
        live = cls.deleted_at.is_(None)
        if allowed.everything:
            return live
        in_clusters = cls.id.in_(
            select(resource_clusters.c.resource_id)
            .where(resource_clusters.c.cluster_id.in_(sorted(allowed.cluster_ids)))
        ) if allowed.cluster_ids else false()
        return live & or_(
            cls.visibility == PUBLIC,
            (cls.visibility == MEMBERS) if allowed.members else false(),
            (cls.visibility == CLUSTERS) & in_clusters,
        )


class ResourceVersion(db.Model):
    """One uploaded file of a resource; the newest is current, earlier ones stay downloadable."""

    __tablename__ = "resource_versions"
    __table_args__ = (UniqueConstraint("resource_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 … in upload order.
    number: Mapped[int]
    #: The name the uploader's file had (shown and used for downloads, never as a path).
    original_name: Mapped[str] = mapped_column(String(255))
    #: The generated file name under instance/uploads/.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    #: The type sniffed from the bytes (application/pdf …).
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    #: SHA-256 of the bytes, hex.
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What changed in this version ("Updated for the 2024 ACL").
    note: Mapped[str] = mapped_column(String(500), default="")
    download_count: Mapped[int] = mapped_column(default=0)
    #: pending, searchable, no_text or not_applicable.
    extraction_state: Mapped[str] = mapped_column(String(20), default="pending")
    #: Why no text could be read ("The PDF is encrypted.").
    extraction_note: Mapped[str] = mapped_column(String(300), default="")
    #: The extracted plain text (bounded in length), searched through the index.
    text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    #: Pages (PDF), slides (PPTX) or sheets (XLSX) read.
    page_count: Mapped[int | None]
    #: What the confidentiality guard found in the extracted text ("a date of birth"), or None.
    #: While set and not confirmed, only people who can edit the resource open the file, and its
    #: text is not searched.
    held_reason: Mapped[str | None] = mapped_column(String(300))
    #: When the uploader (or an editor) confirmed that what was found is not client data.
    guard_confirmed_at: Mapped[datetime | None]

    resource: Mapped[Resource] = relationship(back_populates="versions")
    uploaded_by: Mapped[User] = relationship(lazy="joined")

    @property
    def is_pdf(self):
        return self.content_type == "application/pdf"

    @property
    def size_label(self):
        """"18 KB", "2.4 MB"."""
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f} MB"
        return f"{max(1, round(self.size / 1024))} KB"

    @property
    def is_held(self):
        """The file's text looked like client data and nobody confirmed it is not."""
        return self.held_reason is not None and self.guard_confirmed_at is None

    @property
    def is_withheld(self):
        """Only people who can edit the resource open the file: it is held, or its text has not
        been read and checked by the confidentiality guard yet (the extraction job has not run)."""
        return self.is_held or self.extraction_state == "pending"


class ToolkitArea(db.Model):
    """One of the seven Linkages Toolkit areas, with the organizers' introduction."""

    __tablename__ = "toolkit_areas"

    #: Key from vocabulary.TOOLKIT_AREAS.
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: A short introduction shown above the area's resources (plain text, paragraphs).
    introduction: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The organizer who curates the area (named on its page); None: "CFPIC staff".
    curator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    curator: Mapped[User | None] = relationship(lazy="joined")

    entries: Mapped[list["ToolkitEntry"]] = relationship(
        back_populates="area", order_by="ToolkitEntry.position", cascade="all, delete-orphan")

    @property
    def label(self):
        return dict(TOOLKIT_AREAS).get(self.key, self.key)


class ToolkitEntry(db.Model):
    """A resource placed in a toolkit area, in the organizers' order."""

    __tablename__ = "toolkit_entries"
    __table_args__ = (UniqueConstraint("area_key", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_key: Mapped[str] = mapped_column(ForeignKey("toolkit_areas.key", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    #: Order within the area, from 1.
    position: Mapped[int] = mapped_column(default=1)

    area: Mapped[ToolkitArea] = relationship(back_populates="entries")
    resource: Mapped[Resource] = relationship(lazy="joined")


class FileChunk(db.Model):
    """A piece of an uploaded file kept in the database (FILE_STORE=database), in order.

    Files are split into chunks of `files.CHUNK_SIZE` bytes so that writing and downloading stream
    through memory one chunk at a time, and every node reads the same files with no shared disk.
    """

    __tablename__ = "file_chunks"

    #: The version's generated `stored_name`.
    stored_name: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: 0, 1, 2 … in file order.
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LibraryVersion(VersionRow, db.Model):
    """One row whose number rises with every write to the library's tables: what the library's
    kept pages are keyed by (`browse`). Database triggers raise it, so a write by any process,
    machine or tool counts, and reading it costs one primary-key lookup however large the
    library grows."""

    __tablename__ = "library_version"


#: The tables whose every write raises the library's version.
VERSIONED_TABLES = ("resources", "resource_versions", "resource_clusters")


def library_version_sql(dialect):
    """The statements that make the version row and its triggers (idempotent; migrations 0019
    and 0020 run the same statements)."""
    return counter_sql(dialect, "library_version", VERSIONED_TABLES)


with_create_all(library_version_sql)
