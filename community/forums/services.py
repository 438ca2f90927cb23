"""Forum operations: clusters, threads and posts, reading, reactions and moderation.

Every function checks the permission policy, changes objects and flushes; the caller commits.
"""
import re

from flask import current_app
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import audit, content, guard
from ..accounts.models import User
from ..clusters.models import Cluster, ClusterMembership, membership_ended
from ..extensions import db
from ..permissions import NotAllowed, can, forget_cluster_roles
from ..timeutil import utcnow
from . import markup, notify
from .models import Flag, ForumError, Post, PostRevision, Reaction, ReadState, Thread

MIN_TITLE = 5
MAX_TITLE = 200


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


# --- Clusters -------------------------------------------------------------------------------

def join_cluster(cluster, user):
    """Join an open cluster with a click."""
    _require(can(user, "join", cluster), "This cluster is closed or you are already a member.")
    membership = cluster.membership_of(user)
    if membership is None:
        membership = ClusterMembership(cluster=cluster, user_id=user.id)
        db.session.add(membership)
    membership.role, membership.status, membership.decided_at = "member", "active", utcnow()
    db.session.flush()
    forget_cluster_roles(user)
    return membership


def request_to_join(cluster, user):
    """Ask to join a closed cluster; its facilitators are notified."""
    membership = cluster.membership_of(user)
    if membership is not None and membership.status == "pending":
        raise ForumError("Your request is already waiting for a facilitator.")
    _require(can(user, "request_join", cluster), "You cannot ask to join this cluster.")
    if membership is None:
        membership = ClusterMembership(cluster=cluster, user_id=user.id)
        db.session.add(membership)
    membership.role, membership.status = "member", "pending"
    membership.created_at, membership.decided_at, membership.decided_by_id = utcnow(), None, None
    db.session.flush()
    for facilitator in facilitators_of(cluster):
        notify.add(facilitator, "join_request", actor=user, cluster=cluster)
    return membership


def decide_join_request(membership, decider, approve):
    """Approve or decline a pending request; the person hears either way."""
    cluster = membership.cluster
    _require(can(decider, "moderate", cluster), "Only the cluster's facilitators decide requests.")
    db.session.refresh(membership, with_for_update=True)  # two facilitators at once: one decides
    if membership.status != "pending":
        raise ForumError("That request was already decided.")
    membership.status = "active" if approve else "declined"
    membership.decided_at, membership.decided_by_id = utcnow(), decider.id
    verb = "approve" if approve else "decline"
    audit.record(decider, f"cluster.{verb}_member", "user", membership.user_id,
                 f"{verb}d {membership.user.name} in {cluster.name}", cluster_id=cluster.id)
    notify.add(membership.user, "join_approved" if approve else "join_declined", actor=decider,
               cluster=cluster)
    db.session.flush()
    forget_cluster_roles(membership.user)
    return membership


def leave_cluster(cluster, user):
    _require(can(user, "leave", cluster), "You are not a member of this cluster.")
    membership = cluster.membership_of(user)
    was_active = membership.status == "active"
    db.session.delete(membership)
    db.session.flush()
    forget_cluster_roles(user)
    if was_active:
        membership_ended.send(cluster, user=user, reason="left")


def remove_member(cluster, person, actor):
    """A facilitator (or admin) takes a member out of the cluster; organizers also remove
    facilitators. The person is told in the app; what the membership gave ends with it."""
    _require(can(actor, "moderate", cluster), "Only the cluster's facilitators remove members.")
    membership = cluster.membership_of(person)
    if membership is None or membership.status != "active":
        raise ForumError(f"{person.name} is not a member of {cluster.name}.")
    if person.id == actor.id:
        raise ForumError("To leave the cluster yourself, use Leave on the cluster page.")
    if membership.role == "facilitator" and not can(actor, "manage", cluster):
        raise ForumError("Only organizers and admins remove a facilitator.")
    db.session.delete(membership)
    audit.record(actor, "cluster.remove_member", "user", person.id,
                 f"removed {person.name} from {cluster.name}", cluster_id=cluster.id)
    notify.add(person, "member_removed", actor=actor, cluster=cluster)
    db.session.flush()
    forget_cluster_roles(person)
    membership_ended.send(cluster, user=person, reason="removed")


