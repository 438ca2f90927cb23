"""Peer clusters and their memberships: the core that the permission policy builds on.

The forums package gives clusters their pages and discussions; the model lives in the core
because every feature (resources, events) restricts content to a cluster's members.
"""
from .models import Cluster, ClusterMembership, membership_ended  # noqa: F401
