"""Writing in the forums: checking, rendering and saving threads and posts, marks and reading.

Every function checks the permission policy, changes objects and flushes; the caller commits.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ... import audit, guard
from ...accounts.models import User
from ...extensions import db
from ...permissions import NotAllowed, can
from ...timeutil import utcnow
from .. import markup, notify, provides
from ..models import ForumError, Post, PostRevision, Reaction, ReadState, Thread

MIN_TITLE = 5
MAX_TITLE = 200
#: The same words posted again by the same person this soon are the same post sent twice (a
#: double click, a resend after a slow answer): the first is kept and shown, no second is made.
RESENT_WITHIN = timedelta(minutes=10)


def _require(allowed, message="You may not do that."):
    if not allowed:
        raise NotAllowed(message)


def max_post_chars():
    return current_app.config.get("FORUM_MAX_POST_CHARS", 20000)


def check_body(body):
    """Refuse empty and over-long posts (the confidentiality guard runs on title and body together)."""
    text = (body or "").strip()
    if not text:
        raise ForumError("Write something before posting: the post is empty.", "body")
    limit = max_post_chars()
    if len(text) > limit:
        raise ForumError(f"Posts can be at most {limit:,} characters; this one has {len(text):,}. "
                         "Shorten it or split it into two replies.", "body")
    return text


def check_title(title):
    title = " ".join((title or "").split())
    if len(title) < MIN_TITLE:
        raise ForumError(f"Give the thread a title of at least {MIN_TITLE} characters.", "title")
    if len(title) > MAX_TITLE:
        raise ForumError(f"Titles can be at most {MAX_TITLE} characters.", "title")
    return title


def _mentioned_people(source):
    """{mention key: User} for active people mentioned in `source`."""
    mentions = markup.find_mentions(source)
    handles = {value for kind, value in mentions if kind == "handle"}
    names = {value.lower() for kind, value in mentions if kind == "name"}
    if not handles and not names:
        return {}
    people = db.session.scalars(select(User).where(
        User.status == "active",
        or_(User.handle.in_(handles), func.lower(User.name).in_(names)))).all()
    found = {}
    for person in people:
        if person.handle in handles:
            found[("handle", person.handle)] = person
        if person.name.lower() in names:
            found[("name", person.name.lower())] = person
    return found


def _render(source):
    people = _mentioned_people(source)
    return markup.render(source, people), set(people.values())


def preview_html(source, viewer):
    """The HTML a post with this source would show `viewer` (cards included), for previews;
    nothing is saved or notified."""
    stored = _render(source)[0]
    return markup.show_cards(stored, markup.cards_for([stored], viewer))


def lock_thread(thread_id):
    """Load the thread row with FOR UPDATE (PostgreSQL): its post numbers are given one at a time.

    Read afresh (`populate_existing`), so the number, lock and removal seen are the current ones.
    """
    return db.session.execute(
        select(Thread).where(Thread.id == thread_id).with_for_update(of=Thread)
        .execution_options(populate_existing=True)).scalar_one()


def _sent_before(author, source, thread_id=None, cluster_id=None, title=None):
    """This person's visible post with these very words, posted within `RESENT_WITHIN`: in the
    thread, or (`cluster_id`, `title`) as the opening post of a thread of that title."""
    query = (select(Post).join(Thread, Thread.id == Post.thread_id)
             .where(Post.author_id == author.id, Post.body_source == source, Post.visible(),
                    Post.created_at >= utcnow() - RESENT_WITHIN)
             .order_by(Post.id.desc()).limit(1))
    if thread_id is not None:
        query = query.where(Post.thread_id == thread_id)
    else:
        query = query.where(Thread.cluster_id == cluster_id, Thread.title == title, Post.number == 1)
    return db.session.scalar(query)


def _add_post(thread, author, source, reply_to=None, confirmed=False):
    html, mentioned = _render(source)
    post = Post(thread=thread, number=thread.next_number(), author_id=author.id,
                reply_to_id=reply_to.id if reply_to is not None else None, body_source=source,
                body_html=html, guard_confirmed=bool(confirmed),
                created_at=utcnow())
    post.author = author
    db.session.add(post)
    thread.last_posted_at, thread.last_poster_id = post.created_at, author.id
    db.session.flush()
    return post, mentioned


def start_thread(cluster, author, title, body, is_question=False, confirmed=False):
    """Open a thread with its first post; the author watches it and has read it.

    The same thread sent again (same cluster, title and words, within `RESENT_WITHIN`) is the
    one already opened: the cluster's row is locked first, so a double click opens one thread.
    """
    _require(can(author, "post", cluster), "Join the cluster to start a thread.")
    title = check_title(title)
    source = check_body(body)
    db.session.refresh(cluster, with_for_update={"of": type(cluster)})
    earlier = _sent_before(author, source, cluster_id=cluster.id, title=title)
    if earlier is not None:
        return earlier.thread
    confirmed = bool(guard.screen({"title": title, "body": source}, confirmed))
    thread = Thread(cluster=cluster, author_id=author.id, title=title, is_question=is_question,
                    last_posted_at=utcnow(), last_poster_id=author.id)
    db.session.add(thread)
    post, mentioned = _add_post(thread, author, source, confirmed=confirmed)
    notify.watch_on_participation(author, thread)
    mark_read(thread, author, post.number)
    notify.new_post(post, mentioned)
    provides.threads_changed([thread.id], narrowed=False)
    return thread


def can_reply(user, thread):
    if thread.is_removed or not can(user, "post", thread.cluster):
        return False
    return not thread.is_locked or can(user, "moderate", thread)


def post_reply(thread, author, body, reply_to=None, confirmed=False):
    """Add a reply (optionally to a given post); notify the people who should hear of it.

    The thread's row is locked first: replies to one thread take their numbers one at a time.
    The same words sent again by the same person within `RESENT_WITHIN` are the reply already
    posted (returned; nothing new is made or notified).
    """
    _require(can(author, "view", thread), "You cannot see this thread.")
    thread = lock_thread(thread.id)
    if thread.is_locked and can(author, "post", thread.cluster) and not can(author, "moderate", thread):
        raise ForumError("This thread is locked: it takes no new replies.")
    _require(can_reply(author, thread), "Join the cluster to reply.")
    if reply_to is not None and (reply_to.thread_id != thread.id or not reply_to.is_visible):
        reply_to = None
    source = check_body(body)
    earlier = _sent_before(author, source, thread_id=thread.id)
    if earlier is not None:
        return earlier
    confirmed = bool(guard.screen({"body": source}, confirmed))
    post, mentioned = _add_post(thread, author, source, reply_to, confirmed)
    thread.reply_count = Thread.reply_count + 1  # in SQL: exact beside a concurrent removal
    notify.watch_on_participation(author, thread)
    mark_read(thread, author, post.number)
    notify.new_post(post, mentioned)
    provides.threads_changed([thread.id], narrowed=False)
    return post


def _not_archived(thread):
    """An archived cluster's threads stay as they were: no edits, helpful marks or answers
    (deleting one's own post, and moderators hiding or redacting, still work)."""
    if thread.cluster.is_archived:
        raise ForumError("This cluster is archived: its threads are kept as they are.")


def edit_post(post, editor, body, title=None, confirmed=False):
    """Change a post, keeping the earlier version; newly mentioned people are notified."""
    _require(can(editor, "edit", post) and post.is_visible, "You may not edit this post.")
    _not_archived(post.thread)
    # Read afresh under a lock: two edits at once are kept one after the other in the history,
    # so the first one's words are never lost.
    db.session.refresh(post, with_for_update=True)
    _require(post.is_visible, "You may not edit this post.")
    thread = post.thread
    source = check_body(body)
    new_title = check_title(title) if post.is_opening and title is not None else thread.title
    confirmed = bool(guard.screen({"title": new_title, "body": source}
                                  if post.is_opening else {"body": source}, confirmed))
    if source == post.body_source and new_title == thread.title:
        return post
    db.session.add(PostRevision(post_id=post.id, body_source=post.body_source,
                                title=thread.title if post.is_opening else "",
                                written_at=post.edited_at or post.created_at,
                                written_by_id=post.edited_by_id or post.author_id,
                                replaced_by_id=editor.id))
    before = set(_mentioned_people(post.body_source).values())
    post.body_html, mentioned = _render(source)
    post.body_source, post.edited_at, post.edited_by_id = source, utcnow(), editor.id
    post.guard_confirmed = confirmed
    thread.title = new_title
    if editor.id != post.author_id:
        audit.record(editor, "post.edit", "post", post.id, f"edited post #{post.number}",
                     thread.cluster_id)
    db.session.flush()
    notify.new_mentions(post, mentioned - before)
    provides.threads_changed([thread.id])
    return post


def revisions_of(post, viewer):
    """Earlier versions of a post, newest first (moderators only)."""
    _require(can(viewer, "moderate", post), "Only moderators see earlier versions.")
    return db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                              .order_by(PostRevision.replaced_at.desc(), PostRevision.id.desc())).all()


