"""Moderation: pinning, locking and moving threads, hiding posts, and members' flags.

Every function checks the permission policy, changes objects and flushes; the caller commits.
"""
from sqlalchemy import select, update

from ... import audit, guard
from ...clusters.models import ACTIVE_CLUSTER_ROWS, Cluster
from ...extensions import db
from ...permissions import can, moderated_cluster_ids, unproxied
from ...timeutil import utcnow
from .. import notify, provides
from ..models import Flag, ForumError, Post, Thread
from .membership import facilitators_of
from .posts import _require, _take_out

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
    """Lock a thread (or open it again); its author hears of a lock."""
    was_locked = thread.is_locked
    _set_thread_state(thread, actor, "is_locked", locked, "lock")
    if locked and not was_locked:
        notify.moderated(actor, "thread_locked", thread.author, thread=thread)


def moderated_clusters(user, include_archived=False):
    """The clusters `user` moderates, by name (admins: every one); archived ones on request."""
    query = select(Cluster).order_by(Cluster.name) if include_archived else Cluster.active()
    return [cluster for cluster in db.session.scalars(query) if can(user, "moderate", cluster)]


def _may_move_to(actor, cluster, moderated=None):
    """A moderator moves threads into the clusters they moderate and into public ones (the
    announcements). `cluster`: a Cluster, or a row with its id, is_public and archived_at;
    `moderated`: `moderated_cluster_ids(actor)`, when the caller asks of many clusters."""
    if moderated is None:
        moderated = moderated_cluster_ids(actor)
    return cluster.archived_at is None and (cluster.is_public or cluster.id in moderated)


def move_targets(thread, actor):
    """The clusters `actor` may move `thread` to (none unless they moderate it), by name: rows
    with their id and name."""
    if not can(actor, "moderate", thread):
        return []
    moderated = moderated_cluster_ids(unproxied(actor))
    return [cluster for cluster in db.session.execute(ACTIVE_CLUSTER_ROWS)
            if cluster.id != thread.cluster_id and _may_move_to(actor, cluster, moderated)]


def open_flags_for(user):
    """Open flags in the clusters `user` moderates, oldest first; None when they moderate none."""
    cluster_ids = [cluster.id for cluster in moderated_clusters(user, include_archived=True)]
    if not cluster_ids:
        return None
    return db.session.scalars(Flag.open_in(cluster_ids)).all()


def move_thread(thread, actor, target):
    """Move a thread to a cluster the moderator moderates, or to a public one; search follows.

    A thread going public is checked by the confidentiality guard first: posts written for a
    cluster's members may hold what the public must not read.
    """
    _moderate(thread, actor)
    if target.id == thread.cluster_id:
        raise ForumError("The thread is already in that cluster.")
    if target.is_archived:
        raise ForumError("Archived clusters take no threads.")
    _require(_may_move_to(actor, target),
             "You can only move threads to clusters you moderate or to a public cluster.")
    if target.is_public and not thread.cluster.is_public:
        flagged = [post.number for post in db.session.scalars(
            select(Post).where(Post.thread_id == thread.id, Post.visible()).order_by(Post.number))
            if guard.check(post.body_source)] + ([0] if guard.check(thread.title) else [])
        if flagged:
            where = ", ".join("the title" if n == 0 else f"#{n}" for n in flagged)
            raise ForumError(f"{target.name} is public, and {where} may hold client "
                             "information: redact it before moving the thread.")
    source = thread.cluster
    thread.cluster = target
    db.session.execute(update(Flag).where(Flag.post_id.in_(select(Post.id).where(
        Post.thread_id == thread.id))).values(cluster_id=target.id))
    audit.record(actor, "thread.move", "thread", thread.id,
                 f"moved the thread from {source.name} to {target.name}", source.id)
    db.session.flush()
    notify.moderated(actor, "thread_moved", thread.author, thread=thread)
    provides.threads_changed([thread.id])


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
    if was_visible:  # a hidden opening post takes its thread out of sight: name the cluster only
        notify.moderated(actor, "post_hidden", post.author, cluster=post.thread.cluster,
                         thread=None if post.is_opening else post.thread)


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
        provides.threads_changed([thread.id])
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
    flag.flagged_by, flag.post = member, post
    db.session.add(flag)
    db.session.flush()
    notify.new_flag(flag, facilitators_of(post.thread.cluster))
    return flag


def dismiss_flag(flag, actor):
    _moderate(flag.post.thread, actor)
    flag.resolved_at, flag.resolved_by_id, flag.resolution = utcnow(), actor.id, "dismissed"
    audit.record(actor, "flag.dismiss", "post", flag.post_id,
                 f"dismissed a flag on post #{flag.post.number}", flag.cluster_id)
    db.session.flush()