def set_member_role(cluster, person, role, actor):
    """Appoint a member as facilitator, or make a facilitator a member again."""
    _require(can(actor, "manage", cluster), "Only organizers and admins appoint facilitators.")
    if role not in ClusterMembership.ROLES:
        raise ForumError("Unknown role.")
    membership = cluster.membership_of(person)
    if membership is None or membership.status != "active":
        raise ForumError(f"{person.name} is not a member of {cluster.name}.")
    membership.role = role
    audit.record(actor, "cluster.set_role", "user", person.id,
                 f"{person.name} is now {role} of {cluster.name}", cluster_id=cluster.id)
    db.session.flush()
    forget_cluster_roles(person)
    return membership


def _unique_slug(name, exclude_id=None):
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "cluster"
    slug, n = base, 1
    while db.session.scalar(select(Cluster.id).where(Cluster.slug == slug,
                                                     Cluster.id != (exclude_id or 0))):
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_cluster(actor, name, description, is_open=True, is_public=False):
    """A new cluster; the organizer who creates it facilitates it until they appoint others."""
    _require(can(actor, "create_cluster"), "Only organizers and admins create clusters.")
    name = " ".join(name.split())
    if db.session.scalar(select(Cluster.id).where(func.lower(Cluster.name) == name.lower())):
        raise ForumError(f"A cluster called {name} already exists.")
    cluster = Cluster(slug=_unique_slug(name), name=name, description=description.strip(),
                      is_open=is_open, is_public=is_public, created_by_id=actor.id)
    cluster.memberships.append(ClusterMembership(user_id=actor.id, role="facilitator",
                                                 status="active", decided_at=utcnow()))
    db.session.add(cluster)
    db.session.flush()
    audit.record(actor, "cluster.create", "cluster", cluster.id, f"created {name}", cluster.id)
    forget_cluster_roles(actor)
    return cluster


def update_cluster(cluster, actor, name, description, is_open, is_public):
    _require(can(actor, "manage", cluster), "Only organizers and admins change clusters.")
    name = " ".join(name.split())
    clash = db.session.scalar(select(Cluster.id).where(func.lower(Cluster.name) == name.lower(),
                                                       Cluster.id != cluster.id))
    if clash:
        raise ForumError(f"A cluster called {name} already exists.")
    was_public = cluster.is_public
    cluster.name, cluster.description = name, description.strip()
    cluster.is_open, cluster.is_public = is_open, is_public
    audit.record(actor, "cluster.update", "cluster", cluster.id, f"updated {name}", cluster.id)
    db.session.flush()
    if was_public != is_public:  # every thread's visibility changed for search
        ids = db.session.scalars(select(Thread.id).where(Thread.cluster_id == cluster.id)).all()
        if ids:
            content.announce_changed("thread", ids)
    return cluster


def set_cluster_archived(cluster, actor, archived):
    _require(can(actor, "manage", cluster), "Only organizers and admins archive clusters.")
    cluster.archived_at = utcnow() if archived else None
    verb = "archive" if archived else "unarchive"
    audit.record(actor, f"cluster.{verb}", "cluster", cluster.id, f"{verb}d {cluster.name}",
                 cluster.id)
    db.session.flush()


def facilitators_of(cluster):
    return db.session.scalars(select(User).join(ClusterMembership, ClusterMembership.user_id == User.id)
                              .where(ClusterMembership.cluster_id == cluster.id,
                                     ClusterMembership.status == "active",
                                     ClusterMembership.role == "facilitator")).all()


# --- Threads and posts ----------------------------------------------------------------------

