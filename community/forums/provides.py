"""What the forums offer the rest of the site, and the only forums file that touches `content`
and `ui`: search documents, cards for newsletters, link cards and the audit log, sections on the
home, profile and cluster pages, the header's bell, navigation and demo data.

Search gets one document per thread: its title and the text of its visible posts, with the
thread's cluster as its scope (public only for public clusters). Removed threads yield nothing.
Services tell search of changes through `threads_changed`, `threads_removed` and `threads_purged`.
"""
from itertools import groupby

from flask import current_app
from sqlalchemy import select

from .. import content, ui
from ..content import ContentCard, NotPublic, SearchDocument
from ..extensions import db
from ..permissions import CLUSTERS, PUBLIC, can
from . import fragments, notify, queries
from .markup import site_path, to_text
from .models import Post, Thread


def register(app):
    """Plug the forums into the shared layout and the content seams."""
    from . import demo, replies

    ui.add_stylesheet(app, "css/forums.css")
    ui.add_nav(app, "Clusters", "forums.clusters", order=20)
    ui.add_section(app, "home", "forums/_home_latest.html", latest_in_clusters, order=20)
    ui.add_section(app, "profile", "forums/_profile_posts.html", recent_posts, order=20)
    ui.add_header_partial(app, "forums/_bell.html", place="bar", load=bell)
    ui.add_demo_seed(app, "forums", demo.seed_forums, order=20)
    content.register_source(app, "thread", "Discussions", search_documents)
    content.register_provider(app, "forums.public_thread_card", public_thread_card)
    content.register_provider(app, "cards.for_path", card_for_path)
    content.register_provider(app, "audit.targets", audit_targets)
    content.register_provider(app, "cards.for_paths", cards_for_paths)
    content.register_provider(app, "mail.reply_handler", replies.handle)
    content.register_provider(app, "onboarding.steps", onboarding_steps)


def onboarding_steps(user):
    """A newcomer's first forum steps: join a peer cluster, choose how forum e-mail arrives."""
    from flask import url_for

    from ..clusters.models import Cluster, ClusterMembership
    from .models import EmailPreference

    in_peer_cluster = db.session.scalar(
        select(ClusterMembership.id).join(Cluster, Cluster.id == ClusterMembership.cluster_id)
        .where(ClusterMembership.user_id == user.id, ClusterMembership.status == "active",
               Cluster.is_public.is_(False)).limit(1)) is not None
    chose_mail = db.session.scalar(
        select(EmailPreference.user_id).where(EmailPreference.user_id == user.id)) is not None
    return [
        content.ChecklistStep(
            "Join a peer cluster", in_peer_cluster, url_for("forums.clusters"),
            "Peer clusters are where county staff compare notes on one topic, among colleagues.",
            order=10),
        content.ChecklistStep(
            "Choose how forum e-mail reaches you", chose_mail, url_for("forums.settings"),
            "Right away, a daily digest, or only on the site.", order=20),
    ]


# --- Telling search, asking other areas ---------------------------------------------------------

def threads_changed(ids, narrowed=True):
    """Search indexes these threads again once the transaction commits; unless the change only
    added to them (`narrowed=False`: a new reply), they leave the index until then."""
    content.announce_changed("thread", ids, narrowed)


def threads_removed(ids):
    content.announce_removed("thread", ids)


def threads_purged(ids):
    """After a redaction: search drops every trace of the threads' old text."""
    content.announce_purged("thread", ids)


def linked_cards(paths, viewer):
    """{path: ContentCard} for the paths on this site `viewer` may see, asking every area once."""
    found = {}
    for answer in content.provide_all("cards.for_paths", sorted(paths), viewer):
        found.update(answer)
    return found


def cluster_sections(cluster, viewer):
    """Other areas' sections on a cluster page: [(template, context)]."""
    return ui.sections(current_app, "cluster", cluster, viewer)


# --- Sections on shared pages and the header ----------------------------------------------------

def latest_in_clusters(user):
    """Home page: "Latest in your clusters"."""
    rows = queries.latest_in_clusters(user)
    if not rows:
        return None
    return {"rows": rows, "rows_html": fragments.thread_rows_html(rows, "home", show_cluster=True)}


def recent_posts(person, viewer):
    """Profile page: the person's recent posts the viewer may see."""
    posts = queries.recent_posts_by(person, viewer)
    return {"posts": posts, "person": person} if posts else None


