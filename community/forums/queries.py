"""Read-only page queries, each a constant number of SQL statements whatever the page shows."""
import functools
from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import String, and_, bindparam, cast, column, exists, func, or_, select, text
from sqlalchemy.orm import aliased, joinedload, load_only, selectinload

from ..accounts.models import User
from ..clusters.models import Cluster, ClusterMembership
from ..extensions import db
from ..permissions import access_filter, cluster_roles
from . import notify
from .models import ClusterThreads, Flag, Post, Reaction, ReadState, Thread, Watch

THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 20


@dataclass(frozen=True)
class ListedPerson:
    """Who started a listed thread or posted in it last: what a thread list shows of them."""

    name: str
    handle: str
    initials = property(User.initials.fget)


@dataclass(frozen=True)
class ListedThread:
    """A thread as a list shows it: plain values read in one statement with its people, so a
    list of thirty builds no ORM object (which cost ~2 ms a list)."""

    id: int
    cluster_id: int
    title: str
    is_pinned: bool
    is_locked: bool
    is_question: bool
    answer_post_id: int | None
    reply_count: int
    last_number: int
    last_posted_at: datetime
    author: ListedPerson
    last_poster: ListedPerson | None
    #: Its cluster, by name (the home page's list names it).
    cluster: "ListedCluster"
    slug = property(lambda self: Thread.slug_for(self.title))


@dataclass(frozen=True)
class ListedCluster:
    name: str


@dataclass
class ThreadRow:
    """A thread in a list, with what this reader has and has not read."""

    thread: ListedThread
    #: Highest post number read, None if never opened.
    last_read: int | None
    #: The reader's effective watch level.
    level: str

    @property
    def is_muted(self):
        return self.level == "muted"

    @property
    def is_new(self):
        return self.last_read is None and not self.is_muted

    @property
    def new_posts(self):
        if self.last_read is None or self.is_muted:
            return 0
        return max(self.thread.last_number - self.last_read, 0)

    @property
    def shows_count(self):
        """Tracking and watching show how many posts are new; normal shows that there are some."""
        return self.level in ("tracking", "watching")

    @property
    def first_unread(self):
        return (self.last_read or 0) + 1


def _chosen_level(person, *where):
    """The level `person` chose on what `where` names (a thread, or a whole cluster), as a single
    value: the latest choice, as NULL thread ids let a race leave two rows on a cluster."""
    return (select(Watch.level).where(Watch.user_id == person, *where)
            .order_by(Watch.updated_at.desc(), Watch.id.desc()).limit(1).scalar_subquery())


def _read_up_to(person, thread_id):
    """The highest post number `person` has read in the thread, NULL if never opened."""
    return (select(ReadState.last_read_number)
            .where(ReadState.user_id == person, ReadState.thread_id == thread_id).scalar_subquery())


def _listing():
    """Threads with their people, cluster name and the reader's (`:person`, NULL for a visitor)
    reading position and watch levels, as one select to be filtered and ordered by its users.
    The levels are single values, so a thread is never listed twice."""
    person = bindparam("person")
    author, last = aliased(User, name="author"), aliased(User, name="last_poster")
    return (select(Thread.id, Thread.cluster_id, Thread.title, Thread.is_pinned, Thread.is_locked,
                   Thread.is_question, Thread.answer_post_id, Thread.reply_count, Thread.last_number,
                   Thread.last_posted_at, author.name.label("author_name"), author.handle.label("author_handle"),
                   last.name.label("last_name"), last.handle.label("last_handle"),
                   Cluster.name.label("cluster_name"),
                   _read_up_to(person, Thread.id).label("last_read"),
                   _chosen_level(person, Watch.thread_id == Thread.id).label("thread_level"),
                   _chosen_level(person, Watch.cluster_id == Thread.cluster_id,
                                 Watch.thread_id.is_(None)).label("cluster_level"))
            .select_from(Thread).join(author, author.id == Thread.author_id)
            .outerjoin(last, last.id == Thread.last_poster_id).join(Cluster, Cluster.id == Thread.cluster_id))