def lock_thread(thread_id):
    """Load the thread row with FOR UPDATE (PostgreSQL): its post numbers are given one at a time.

    Read afresh (`populate_existing`), so the number, lock and removal seen are the current ones.
    """
    return db.session.execute(
        select(Thread).where(Thread.id == thread_id).with_for_update(of=Thread)
        .execution_options(populate_existing=True)).scalar_one()


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
    """Open a thread with its first post; the author watches it and has read it."""
    _require(can(author, "post", cluster), "Join the cluster to start a thread.")
    title = check_title(title)
    source = check_body(body)
    confirmed = bool(guard.screen({"title": title, "body": source}, confirmed))
    thread = Thread(cluster=cluster, author_id=author.id, title=title, is_question=is_question,
                    last_posted_at=utcnow(), last_poster_id=author.id)
    db.session.add(thread)
    post, mentioned = _add_post(thread, author, source, confirmed=confirmed)
    notify.watch_on_participation(author, thread)
    mark_read(thread, author, post.number)
    notify.new_post(post, mentioned)
    content.announce_changed("thread", [thread.id])
    return thread


def can_reply(user, thread):
    if thread.is_removed or not can(user, "post", thread.cluster):
        return False
    return not thread.is_locked or can(user, "moderate", thread)


def post_reply(thread, author, body, reply_to=None, confirmed=False):
    """Add a reply (optionally to a given post); notify the people who should hear of it.

    The thread's row is locked first: replies to one thread take their numbers one at a time.
    """
    _require(can(author, "view", thread), "You cannot see this thread.")
    thread = lock_thread(thread.id)
    if thread.is_locked and can(author, "post", thread.cluster) and not can(author, "moderate", thread):
        raise ForumError("This thread is locked: it takes no new replies.")
    _require(can_reply(author, thread), "Join the cluster to reply.")
    if reply_to is not None and (reply_to.thread_id != thread.id or not reply_to.is_visible):
        reply_to = None
    source = check_body(body)
    confirmed = bool(guard.screen({"body": source}, confirmed))
    post, mentioned = _add_post(thread, author, source, reply_to, confirmed)
    thread.reply_count = Thread.reply_count + 1  # in SQL: exact beside a concurrent removal
    notify.watch_on_participation(author, thread)
    mark_read(thread, author, post.number)
    notify.new_post(post, mentioned)
    content.announce_changed("thread", [thread.id])
    return post


def edit_post(post, editor, body, title=None, confirmed=False):
    """Change a post, keeping the earlier version; newly mentioned people are notified."""
    _require(can(editor, "edit", post) and post.is_visible, "You may not edit this post.")
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
    content.announce_changed("thread", [thread.id])
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
        content.announce_removed("thread", [thread.id])
    else:
        thread.reply_count = case((Thread.reply_count > 0, Thread.reply_count - 1), else_=0)
        if thread.answer_post_id == post.id:
            thread.answer_post_id = None
        content.announce_changed("thread", [thread.id])


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


def mark_answer(thread, post, actor):
    """The asker or a facilitator marks a reply as the answer (again to unmark it)."""
    _require(can_mark_answer(actor, thread), "Only the asker or a facilitator marks the answer.")
    thread = lock_thread(thread.id)  # a double click toggles twice, never notifies twice
    if post.thread_id != thread.id or post.is_opening or not post.is_visible:
        raise ForumError("Only a visible reply in this thread can be the answer.")
    if thread.answer_post_id == post.id:
        thread.answer_post_id = None
        db.session.flush()
        return False
    thread.answer_post_id = post.id
    if post.author_id != actor.id:
        notify.add(post.author, "answer", actor=actor, cluster=thread.cluster, thread=thread,
                   post=post)
    db.session.flush()
    return True


