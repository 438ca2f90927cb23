"""Forum fixtures: a cluster with a facilitator and members, built through the services."""
import pytest

from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from community.forums import services


class Forum:
    """A peer cluster with people in it, and helpers to post as them."""

    def __init__(self, make_user):
        self.make_user = make_user
        self.written = {}
        self.facilitator = make_user(name="Maria Lopez", email="maria@stanislaus.example.gov")
        self.member = make_user(name="James Chen", email="james@lacounty.example.gov")
        self.other = make_user(name="Tanya Brooks", email="tanya@sbcounty.example.gov")
        self.outsider = make_user(name="Luis Ramirez", email="luis@fresno.example.gov")
        self.cluster = self.add_cluster("Family Engagement", [self.facilitator],
                                        [self.member, self.other])
        db.session.commit()

    def _again(self, body, *where):
        """The same words posted again at once would be taken for a double click and not posted
        (`services.posts.RESENT_WITHIN`): a helper's repeated default body is numbered."""
        key = (body, *(getattr(part, "id", part) for part in where))
        self.written[key] = self.written.get(key, 0) + 1
        return body if self.written[key] == 1 else f"{body} ({self.written[key]})"

    def add_cluster(self, name, facilitators=(), members=(), is_open=True, is_public=False):
        cluster = Cluster(slug=name.lower().replace(" ", "-").replace("&", "and"), name=name,
                          description=f"{name}: county staff comparing practice.",
                          is_open=is_open, is_public=is_public)
        db.session.add(cluster)
        for person in facilitators:
            cluster.memberships.append(ClusterMembership(user=person, role="facilitator"))
        for person in members:
            cluster.memberships.append(ClusterMembership(user=person, role="member"))
        db.session.flush()
        return cluster

    def thread(self, author=None, title="Team Decision Meetings with CalWORKs staff",
               body="How do you invite the Welfare-to-Work case manager to a TDM?",
               cluster=None, **kwargs):
        cluster, author = cluster or self.cluster, author or self.member
        thread = services.start_thread(cluster, author, title, self._again(body, author, cluster.id, title),
                                       **kwargs)
        db.session.commit()
        return thread

    def reply(self, thread, author=None, body="We send the TDM invitation to both workers.", **kwargs):
        author = author or self.other
        post = services.post_reply(thread, author, self._again(body, author, thread.id), **kwargs)
        db.session.commit()
        return post


@pytest.fixture
def forum(app, make_user):
    return Forum(make_user)