_LISTED = _listing()
#: A page of a cluster's threads still listed: pinned first, then by latest activity (the order of
#: `ix_forum_threads_cluster_listing`, read backwards: the page's rows, whatever the cluster holds).
_CLUSTER_PAGE = (_LISTED.where(Thread.cluster_id == bindparam("cluster"), Thread.removed_at.is_(None))
                 .order_by(Thread.is_pinned.desc(), Thread.last_posted_at.desc(), Thread.id.desc())
                 .limit(bindparam("limit")).offset(bindparam("offset")))


def _thread_rows(statement, user, values):
    """ThreadRows from a listing statement: a visitor has read everything (no "new" marks)."""
    signed_in = getattr(user, "is_authenticated", False)
    rows = []
    for row in db.session.execute(statement, {"person": user.id if signed_in else None, **values}):
        author = ListedPerson(row.author_name, row.author_handle)
        thread = ListedThread(
            row.id, row.cluster_id, row.title, row.is_pinned, row.is_locked, row.is_question,
            row.answer_post_id, row.reply_count, row.last_number, row.last_posted_at, author,
            ListedPerson(row.last_name, row.last_handle) if row.last_name is not None else None,
            ListedCluster(row.cluster_name))
        if signed_in:
            rows.append(ThreadRow(thread, row.last_read, row.thread_level or row.cluster_level or "normal"))
        else:
            rows.append(ThreadRow(thread, thread.last_number, "normal"))
    return rows


class _Page(Pagination):
    """Flask-SQLAlchemy's pager over a statement built once: `fetch(limit, offset)` reads the
    page's items and `total` says how many there are (known without a `COUNT(*)`)."""

    def _query_items(self):
        return self._query_args["fetch"](self.per_page, self._query_offset)

    def _query_count(self):
        return self._query_args["total"]


def cluster_threads(cluster, user, page, total):
    """A page of the cluster's threads (pinned first, then latest activity) as ThreadRows, in one
    statement. `total` is how many there are: the cluster's kept count (`cluster_with_facts`), as a
    `COUNT(*)` over the listing grew with the cluster."""
    pagination = _Page(page=page, per_page=THREADS_PER_PAGE, error_out=False, total=total,
                       fetch=lambda limit, offset: _thread_rows(
                           _CLUSTER_PAGE, user, {"cluster": cluster.id, "limit": limit, "offset": offset}))
    return pagination, pagination.items


def preview_titles(cluster, limit=5):
    """What a member who may join an open cluster sees before joining: the latest threads' titles,
    reply counts and activity (columns only: no post text, no people)."""
    return db.session.execute(
        select(Thread.title, Thread.reply_count, Thread.last_posted_at)
        .where(Thread.cluster_id == cluster.id, Thread.removed_at.is_(None))
        .order_by(Thread.last_posted_at.desc(), Thread.id.desc()).limit(limit)).all()


@functools.lru_cache(maxsize=128)
def _latest_of_each(clusters):
    """The latest threads across `clusters` clusters (bound as :c0, :c1, …), with what a list
    shows of them: each cluster's latest `:per_cluster` (a backward range of
    `ix_forum_threads_cluster_latest`), merged. Its cost grows with how many clusters a person is
    in, not with how many threads those clusters hold (one `ORDER BY` over them all sorted every
    thread of every cluster)."""
    branches = " UNION ALL ".join(
        f"SELECT id, last_posted_at FROM (SELECT id, last_posted_at FROM forum_threads "
        f"WHERE cluster_id = :c{n} AND removed_at IS NULL "
        f"ORDER BY last_posted_at DESC, id DESC LIMIT :per_cluster) AS of_{n}"
        for n in range(clusters))
    return _listed_as(text(f"{branches} ORDER BY last_posted_at DESC, id DESC LIMIT :per_cluster"))