def mark_read(thread, user, number):
    """Remember that `user` has read `thread` up to post `number` (never moves backwards).

    Two tabs may open the thread at once: the row is inserted if missing (ON CONFLICT DO
    NOTHING) and then only ever raised, both in SQL.
    """
    if not getattr(user, "is_authenticated", False):
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(ReadState).values(
        user_id=user.id, thread_id=thread.id, last_read_number=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "thread_id"]))
    db.session.execute(update(ReadState).where(
        ReadState.user_id == user.id, ReadState.thread_id == thread.id,
        ReadState.last_read_number < number).values(last_read_number=number, updated_at=utcnow()))


# --- Moderation -----------------------------------------------------------------------------

def _moderate(thread, actor):
    _require(can(actor, "moderate", thread), "Only the cluster's facilitators and admins moderate.")


def _set_thread_state(thread, actor, attribute, on, verb):
    """Pin or lock (and undo it), with an audit entry naming the act."""
    _moderate(thread, actor)
    setattr(thread, attribute, on)
    action = verb if on else f"un{verb}"
    done = f"{action}ned" if verb == "pin" else f"{action}ed"
    audit.record(actor, f"thread.{action}", "thread", thread.id, f"{done} the thread",
                 thread.cluster_id)
    db.session.flush()


def set_pinned(thread, actor, pinned):
    _set_thread_state(thread, actor, "is_pinned", pinned, "pin")


def set_locked(thread, actor, locked):
    _set_thread_state(thread, actor, "is_locked", locked, "lock")


def move_thread(thread, actor, target):
    """Move a thread to another cluster the moderator may moderate; search follows."""
    _moderate(thread, actor)
    _require(can(actor, "moderate", target), "You can only move threads to clusters you moderate.")
    if target.id == thread.cluster_id:
        raise ForumError("The thread is already in that cluster.")
    if target.is_archived:
        raise ForumError("Archived clusters take no threads.")
    source = thread.cluster
    thread.cluster = target
    db.session.execute(update(Flag).where(Flag.post_id.in_(select(Post.id).where(
        Post.thread_id == thread.id))).values(cluster_id=target.id))
    audit.record(actor, "thread.move", "thread", thread.id,
                 f"moved the thread from {source.name} to {target.name}", source.id)
    db.session.flush()
    content.announce_changed("thread", [thread.id])


