"""Library sections on the shared home, profile and cluster pages."""
from sqlalchemy import select

from ..extensions import db
from .models import Resource, resource_clusters
from .services import visible_resources


TEMPLATE = "resources/_section.html"


def _section(resources, heading, anchor, browse=False):
    if not resources:
        return None
    return {"resources": resources, "heading": heading, "anchor": anchor, "browse": browse}


def home(user):
    resources = db.session.scalars(visible_resources(user).limit(6)).all()
    return _section(resources, "New in the library", "home-library", browse=True)


def profile(person, viewer):
    resources = db.session.scalars(
        visible_resources(viewer).where(Resource.owner_id == person.id).limit(10)).all()
    return _section(resources, "Shared resources", "profile-resources")


def cluster(cluster, viewer):
    in_cluster = select(resource_clusters.c.resource_id).where(resource_clusters.c.cluster_id == cluster.id)
    resources = db.session.scalars(
        visible_resources(viewer).where(Resource.id.in_(in_cluster)).limit(10)).all()
    return _section(resources, "Cluster resources", "cluster-resources")