def _take_out(post):
    """Bookkeeping when a post stops being visible."""
    thread = post.thread
    if post.is_opening:
        thread.removed_at = utcnow()
        provides.threads_removed([thread.id])
    else:
        thread.reply_count = case((Thread.reply_count > 0, Thread.reply_count - 1), else_=0)
        if thread.answer_post_id == post.id:
            thread.answer_post_id = None
        provides.threads_changed([thread.id])


def delete_post(post, actor):
    """Soft-delete: the thread keeps a "post removed" placeholder in its place."""
    _require(can(actor, "delete", post), "You may not delete this post.")
    db.session.refresh(post, with_for_update=True)  # a double click removes (and counts) once
    if post.deleted_at is not None:
        return post
    was_visible = post.is_visible
    post.deleted_at, post.deleted_by_id = utcnow(), actor.id
    if actor.id != post.author_id:
        audit.record(actor, "post.delete", "post", post.id, f"deleted post #{post.number}",
                     post.thread.cluster_id)
    if was_visible:
        _take_out(post)
    db.session.flush()
    return post


def toggle_helpful(post, user):
    """Mark a post helpful, or take the mark back. Returns True when it is now marked."""
    _require(can(user, "view", post) and user.is_authenticated, "You cannot see this post.")
    if post.author_id == user.id:
        raise ForumError("You cannot mark your own post as helpful.")
    if not post.is_visible:
        raise ForumError("This post was removed.")
    _not_archived(post.thread)
    # One mark per person: their clicks on this post are decided one at a time (a double click
    # marks and unmarks instead of failing on the unique constraint).
    db.session.execute(select(Post.id).where(Post.id == post.id).with_for_update())
    existing = db.session.scalar(select(Reaction).where(Reaction.post_id == post.id,
                                                        Reaction.user_id == user.id))
    if existing is not None:
        db.session.delete(existing)
        delta = -1
    else:
        db.session.add(Reaction(post_id=post.id, user_id=user.id))
        delta = 1
    db.session.execute(update(Post).where(Post.id == post.id)
                       .values(helpful_count=Post.helpful_count + delta))
    db.session.flush()
    db.session.refresh(post, ["helpful_count"])
    return delta > 0