def hide_post(post, actor, reason, confirmed=False):
    """A moderator hides a post; the reason shows in its placeholder."""
    _moderate(post.thread, actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ForumError("Give a reason for hiding the post; the author and members will see it.")
    guard.screen({"reason": reason}, confirmed)
    db.session.refresh(post, with_for_update=True)  # two moderators at once: counted once
    was_visible = post.is_visible
    post.hidden_at, post.hidden_by_id, post.hidden_reason = utcnow(), actor.id, reason[:300]
    for flag in db.session.scalars(select(Flag).where(Flag.post_id == post.id,
                                                      Flag.resolved_at.is_(None))):
        flag.resolved_at, flag.resolved_by_id, flag.resolution = utcnow(), actor.id, "hidden"
    audit.record(actor, "post.hide", "post", post.id, f"hid post #{post.number}: {reason[:120]}",
                 post.thread.cluster_id)
    if was_visible:
        _take_out(post)
    db.session.flush()


def unhide_post(post, actor):
    _moderate(post.thread, actor)
    db.session.refresh(post, with_for_update=True)
    if post.hidden_at is None:
        return
    post.hidden_at, post.hidden_by_id, post.hidden_reason = None, None, ""
    thread = post.thread
    if post.deleted_at is None:
        if post.is_opening:
            thread.removed_at = None
        else:
            thread.reply_count = Thread.reply_count + 1
        content.announce_changed("thread", [thread.id])
    audit.record(actor, "post.unhide", "post", post.id, f"restored post #{post.number}",
                 thread.cluster_id)
    db.session.flush()


def flag_post(post, member, reason, confirmed=False):
    """A member asks the facilitators to look at a post."""
    _require(can(member, "view", post) and can(member, "post", post.thread.cluster),
             "Only cluster members flag posts.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ForumError("Say briefly why this post needs a facilitator's look.")
    guard.screen({"reason": reason}, confirmed)
    if db.session.scalar(select(Flag.id).where(Flag.post_id == post.id,
                                               Flag.flagged_by_id == member.id,
                                               Flag.resolved_at.is_(None))):
        raise ForumError("You already flagged this post; a facilitator will look at it.")
    flag = Flag(post_id=post.id, cluster_id=post.thread.cluster_id, flagged_by_id=member.id,
                reason=reason[:500])
    db.session.add(flag)
    db.session.flush()
    return flag


def dismiss_flag(flag, actor):
    _moderate(flag.post.thread, actor)
    flag.resolved_at, flag.resolved_by_id, flag.resolution = utcnow(), actor.id, "dismissed"
    audit.record(actor, "flag.dismiss", "post", flag.post_id,
                 f"dismissed a flag on post #{flag.post.number}", flag.cluster_id)
    db.session.flush()


# --- Redaction ------------------------------------------------------------------------------
#
# Hiding leaves client data in the database; redaction purges it from everywhere the site keeps
# a copy: the post, its earlier versions, replies' quotes of it, links that carry the old slug,
# flag and hide reasons and audit summaries that repeat it, e-mail not yet sent (rendered when
# sent, see notify) and the search index (optimized so no trace stays in its files).

#: What a redacted post (and each of its earlier versions) says instead.
REDACTED_POST = "[removed by a moderator: client information]"
#: What earlier titles in the edit history say after the thread's title is redacted.
REDACTED_TITLE = "[title removed by a moderator]"
#: What a flag or hide reason that repeated the removed text says instead.
REDACTED_NOTE = "[removed by a moderator with a redaction]"
#: Short words that never count as repeating removed text.
_COMMON_WORDS = frozenset("""
a an and are as at be but by for from had has have he her his i if in into is it its me my no not
of on or our she so that the their them then there they this to was we were what when which who
will with you your about after also any been before both can could did does each had just more
most other over same some such than these those very would post thread title reply client family
""".split())
_WORD = re.compile(r"\w+")


class _Traces:
    """What of a removed text may not appear again: distinctive words and four-word runs.

    :param names_only: when everything was removed, count only words that look like names or
        numbers (capitalized inside a sentence, or with digits), not every word of the post.
    """

    def __init__(self, removed_texts, kept_text, names_only):
        kept_words = [w.lower() for w in _WORD.findall(kept_text)]
        kept, kept_runs = set(kept_words), _runs(kept_words)
        self.words, self.runs = set(), set()
        for text in removed_texts:
            matches = list(_WORD.finditer(text or ""))
            self.runs |= _runs([m.group().lower() for m in matches]) - kept_runs
            for match in matches:
                word = match.group()
                if word.lower() in kept or word.lower() in _COMMON_WORDS or len(word) < 3:
                    continue
                if not names_only or any(c.isdigit() for c in word) or _looks_like_name(text, match):
                    self.words.add(word.lower())

    def found_in(self, text):
        """The first removed word or run that `text` repeats, or None."""
        lowered = [w.lower() for w in _WORD.findall(text or "")]
        for word in lowered:
            if word in self.words:
                return word
        for run in sorted(_runs(lowered) & self.runs):
            return " ".join(run)
        return None


def _runs(words, size=4):
    """Runs of `size` words, leaving out runs of only common words ("in the name of")."""
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)
            if any(w not in _COMMON_WORDS and len(w) > 2 for w in words[i:i + size])}


def _looks_like_name(text, match):
    """A capitalized word that does not start a sentence or a line."""
    word, before = match.group(), text[:match.start()].rstrip(" \t")
    return (word[0].isupper() and word[1:].islower() and bool(before)
            and before[-1] not in ".!?:>*#-\n(\"“")


