"""Discussions in peer clusters: threads, posts and their history, reactions, reading and notices."""
import re
from datetime import datetime

from sqlalchemy import (ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, bindparam,
                        func, select, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from ..accounts.models import User
from ..errors import DomainError
from ..clusters.models import Cluster
from .. import guard
from ..caching import with_create_all
from ..extensions import db
from ..permissions import CLUSTERS, PUBLIC, Scope
from ..timeutil import utcnow

WATCH_LEVELS = [
    ("watching", "Watching: notify me of every new post"),
    ("tracking", "Tracking: show counts of new replies"),
    ("normal", "Normal: notify me only of mentions and replies to me"),
    ("muted", "Muted: never notify me"),
]
WATCH_LEVEL_NAMES = [level for level, _ in WATCH_LEVELS]

EMAIL_MODES = [
    ("immediate", "Immediately, one e-mail per notification"),
    ("digest", "A daily digest"),
    ("none", "Never: I read notifications on the site"),
]


class ForumError(DomainError):
    """A forum action that cannot be done; the message is shown to the person."""


def _scope_for(cluster, owner_id):
    visibility = PUBLIC if cluster.is_public else CLUSTERS
    return Scope(visibility, frozenset({cluster.id}), owner_id=owner_id, cluster_id=cluster.id,
                 organizers_manage=False, moderators_edit=True)


class Thread(db.Model):
    """A discussion in a cluster: a title and an ordered list of posts, the first being the question."""

    __tablename__ = "forum_threads"
    __table_args__ = (
        # A cluster page's order, to the last key (PostgreSQL's indexes do not end with the row's
        # id as SQLite's do): the page reads its 30 rows, not the cluster's every thread.
        Index("ix_forum_threads_cluster_listing", "cluster_id", "is_pinned", "last_posted_at", "id",
              sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
        # A cluster's latest threads, pinned or not (the home page's "Latest in your clusters").
        Index("ix_forum_threads_cluster_latest", "cluster_id", "last_posted_at", "id",
              sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: A question thread can have one reply marked as its answer.
    is_question: Mapped[bool] = mapped_column(default=False)
    #: The reply marked as the answer (questions only).
    answer_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_posts.id", use_alter=True, ondelete="SET NULL"))
    #: Pinned threads are listed first in their cluster.
    is_pinned: Mapped[bool] = mapped_column(default=False)
    #: Locked threads take no new replies (moderators may still post).
    is_locked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The highest post number so far (the opening post is number 1).
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    #: Number of visible replies (not counting the opening post), kept by the services.
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    last_posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_poster_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set when the opening post is deleted or hidden: the thread leaves lists and search.
    removed_at: Mapped[datetime | None]

    cluster: Mapped[Cluster] = relationship(lazy="joined", innerjoin="unnested")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])

    def __str__(self):
        return self.title

    def access_scope(self):
        return _scope_for(self.cluster, self.author_id)

    #: Words used by thread actions' URLs (/t/<id>/reply ...), never used as a slug.
    RESERVED_SLUGS = {"reply", "move", "watch", "pin", "unpin", "lock", "unlock", "post",
                      "redact-title"}

    @property
    def slug(self):
        return self.slug_for(self.title)

    @classmethod
    def slug_for(cls, title):
        """The URL slug a thread with this title has; a number the author confirmed in the title
        still never goes into URLs (and so logs)."""
        title = guard.without_findings(title)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "thread"
        return f"{slug}-thread" if slug in cls.RESERVED_SLUGS else slug

    @property
    def is_removed(self):
        return self.removed_at is not None

    def next_number(self):
        self.last_number = (self.last_number or 0) + 1
        return self.last_number


class ClusterThreads(db.Model):
    """How many threads (not removed) each cluster holds, kept by database triggers on
    `forum_threads` (`cluster_threads_sql`): the cluster list reads one row per cluster instead
    of counting every thread of the forum on each view. A write by any process, machine or tool
    counts; a cluster with no row holds no thread."""

    __tablename__ = "forum_cluster_threads"

    cluster_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    threads: Mapped[int] = mapped_column(default=0)


def cluster_threads_sql(dialect):
    """The triggers that keep `forum_cluster_threads` (idempotent; migration 0022 runs the same).

    A thread counts while `removed_at` is empty: inserting, deleting, removing, restoring or
    moving one changes the counts of its old and new clusters. On PostgreSQL the count row of a
    cluster is locked until the writing transaction ends, so two threads started in one cluster at
    the same instant commit one after the other; a `TRUNCATE` of the threads empties the counts.
    """
    add = ("INSERT INTO forum_cluster_threads (cluster_id, threads) VALUES ({}, 1) "
           "ON CONFLICT (cluster_id) DO UPDATE SET threads = forum_cluster_threads.threads + 1")
    take = "UPDATE forum_cluster_threads SET threads = threads - 1 WHERE cluster_id = {}"
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION count_forum_cluster_threads() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP <> 'INSERT' THEN IF OLD.removed_at IS NULL THEN "
            f"{take.format('OLD.cluster_id')}; END IF; END IF; "
            "IF TG_OP <> 'DELETE' THEN IF NEW.removed_at IS NULL THEN "
            f"{add.format('NEW.cluster_id')}; END IF; END IF; "
            "RETURN NULL; END; $$ LANGUAGE plpgsql",
            "CREATE OR REPLACE FUNCTION clear_forum_cluster_threads() RETURNS trigger AS $$ BEGIN "
            "DELETE FROM forum_cluster_threads; RETURN NULL; END; $$ LANGUAGE plpgsql",
            "CREATE OR REPLACE TRIGGER forum_cluster_threads AFTER INSERT OR DELETE OR UPDATE OF "
            "cluster_id, removed_at ON forum_threads FOR EACH ROW EXECUTE FUNCTION count_forum_cluster_threads()",
            "CREATE OR REPLACE TRIGGER forum_cluster_threads_truncate AFTER TRUNCATE ON forum_threads "
            "FOR EACH STATEMENT EXECUTE FUNCTION clear_forum_cluster_threads()",
        ]
    return [
        "CREATE TRIGGER IF NOT EXISTS forum_cluster_threads_insert AFTER INSERT ON forum_threads "
        f"WHEN NEW.removed_at IS NULL BEGIN {add.format('NEW.cluster_id')}; END",
        "CREATE TRIGGER IF NOT EXISTS forum_cluster_threads_delete AFTER DELETE ON forum_threads "
        f"WHEN OLD.removed_at IS NULL BEGIN {take.format('OLD.cluster_id')}; END",
        "CREATE TRIGGER IF NOT EXISTS forum_cluster_threads_update AFTER UPDATE OF cluster_id, removed_at "
        f"ON forum_threads BEGIN {take.format('OLD.cluster_id')} AND OLD.removed_at IS NULL; "
        # SELECT … WHERE: an upsert's INSERT … SELECT needs a WHERE before ON CONFLICT in SQLite.
        f"{add.replace('VALUES ({}, 1)', 'SELECT NEW.cluster_id, 1 WHERE NEW.removed_at IS NULL')}; END",
    ]


with_create_all(cluster_threads_sql)


class Post(db.Model):
    """One message in a thread, stored as Markdown source and sanitized HTML rendered at save."""

    __tablename__ = "forum_posts"
    __table_args__ = (UniqueConstraint("thread_id", "number"),
                      Index("ix_forum_posts_author_created", "author_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    #: Position in the thread, 1 for the opening post; stable, used in `#post-N` links.
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The post this one answers or quotes, if any (its author is notified).
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("forum_posts.id", ondelete="SET NULL"))
    #: Markdown as the author wrote it.
    body_source: Mapped[str] = mapped_column(Text)
    #: Sanitized HTML rendered from the source at save time; pages show this.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    #: Who made the last edit (the author, or a moderator).
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Number of people who marked it helpful (kept by the services).
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The author confirmed that what the confidentiality guard flagged is not client data.
    guard_confirmed: Mapped[bool] = mapped_column(default=False)
    #: Soft delete by the author (or a moderator): a "post removed" placeholder stays.
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Hidden by a moderator, with the reason shown in the placeholder.
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    def access_scope(self):
        return _scope_for(self.thread.cluster, self.author_id)

    @property
    def is_visible(self):
        return self.deleted_at is None and self.hidden_at is None

    @property
    def is_opening(self):
        return self.number == 1

    @classmethod
    def in_thread(cls, thread_id):
        return select(cls).where(cls.thread_id == thread_id).order_by(cls.number)

    @classmethod
    def visible(cls):
        return and_(cls.deleted_at.is_(None), cls.hidden_at.is_(None))


class PostRevision(db.Model):
    """An earlier version of a post, kept when it is edited (moderators can read them)."""

    __tablename__ = "forum_post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    #: The Markdown source before the edit.
    body_source: Mapped[str] = mapped_column(Text)
    #: The thread title before the edit (opening posts only).
    title: Mapped[str] = mapped_column(String(200), default="")
    #: When that version was written, and by whom.
    written_at: Mapped[datetime]
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: When it was replaced, and by whom.
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    written_by: Mapped[User] = relationship(foreign_keys=[written_by_id], lazy="joined")
    replaced_by: Mapped[User] = relationship(foreign_keys=[replaced_by_id], lazy="joined")


class Reaction(db.Model):
    """A person found a post helpful (one per person and post)."""

    __tablename__ = "forum_reactions"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReadState(db.Model):
    """How far a person has read a thread (the highest post number seen)."""

    __tablename__ = "forum_read_states"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"),
                                           index=True)
    #: Highest post number the person has had on screen.
    last_read_number: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Watch(db.Model):
    """A watch level a person chose for a whole cluster or for one thread."""

    __tablename__ = "forum_watches"
    __table_args__ = (UniqueConstraint("user_id", "cluster_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Set for a cluster-wide level (thread_id is then empty).
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    #: Set for a level on one thread (cluster_id is then empty).
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_threads.id", ondelete="CASCADE"), index=True)
    #: watching, tracking, normal or muted.
    level: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cluster: Mapped[Cluster | None] = relationship()
    thread: Mapped[Thread | None] = relationship()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if (self.cluster_id is None) == (self.thread_id is None):
            raise ValueError("a watch is on a cluster or on a thread, not both or neither")
        if self.level not in WATCH_LEVEL_NAMES:
            raise ValueError(f"unknown watch level {self.level!r}")


class Notification(db.Model):
    """Something a person should know: a reply, a mention, an answer, a join decision."""

    __tablename__ = "forum_notifications"
    __table_args__ = (Index("ix_forum_notifications_user_unread", "user_id", "read_at"),)

    KINDS = {
        "reply": "replied to you",
        "mention": "mentioned you",
        "posted": "posted",
        "answer": "marked your reply as the answer",
        "join_request": "asked to join",
        "join_approved": "approved your request to join",
        "join_declined": "declined your request to join",
        "member_removed": "removed you from",
        "post_hidden": "hid your post",
        "thread_locked": "locked your thread",
        "thread_moved": "moved your thread",
        "flag": "flagged a post",
    }
    #: Kinds whose verb takes the thread as its object ("locked your thread “…”"), not "in “…”".
    ABOUT_THE_THREAD = ("thread_locked", "thread_moved")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: One of KINDS.
    kind: Mapped[str] = mapped_column(String(20))
    #: Who caused it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    #: When it went out by e-mail (immediately or in a digest); digests skip e-mailed ones.
    emailed_at: Mapped[datetime | None]
    #: The digest that carries it; the digest's e-mail is rendered from the live rows when it is
    #: sent, so a redaction made in between reaches it.
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_digests.id", ondelete="SET NULL"), index=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    cluster: Mapped[Cluster] = relationship(lazy="joined")
    thread: Mapped[Thread | None] = relationship(lazy="joined")
    post: Mapped[Post | None] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def verb(self):
        if self.kind == "thread_moved":
            return f"moved your thread to {self.cluster.name}"
        return self.KINDS.get(self.kind, self.kind)

    @classmethod
    def for_user(cls, user_id):
        return select(cls).where(cls.user_id == user_id).order_by(cls.created_at.desc(),
                                                                  cls.id.desc())


def unread_of(person):
    """How many notifications `person` (a value or a column) has not read."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == person, Notification.read_at.is_(None)))


#: How many notifications `:person` has not read: built once, as the bell asks again after they change.
UNREAD_COUNT = unread_of(bindparam("person"))


class EmailPreference(db.Model):
    """How a person wants forum notifications by e-mail."""

    __tablename__ = "forum_email_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    #: immediate, digest or none.
    mode: Mapped[str] = mapped_column(String(20), default="digest")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    DEFAULT_MODE = "digest"


class Digest(db.Model):
    """One digest e-mail for one person and period, claimed before it is sent (never twice)."""

    __tablename__ = "forum_digests"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The Pacific date the digest covers, "2026-11-23".
    period: Mapped[str] = mapped_column(String(10))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: How many notifications it carried (0: nothing to send, no e-mail went out).
    notification_count: Mapped[int] = mapped_column(Integer, default=0)
    #: When its e-mail was handed to the transport (empty while queued).
    sent_at: Mapped[datetime | None]


class Flag(db.Model):
    """A member's report that a post needs a moderator's look."""

    __tablename__ = "forum_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Why the member flagged it.
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: hidden (the post was hidden) or dismissed.
    resolution: Mapped[str] = mapped_column(String(20), default="")

    post: Mapped[Post] = relationship(lazy="joined")
    flagged_by: Mapped[User] = relationship(foreign_keys=[flagged_by_id], lazy="joined")

    @classmethod
    def open_in(cls, cluster_ids):
        query = (select(cls).where(cls.resolved_at.is_(None)).order_by(cls.created_at)
                 .options(selectinload(cls.post).selectinload(Post.thread)))
        if cluster_ids is not None:
            query = query.where(cls.cluster_id.in_(cluster_ids))
        return query
