"""Library sections on the shared home, profile and cluster pages."""
from sqlalchemy import select

from ..extensions import db
from .models import Resource, resource_clusters
from .services import visible_resources


def home(user):
    resources = db.session.scalars(visible_resources(user).limit(6)).all()
    return {"resources": resources} if resources else None


def profile(person, viewer):
    resources = db.session.scalars(
        visible_resources(viewer).where(Resource.owner_id == person.id).limit(10)).all()
    return {"resources": resources, "person": person} if resources else None


def cluster(cluster, viewer):
    in_cluster = select(resource_clusters.c.resource_id).where(resource_clusters.c.cluster_id == cluster.id)
    resources = db.session.scalars(
        visible_resources(viewer).where(Resource.id.in_(in_cluster)).limit(10)).all()
    return {"resources": resources, "cluster": cluster} if resources else None