def _check_redaction_reason(reason, traces):
    """The moderator's reason, refused when it repeats what is being removed."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ForumError("Say why you redact (for example “a child's full name”); the reason is "
                         "kept in the audit log.", "reason")
    if len(reason) > 300:
        raise ForumError("Keep the reason under 300 characters.", "reason")
    repeated = traces.found_in(reason)
    if repeated is not None or guard.check(reason):
        raise ForumError("The reason repeats what is being removed"
                         f"{f' (“{repeated}”)' if repeated else ''}. Describe the kind of "
                         "information instead, without the information itself.", "reason")
    return reason


def _scrub_references(traces, post_ids, thread_id, replace_titles=()):
    """Flag reasons, hide reasons and audit summaries about these posts and this thread that
    repeat removed text lose it (replaced by a note; old titles by “the thread”)."""
    from ..audit import AuditEntry

    for flag in db.session.scalars(select(Flag).where(Flag.post_id.in_(post_ids))):
        if traces.found_in(flag.reason):
            flag.reason = REDACTED_NOTE
    for hidden in db.session.scalars(select(Post).where(Post.id.in_(post_ids),
                                                        Post.hidden_reason != "")):
        if traces.found_in(hidden.hidden_reason):
            hidden.hidden_reason = REDACTED_NOTE
    entries = db.session.scalars(select(AuditEntry).where(or_(
        (AuditEntry.target_type == "post") & AuditEntry.target_id.in_(post_ids),
        (AuditEntry.target_type == "thread") & (AuditEntry.target_id == thread_id))))
    for entry in entries:
        summary = entry.summary
        for title in replace_titles:
            summary = summary.replace(title, "the thread")
        entry.summary = REDACTED_NOTE if traces.found_in(summary) else summary


def _scrub_quotes(post, author_handle):
    """Replies that quoted `post` (and their earlier versions) keep the quote's heading only."""
    pattern = re.compile(r"^> \*\*@" + re.escape(author_handle) + r"\*\* wrote:\n(?:>.*(?:\n|$))*",
                         re.MULTILINE)
    note = f"> **@{author_handle}** wrote:\n>\n> {REDACTED_POST}\n"
    changed = []
    for reply in db.session.scalars(select(Post).where(Post.reply_to_id == post.id)):
        source = pattern.sub(note, reply.body_source)
        if source != reply.body_source:
            reply.body_source, reply.body_html = source, _render(source)[0]
            changed.append(reply)
        for revision in db.session.scalars(select(PostRevision)
                                           .where(PostRevision.post_id == reply.id)):
            revision.body_source = pattern.sub(note, revision.body_source)
    return changed


def redactions_of(post, viewer):
    """Audit entries of the redactions of a post (and of its thread's title when it opens the
    thread), newest first: who, when and why, never what (moderators only)."""
    from ..audit import AuditEntry

    _require(can(viewer, "moderate", post), "Only moderators see earlier versions.")
    targets = [("post", post.id)] + ([("thread", post.thread_id)] if post.is_opening else [])
    return db.session.scalars(AuditEntry.about(targets, ["post.redact", "thread.redact_title"])).all()


def _echoes(traces, thread, exclude_id):
    """Other posts of the thread that still repeat removed text (the moderator is told)."""
    return [other for other in db.session.scalars(Post.in_thread(thread.id))
            if other.id != exclude_id and traces.found_in(other.body_source)]


