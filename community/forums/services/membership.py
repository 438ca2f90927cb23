"""Clusters and their members: joining, requests, roles, and the clusters themselves.

Every function checks the permission policy, changes objects and flushes; the caller commits.
"""
import re

from sqlalchemy import bindparam, func, select

from ... import audit, guard
from ...accounts.models import User
from ...clusters.models import Cluster, ClusterMembership, membership_ended
from ...extensions import db
from ...permissions import can, forget_cluster_roles
from ...timeutil import utcnow
from .. import notify, provides
from ..models import ForumError, Thread
from .posts import _require

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


def create_cluster(actor, name, description, is_open=True, is_public=False, confirmed=False):
    """A new cluster; the organizer who creates it facilitates it until they appoint others."""
    _require(can(actor, "create_cluster"), "Only organizers and admins create clusters.")
    guard.screen({"name": name, "description": description}, confirmed)  # both are public
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


def update_cluster(cluster, actor, name, description, is_open, is_public, confirmed=False):
    _require(can(actor, "manage", cluster), "Only organizers and admins change clusters.")
    guard.screen({"name": name, "description": description}, confirmed)
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
            provides.threads_changed(ids)
    return cluster


def set_cluster_archived(cluster, actor, archived):
    _require(can(actor, "manage", cluster), "Only organizers and admins archive clusters.")
    cluster.archived_at = utcnow() if archived else None
    verb = "archive" if archived else "unarchive"
    audit.record(actor, f"cluster.{verb}", "cluster", cluster.id, f"{verb}d {cluster.name}",
                 cluster.id)
    db.session.flush()


#: A cluster's active facilitators (read on every cluster page): built once, bound per call.
_FACILITATORS = (select(User).join(ClusterMembership, ClusterMembership.user_id == User.id)
                 .where(ClusterMembership.cluster_id == bindparam("cluster_id"),
                        ClusterMembership.status == "active", ClusterMembership.role == "facilitator"))


def facilitators_of(cluster):
    return db.session.scalars(_FACILITATORS, {"cluster_id": cluster.id}).all()


#: What the cluster page shows of its facilitators: rows of name and handle (no person objects).
_FACILITATOR_LINKS = _FACILITATORS.with_only_columns(User.name, User.handle).order_by(User.name, User.id)


def facilitator_links(cluster):
    """The cluster's active facilitators as rows with their `name` and `handle`, by name."""
    return db.session.execute(_FACILITATOR_LINKS, {"cluster_id": cluster.id}).all()