def bell(user):
    """The header's bell, for signed-in people: the unread count."""
    if not getattr(user, "is_authenticated", False):
        return None
    return {"unread": notify.unread_count(user)}


# --- Search, cards and the audit log ------------------------------------------------------------

BATCH = 500


def _url(thread):
    return site_path("forums.thread", thread_id=thread.id, slug=thread.slug)


def search_documents(ids=None):
    """Yield a SearchDocument per listed thread (all of them when `ids` is None)."""
    query = select(Thread).where(Thread.removed_at.is_(None)).order_by(Thread.id)
    if ids is not None:
        query = query.where(Thread.id.in_([int(i) for i in ids]))
    threads = db.session.scalars(query).all()
    for start in range(0, len(threads), BATCH):
        batch = threads[start:start + BATCH]
        posts = db.session.scalars(select(Post).where(
            Post.thread_id.in_([t.id for t in batch]), Post.visible())
            .order_by(Post.thread_id, Post.number)).all()
        by_thread = {key: list(group) for key, group in groupby(posts, key=lambda p: p.thread_id)}
        for thread in batch:
            texts = [to_text(p.body_source) for p in by_thread.get(thread.id, [])]
            cluster = thread.cluster
            yield SearchDocument(
                kind="thread", id=str(thread.id), title=thread.title, text="\n".join(texts),
                url=_url(thread), visibility=PUBLIC if cluster.is_public else CLUSTERS,
                cluster_ids=frozenset({cluster.id}), summary=(texts[0][:240] if texts else ""),
                created_at=thread.created_at, updated_at=thread.last_posted_at,
                facets={"cluster": cluster.name, "question": thread.is_question})


def _card(thread):
    replies = f"{thread.reply_count} repl{'y' if thread.reply_count == 1 else 'ies'}"
    return ContentCard(kind="thread", title=thread.title, url=_url(thread),
                       when=thread.last_posted_at, meta=f"Discussion · {thread.cluster.name} · {replies}")


def public_thread_card(thread_id):
    """A card for a thread anyone may read; NotPublic says why not otherwise."""
    thread = db.session.get(Thread, int(thread_id))
    if thread is None:
        raise NotPublic("There is no such thread.")
    if not thread.cluster.is_public:
        raise NotPublic(f"The thread is in {thread.cluster.name}, a private cluster.")
    if thread.is_removed:
        raise NotPublic("The thread was removed.")
    if thread.cluster.is_archived:
        raise NotPublic("The thread's cluster is archived.")
    return _card(thread)


def audit_targets(targets, viewer):
    """{(target type, id): ContentCard} naming the threads and posts audit entries are about.

    Audit entries store only ids; the title shown is read now, so a redacted title shows as
    redacted. Two queries whatever the number of entries.
    """
    post_ids = {ident for kind, ident in targets if kind == "post" and ident is not None}
    thread_ids = {ident for kind, ident in targets if kind == "thread" and ident is not None}
    posts = db.session.scalars(select(Post).where(Post.id.in_(post_ids))).all() if post_ids else []
    thread_ids |= {post.thread_id for post in posts}
    threads = {thread.id: thread for thread in db.session.scalars(
        select(Thread).where(Thread.id.in_(thread_ids)))} if thread_ids else {}
    found = {}
    for thread in threads.values():
        if can(viewer, "view", thread):
            found[("thread", thread.id)] = ContentCard(kind="thread", title=f"“{thread.title}”",
                                                       url=_url(thread))
    for post in posts:
        thread = threads.get(post.thread_id)
        if thread is not None and can(viewer, "view", thread):
            found[("post", post.id)] = ContentCard(
                kind="post", title=f"post #{post.number} in “{thread.title}”",
                url=site_path("forums.thread_post", thread_id=thread.id, number=post.number))
    return found


def card_for_path(path, viewer):
    """A card for a thread path on this site that `viewer` may see, else None."""
    return cards_for_paths([path], viewer).get(path)


def cards_for_paths(paths, viewer):
    """Provider `cards.for_paths`: {path: card} for the thread paths `viewer` may see (one query)."""
    wanted = content.paths_to(paths, {"forums.thread", "forums.thread_post"}, "thread_id")
    if not wanted:
        return {}
    threads = {t.id: t for t in db.session.scalars(select(Thread).where(Thread.id.in_(set(wanted.values()))))}
    found = {}
    for path, thread_id in wanted.items():
        thread = threads.get(thread_id)
        if thread is not None and not thread.is_removed and can(viewer, "view", thread):
            found[path] = _card(thread)
    return found