def _listed_as(latest):
    """The listing of the threads a statement of (id, last_posted_at) names, in its order."""
    latest = latest.columns(column("id"), column("last_posted_at")).subquery("latest")
    return _LISTED.join(latest, latest.c.id == Thread.id).order_by(latest.c.last_posted_at.desc(), latest.c.id.desc())


#: Up to this many clusters their latest threads are merged (SQLite allows 500 terms in a
#: compound SELECT); a person in more has them sorted together, as one query.
MERGED_UP_TO = 200
_ALL_SORTED = (_LISTED.where(Thread.removed_at.is_(None), Thread.cluster_id.in_(bindparam("clusters", expanding=True)))
               .order_by(Thread.last_posted_at.desc(), Thread.id.desc()).limit(bindparam("per_cluster")))
#: The same merge on PostgreSQL, as one statement whatever the number of clusters: each cluster's
#: latest (`LATERAL`), for the clusters in an array. Planning fifty `UNION ALL` branches cost
#: PostgreSQL 4.4 ms, three times their running (1.5 ms), on every home page of a member of 50.
_LATEST_LATERAL = _listed_as(text(
    "SELECT of_each.id, of_each.last_posted_at FROM unnest(CAST(:clusters AS integer[])) AS mine(cluster_id) "
    "CROSS JOIN LATERAL (SELECT id, last_posted_at FROM forum_threads WHERE cluster_id = mine.cluster_id "
    "AND removed_at IS NULL ORDER BY last_posted_at DESC, id DESC LIMIT :per_cluster) AS of_each "
    "ORDER BY of_each.last_posted_at DESC, of_each.id DESC LIMIT :per_cluster"))


def latest_in_clusters(user, limit=8):
    """The latest threads across a person's clusters, leaving out muted ones (ThreadRows)."""
    cluster_ids = sorted(cluster_roles(user))
    if not cluster_ids:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        statement, values = _LATEST_LATERAL, {"clusters": cluster_ids}
    elif len(cluster_ids) <= MERGED_UP_TO:
        statement = _latest_of_each(len(cluster_ids))
        values = {f"c{n}": c for n, c in enumerate(cluster_ids)}
    else:
        statement, values = _ALL_SORTED, {"clusters": cluster_ids}
    rows = _thread_rows(statement, user, {"per_cluster": limit * 2, **values})
    return [row for row in rows if not row.is_muted][:limit]


#: A page of a thread's posts with their authors (joined: one statement, not two), built once, as
#: every thread page reads it: a range of post numbers, read from the (thread, number) index.
_THREAD_POSTS = (Post.in_thread(bindparam("thread")).options(
    load_only(Post.id, Post.thread_id, Post.number, Post.author_id, Post.body_html, Post.created_at, Post.edited_at,
              Post.deleted_at, Post.deleted_by_id, Post.hidden_at, Post.hidden_reason, Post.helpful_count),
    joinedload(Post.author, innerjoin=True).load_only(User.id, User.name, User.handle, User.title, User.county_id,
                                                      User.status, User.role))
                 .where(Post.number > bindparam("after"), Post.number <= bindparam("upto")))


def thread_posts(thread, page):
    """A page of the thread's posts with their authors. Posts are numbered from 1 and never
    removed from the table (a deleted post keeps its place), so the thread's last number is
    their count — no `COUNT(*)` over the posts, whose cost grows with the thread — and page n
    holds the numbers `page_of` puts on it: a range of numbers, not an `OFFSET` (which read
    every post before the page: page 20 of a 400-post thread cost 19 ms on PostgreSQL)."""
    def fetch(limit, offset):
        if offset >= thread.last_number:  # past the end (a number beyond PostgreSQL's integers too)
            return []
        return db.session.scalars(_THREAD_POSTS, {"thread": thread.id, "after": offset, "upto": offset + limit}).all()

    return _Page(page=page, per_page=POSTS_PER_PAGE, error_out=False, total=thread.last_number, fetch=fetch)