def can_mark_answer(user, thread):
    return (thread.is_question and can(user, "view", thread)
            and (user.id == thread.author_id or can(user, "moderate", thread)))


def answerable_posts(user, thread, posts):
    """Ids of the replies among `posts` that `user` may mark (or unmark) as the answer."""
    if not getattr(user, "is_authenticated", False) or not can_mark_answer(user, thread):
        return set()
    return {post.id for post in posts if post is not None and post.number > 1
            and (post.author_id != user.id or user.id == thread.author_id)}


def mark_answer(thread, post, actor):
    """The asker or a facilitator marks a reply as the answer (again to unmark it); a
    facilitator never accepts her own reply to someone else's question."""
    _require(can_mark_answer(actor, thread), "Only the asker or a facilitator marks the answer.")
    _not_archived(thread)
    thread = lock_thread(thread.id)  # a double click toggles twice, never notifies twice
    if post.thread_id != thread.id or post.is_opening or not post.is_visible:
        raise ForumError("Only a visible reply in this thread can be the answer.")
    if thread.answer_post_id == post.id:
        thread.answer_post_id = None
        db.session.flush()
        return False
    if post.author_id == actor.id and actor.id != thread.author_id:
        raise ForumError("You cannot accept your own reply as the answer to someone else's "
                         "question: the asker (or another facilitator) decides.")
    thread.answer_post_id = post.id
    if post.author_id != actor.id:
        notify.add(post.author, "answer", actor=actor, cluster=thread.cluster, thread=thread,
                   post=post)
    db.session.flush()
    return True


def mark_read(thread, user, number, read_before=None, unread=True):
    """Remember that `user` has read `thread` up to post `number` (never moves backwards), and
    mark their notifications about the posts read so far read. Returns whether anything was
    written.

    `read_before` and `unread`: what this request read of the person (`queries.thread_with_reading`):
    their position (None: not read, or never opened) and whether they have notifications about the
    thread up to `number` still unread. A page read before,
    by someone with no unread notification about it, writes nothing; otherwise two tabs may open the
    thread at once: the row is inserted if missing (ON CONFLICT DO NOTHING) and then only ever
    raised, both in SQL.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if read_before is not None and read_before >= number and not unread:
        return False
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(ReadState).values(
        user_id=user.id, thread_id=thread.id, last_read_number=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "thread_id"]))
    db.session.execute(update(ReadState).where(
        ReadState.user_id == user.id, ReadState.thread_id == thread.id,
        ReadState.last_read_number < number).values(last_read_number=number, updated_at=utcnow()))
    notify.mark_thread_read(user, thread, number)
    return True
