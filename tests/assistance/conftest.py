"""Technical-assistance fixtures: a Fresno requester and who must and must not see the request."""

from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db


def county_people(make_user, cluster_mate_role):
    """CFPIC, a Fresno requester and colleague, someone from Los Angeles, and a Stanislaus
    member who shares a closed cluster with the requester (as `cluster_mate_role`)."""
    class People:
        organizer = make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org",
                              county="Sacramento", program="cfpic")
        requester = make_user(name="Luis Ramirez", email="luis@fresno.example.gov", county="Fresno")
        colleague = make_user(name="Ana Soto", email="ana@fresno.example.gov", county="Fresno")
        elsewhere = make_user(name="James Chen", email="james@lacounty.example.gov", county="Los Angeles")
        cluster_mate = make_user(name="Maria Lopez", email="maria@stanislaus.example.gov", county="Stanislaus")

    cluster = Cluster(slug="family-engagement", name="Family Engagement", description="Peers.",
                      is_open=False, is_public=False)
    db.session.add(cluster)
    cluster.memberships.append(ClusterMembership(user=People.requester, role="member"))
    cluster.memberships.append(ClusterMembership(user=People.cluster_mate, role=cluster_mate_role))
    db.session.commit()
    return People