def redact_post(post, actor, reason, replacement=None):
    """Purge client data from a post everywhere the site keeps it; returns the thread's other
    posts that still repeat the removed text, for the moderator to redact too.

    :param replacement: the moderator's version of the text with the client data cut; empty or
        None replaces the whole post with `REDACTED_POST`. Earlier versions always become
        `REDACTED_POST`: each may hold the data in its own words.
    :param reason: why (kept in the audit log and shown in the post's history); refused when it
        repeats the removed text.
    """
    _require(can(actor, "redact", post), "Only the cluster's facilitators and admins redact.")
    thread = post.thread
    text = (replacement or "").strip() or REDACTED_POST
    if text == post.body_source.strip():
        raise ForumError("The new text is the same as the old: cut the client information, or "
                         "leave the text empty to replace the whole post.", "replacement")
    if len(text) > max_post_chars():
        raise ForumError(f"Posts can be at most {max_post_chars():,} characters.", "replacement")
    if guard.check(text):
        raise ForumError("The new text still looks like it contains client information; cut it, "
                         "or leave the text empty to replace the whole post.", "replacement")
    revisions = db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)).all()
    removed = [post.body_source] + [revision.body_source for revision in revisions]
    traces = _Traces(removed, text, names_only=text == REDACTED_POST)
    reason = _check_redaction_reason(reason, traces)
    post.body_source, post.body_html = text, _render(text)[0]
    post.edited_at, post.edited_by_id, post.guard_confirmed = utcnow(), actor.id, False
    for revision in revisions:
        revision.body_source = REDACTED_POST
    quoting = _scrub_quotes(post, post.author.handle)
    _scrub_references(traces, [post.id] + [reply.id for reply in quoting], thread.id)
    quotes = (f" (and its quote in {', '.join(f'#{reply.number}' for reply in quoting)})"
              if quoting else "")
    audit.record(actor, "post.redact", "post", post.id, f"Redacted post #{post.number}{quotes}. "
                 f"Reason: {reason}", thread.cluster_id)
    db.session.flush()
    content.announce_purged("thread", [thread.id])
    return _echoes(traces, thread, post.id)


def redact_thread_title(thread, actor, new_title, reason):
    """Replace a thread's title (and so its slug) everywhere: earlier titles in the history,
    links to the thread that carry the old slug, search. Returns nothing to follow up."""
    _require(can(actor, "redact", thread), "Only the cluster's facilitators and admins redact.")
    new_title = check_title(new_title)
    if guard.check(new_title):
        raise ForumError("The new title still looks like it contains client information.", "title")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    revisions = db.session.scalars(select(PostRevision).where(
        PostRevision.post_id == opening.id, PostRevision.title != "")).all() if opening else []
    old_titles = sorted(({thread.title} | {r.title for r in revisions}) - {new_title, REDACTED_TITLE},
                        key=len, reverse=True)
    if not old_titles:
        raise ForumError("The new title is the same as the old: cut the client information.",
                         "title")
    traces = _Traces(old_titles, new_title, names_only=False)
    reason = _check_redaction_reason(reason, traces)
    old_slugs = {Thread.slug_for(title) for title in old_titles}
    thread.title = new_title
    for revision in revisions:
        revision.title = REDACTED_TITLE
    threads_to_reindex = {thread.id} | _relink(thread, old_slugs)
    post_ids = db.session.scalars(select(Post.id).where(Post.thread_id == thread.id)).all()
    _scrub_references(traces, post_ids, thread.id, replace_titles=old_titles)
    audit.record(actor, "thread.redact_title", "thread", thread.id,
                 f"Redacted the thread's title. Reason: {reason}", thread.cluster_id)
    db.session.flush()
    content.announce_purged("thread", sorted(threads_to_reindex))


def _relink(thread, old_slugs):
    """Posts linking to `thread` with an old slug link with the new one (cards re-rendered with
    the new title); returns the ids of the threads whose posts changed."""
    link = re.compile(rf"(/t/{thread.id}/)(?:{'|'.join(map(re.escape, old_slugs))})(?![\w-])")
    changed = set()
    linking = db.session.scalars(select(Post).where(Post.body_source.contains(f"/t/{thread.id}")))
    for post in linking:
        source = link.sub(rf"\g<1>{thread.slug}", post.body_source)
        # A card holds the linked thread's title: render again even when the link had no slug.
        post.body_source, post.body_html = source, _render(source)[0]
        changed.add(post.thread_id)
        for revision in db.session.scalars(select(PostRevision)
                                           .where(PostRevision.post_id == post.id)):
            revision.body_source = link.sub(rf"\g<1>{thread.slug}", revision.body_source)
    return changed