def page_of(number):
    """The page of a thread on which post `number` appears (deleted posts keep their place)."""
    return max((number - 1) // POSTS_PER_PAGE + 1, 1)


def answer_of(thread):
    if not thread.answer_post_id:
        return None
    return db.session.scalar(select(Post).where(Post.id == thread.answer_post_id)
                             .options(selectinload(Post.author)))


@dataclass(frozen=True)
class Reading:
    """What one person brings to a page of a thread, read with the thread (`thread_with_reading`)."""

    #: The highest post number they have read; None if they never opened the thread.
    last_read: int | None = None
    #: The level they chose on the thread: "default" when none, "normal" for visitors.
    level: str = "normal"
    #: Ids of the page's posts they marked helpful.
    helpful: frozenset = frozenset()
    #: Whether they have unread notifications about the thread up to the page's last post.
    unread: bool = False


def _reading_statement():
    thread, person = bindparam("thread"), bindparam("person")
    on_page = select(Post.id).where(Post.thread_id == thread, Post.number > bindparam("after"),
                                    Post.number <= bindparam("upto"))
    helpful = (select(func.aggregate_strings(cast(Reaction.post_id, String), ","))
               .where(Reaction.user_id == person, Reaction.post_id.in_(on_page)).scalar_subquery())
    return select(Thread, _read_up_to(person, thread), _chosen_level(person, Watch.thread_id == thread), helpful,
                  exists().where(notify.unread_about_clause(person, thread, bindparam("upto")))
                  ).where(Thread.id == thread)


#: Built once, as the cluster page's facts are.
_READING = _reading_statement()
#: The highest first post number a page may ask about: its last stays within a 32-bit integer
#: (PostgreSQL's), so a page number past any thread reads nothing instead of failing.
_LAST_AFTER = 2 ** 31 - 1 - POSTS_PER_PAGE


def thread_with_reading(thread_id, user, page):
    """The thread (with its cluster; None if there is none) and the person's `Reading` of its page
    `page` (pages below 1 read as the first), in one statement: their position, their level, their
    helpful marks on the page's posts and whether a notification about what the page shows is
    still unread. A visitor's reading is empty."""
    if not getattr(user, "is_authenticated", False):
        return db.session.get(Thread, thread_id), Reading()
    after = min((max(page, 1) - 1) * POSTS_PER_PAGE, _LAST_AFTER)
    row = db.session.execute(_READING, {"thread": thread_id, "person": user.id, "after": after,
                                        "upto": after + POSTS_PER_PAGE}).one_or_none()
    if row is None:
        return None, None
    thread, last_read, level, helpful, unread = row
    return thread, Reading(last_read, level or "default",
                           frozenset(int(i) for i in helpful.split(",")) if helpful else frozenset(), bool(unread))


def recent_posts_by(person, viewer, limit=8):
    """A person's latest visible posts in threads the viewer may see."""
    allowed = access_filter(viewer)
    query = (select(Post).join(Thread, Thread.id == Post.thread_id)
             .join(Cluster, Cluster.id == Thread.cluster_id)
             .where(Post.author_id == person.id, Post.visible(), Thread.removed_at.is_(None))
             .options(selectinload(Post.thread))
             .order_by(Post.created_at.desc(), Post.id.desc()).limit(limit))
    if not allowed.everything:
        query = query.where(or_(Cluster.is_public.is_(True), Cluster.id.in_(allowed.cluster_ids)))
    return db.session.scalars(query).all()


@dataclass(frozen=True)
class ClusterFacts:
    """What a cluster page shows about the cluster and the viewer's place in it."""

    #: Threads listed (the kept count) and active members.
    threads: int
    members: int
    #: The viewer's membership ("facilitator"/"member", "active"/"pending"), None when they have none.
    role: str | None
    status: str | None
    #: The level the viewer chose for the whole cluster, "default" when none.
    level: str
    #: (requests to join waiting, open flags): for those who moderate it.
    pending: int
    open_flags: int


def _facts_statement():
    cluster, person = Cluster.id, bindparam("person")  # each fact of the cluster the statement finds
    mine = and_(ClusterMembership.cluster_id == cluster, ClusterMembership.user_id == person)

    def one(query):
        return query.scalar_subquery()

    return select(
        Cluster,
        one(select(ClusterThreads.threads).where(ClusterThreads.cluster_id == cluster)),
        one(select(func.count()).select_from(ClusterMembership)
            .where(ClusterMembership.cluster_id == cluster, ClusterMembership.status == "active")),
        one(select(ClusterMembership.role).where(mine)),
        one(select(ClusterMembership.status).where(mine)),
        _chosen_level(person, Watch.cluster_id == cluster, Watch.thread_id.is_(None)),
        one(select(func.count()).select_from(ClusterMembership)
            .where(ClusterMembership.cluster_id == cluster, ClusterMembership.status == "pending")),
        one(select(func.count()).select_from(Flag)
            .where(Flag.cluster_id == cluster, Flag.resolved_at.is_(None)))
    ).where(Cluster.slug == bindparam("slug"))


#: Built once: the cluster, its counts and the viewer's membership and level in one statement (each
#: statement costs ~0.3 ms of Python to build and run, although the database answers in 0.02 ms).
_FACTS = _facts_statement()


def cluster_with_facts(slug, user):
    """The cluster named by `slug` (None if there is none) and its ClusterFacts for the cluster
    page, in one statement."""
    person = user.id if getattr(user, "is_authenticated", False) else None
    row = db.session.execute(_FACTS, {"slug": slug, "person": person}).one_or_none()
    if row is None:
        return None, None
    cluster, threads, members, role, status, level, pending, flags = row
    return cluster, ClusterFacts(threads or 0, members, role, status,
                                 level or ("default" if person is not None else "normal"), pending, flags)


def members_of(cluster):
    """Active memberships (facilitators first) and pending requests, people loaded."""
    memberships = db.session.scalars(
        select(ClusterMembership).where(ClusterMembership.cluster_id == cluster.id,
                                        ClusterMembership.status.in_(("active", "pending")))
        .options(selectinload(ClusterMembership.user))
        .order_by(ClusterMembership.role.desc(), ClusterMembership.created_at)).all()
    active = [m for m in memberships if m.status == "active"]
    pending = [m for m in memberships if m.status == "pending"]
    return sorted(active, key=lambda m: (m.role != "facilitator", m.user.name)), pending


def cluster_overview(user):
    """Every cluster with its thread and member counts and the person's standing in it, as
    (the person's clusters, the others): active before archived, public first, then by name."""
    from sqlalchemy import func

    counts = dict(db.session.execute(select(ClusterThreads.cluster_id, ClusterThreads.threads)).all())
    members = dict(db.session.execute(
        select(ClusterMembership.cluster_id, func.count()).where(ClusterMembership.status == "active")
        .group_by(ClusterMembership.cluster_id)).all())
    standing = {}
    if getattr(user, "is_authenticated", False):
        standing = dict(db.session.execute(select(ClusterMembership.cluster_id,
                                                  ClusterMembership.status).where(
            ClusterMembership.user_id == user.id)).all())
    clusters = db.session.scalars(select(Cluster).order_by(Cluster.archived_at.is_not(None),
                                                           Cluster.is_public.desc(), Cluster.name)).all()
    rows = [(c, counts.get(c.id, 0), members.get(c.id, 0), standing.get(c.id)) for c in clusters]
    return ([row for row in rows if row[3] == "active"], [row for row in rows if row[3] != "active"])
