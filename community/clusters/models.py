"""Peer clusters: topical groups of county staff, and who belongs to them."""
from datetime import datetime

from blinker import Namespace
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, bindparam, cast, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User, read_with_session
from ..extensions import db
from ..permissions import forget_cluster_roles, remember_cluster_roles
from ..timeutil import utcnow


_signals = Namespace()
#: Sent when a person stops being an active member of a cluster (they left, or were removed),
#: inside the transaction that ends it, after the permission cache forgot their roles:
#: sender=the Cluster, user=the person, reason="left" or "removed". Feature areas connect to it
#: to end what the membership gave (events end the person's registrations for cluster events).
membership_ended = _signals.signal("cluster-membership-ended")


class Cluster(db.Model):
    """A peer cluster: members discuss a topic privately; the public sees name and description."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Plain-text description shown publicly.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Open clusters are joined with a click; closed ones by a request a facilitator approves.
    is_open: Mapped[bool] = mapped_column(default=True)
    #: Public clusters (e.g. CFPIC announcements) can be read by anyone; peer clusters never are.
    is_public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Archived clusters stay readable for members but take no new posts or members.
    archived_at: Mapped[datetime | None]

    memberships: Mapped[list["ClusterMembership"]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan"
    )

    def __str__(self):
        return self.name

    @property
    def is_archived(self):
        return self.archived_at is not None

    def membership_of(self, user):
        if user is None or not getattr(user, "id", None):
            return None
        return db.session.scalar(
            select(ClusterMembership).where(
                ClusterMembership.cluster_id == self.id, ClusterMembership.user_id == user.id
            )
        )

    @classmethod
    def active(cls):
        return select(cls).where(cls.archived_at.is_(None)).order_by(cls.name)


class ClusterMembership(db.Model):
    """A person's place in a cluster: a member or a facilitator, active or asking to join."""

    __tablename__ = "cluster_memberships"
    __table_args__ = (UniqueConstraint("cluster_id", "user_id"),)

    ROLES = ("member", "facilitator")
    STATUSES = ("pending", "active", "declined")

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: member or facilitator.
    role: Mapped[str] = mapped_column(String(20), default="member")
    #: pending (asked to join a closed cluster), active or declined.
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cluster: Mapped[Cluster] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_facilitator(self):
        return self.status == "active" and self.role == "facilitator"


def _active_memberships(person):
    return ClusterMembership.user_id == person, ClusterMembership.status == "active"


#: (cluster_id, role) of `:person`'s active memberships: built once, as every page that asks a
#: permission question reads it.
ACTIVE_ROLES = (select(ClusterMembership.cluster_id, ClusterMembership.role)
                .where(*_active_memberships(bindparam("person"))))


def _roles_read_with_session(person):
    """The same memberships as one value, "cluster_id:role,…", read with the person's session."""
    pair = cast(ClusterMembership.cluster_id, String) + ":" + ClusterMembership.role
    return select(func.aggregate_strings(pair, ",")).where(*_active_memberships(person)).scalar_subquery()


def _receive_roles(user, value):
    pairs = (pair.partition(":") for pair in value.split(",")) if value else ()  # NULL: no membership
    remember_cluster_roles(user, {int(cluster_id): role for cluster_id, _, role in pairs})


read_with_session("cluster_roles", _roles_read_with_session, _receive_roles)


#: `Cluster.active()` as plain rows (id, name, is_public, archived_at): built once, as the
#: calendars' filters and a moderator's "move to" list read them on every view.
ACTIVE_CLUSTER_ROWS = Cluster.active().with_only_columns(Cluster.id, Cluster.name, Cluster.is_public,
                                                         Cluster.archived_at)


def join_public_clusters(user):
    """A new member starts in every open public cluster (the CFPIC announcements), so news reaches
    them without a search; they may leave like any member. Called once, at first activation."""
    already = select(ClusterMembership.cluster_id).where(ClusterMembership.user_id == user.id)
    for cluster_id in db.session.scalars(select(Cluster.id).where(
            Cluster.is_public.is_(True), Cluster.is_open.is_(True), Cluster.archived_at.is_(None),
            Cluster.id.not_in(already))):
        db.session.add(ClusterMembership(cluster_id=cluster_id, user_id=user.id, role="member",
                                         status="active", decided_at=utcnow()))
    forget_cluster_roles(user)

