"""The permission policy: site roles, clusters and scoped content."""
from types import SimpleNamespace

from flask_login import AnonymousUserMixin

from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from community.permissions import CLUSTERS, MEMBERS, PUBLIC, Scope, access_filter, can, moderated_cluster_ids


class Thing(SimpleNamespace):
    def access_scope(self):
        return self.scope


def _cluster(slug="family-engagement", is_open=True):
    cluster = Cluster(slug=slug, name=slug.title(), description="", is_open=is_open)
    db.session.add(cluster)
    db.session.flush()
    return cluster


def test_site_actions_follow_roles(app, make_user):
    admin, organizer, member = make_user(role="admin"), make_user(role="organizer"), make_user()
    anonymous = AnonymousUserMixin()
    assert [can(u, "admin") for u in (admin, organizer, member, anonymous)] == [True, False, False, False]
    assert [can(u, "organize") for u in (admin, organizer, member, anonymous)] == [True, True, False, False]
    assert [can(u, "view_members") for u in (admin, organizer, member, anonymous)] == [True, True, True, False]


def test_cluster_content_is_for_members_and_admins(app, make_user):
    cluster = _cluster()
    inside, outside, admin = make_user(), make_user(), make_user(role="admin")
    db.session.add(ClusterMembership(cluster=cluster, user=inside, status="active"))
    db.session.commit()
    thing = Thing(scope=Scope(CLUSTERS, frozenset({cluster.id}), owner_id=inside.id, cluster_id=cluster.id))
    assert can(inside, "view", thing) and can(admin, "view", thing)
    assert not can(outside, "view", thing) and not can(AnonymousUserMixin(), "view", thing)
    assert can(cluster and inside, "read", cluster) and not can(outside, "read", cluster)
    assert can(AnonymousUserMixin(), "view", cluster)  # name and description are public


def test_pending_members_cannot_read_a_closed_cluster(app, make_user):
    cluster = _cluster("state-laws", is_open=False)
    asker = make_user()
    assert can(asker, "request_join", cluster) and not can(asker, "join", cluster)
    db.session.add(ClusterMembership(cluster=cluster, user=asker, status="pending"))
    db.session.commit()
    assert not can(asker, "read", cluster)


def test_facilitators_moderate_their_cluster_only(app, make_user):
    mine, other = _cluster("a"), _cluster("b")
    facilitator = make_user()
    db.session.add(ClusterMembership(cluster=mine, user=facilitator, role="facilitator", status="active"))
    db.session.add(ClusterMembership(cluster=other, user=facilitator, role="member", status="active"))
    db.session.commit()
    assert can(facilitator, "moderate", mine) and not can(facilitator, "moderate", other)
    post_in_other = Thing(scope=Scope(CLUSTERS, frozenset({other.id}), cluster_id=other.id))
    assert not can(facilitator, "moderate", post_in_other)


def test_the_clusters_a_person_moderates_asked_at_once_are_the_cluster_rules(app, make_user):
    """`moderated_cluster_ids` (a list of clusters asks once) says what "moderate" says of each."""
    clusters = [_cluster(slug) for slug in ("a", "b", "c")]
    facilitator, member, admin, left = make_user(), make_user(), make_user(role="admin"), make_user()
    db.session.add_all([
        ClusterMembership(cluster=clusters[0], user=facilitator, role="facilitator", status="active"),
        ClusterMembership(cluster=clusters[1], user=facilitator, role="member", status="active"),
        ClusterMembership(cluster=clusters[0], user=member, role="member", status="active"),
        ClusterMembership(cluster=clusters[2], user=left, role="facilitator", status="pending")])
    db.session.commit()
    deactivated = make_user()
    db.session.add(ClusterMembership(cluster=clusters[1], user=deactivated, role="facilitator", status="active"))
    deactivated.status = "deactivated"
    db.session.commit()
    for person in (facilitator, member, admin, left, deactivated, AnonymousUserMixin()):
        moderated = moderated_cluster_ids(person)
        assert [cluster.id in moderated for cluster in clusters] == [
            can(person, "moderate", cluster) for cluster in clusters]
    assert [c.id in moderated_cluster_ids(facilitator) for c in clusters] == [True, False, False]
    assert all(c.id in moderated_cluster_ids(admin) for c in clusters)
    assert not any(c.id in moderated_cluster_ids(deactivated) for c in clusters)


def test_owners_and_organizers_edit_scoped_content(app, make_user):
    owner, organizer, member = make_user(), make_user(role="organizer"), make_user()
    resource = Thing(scope=Scope(MEMBERS, owner_id=owner.id))
    post = Thing(scope=Scope(MEMBERS, owner_id=owner.id, organizers_manage=False))
    assert can(owner, "edit", resource) and can(organizer, "edit", resource)
    assert not can(member, "edit", resource)
    assert not can(organizer, "edit", post)


def test_access_filter_matches_can(app, make_user):
    cluster = _cluster()
    member = make_user()
    db.session.add(ClusterMembership(cluster=cluster, user=member, status="active"))
    db.session.commit()
    flt = access_filter(member)
    assert flt.allows(Scope(PUBLIC)) and flt.allows(Scope(MEMBERS))
    assert flt.allows(Scope(CLUSTERS, frozenset({cluster.id})))
    assert not flt.allows(Scope(CLUSTERS, frozenset({cluster.id + 1})))
    assert not access_filter(AnonymousUserMixin()).allows(Scope(MEMBERS))


def test_deactivated_people_can_do_nothing(app, make_user):
    person = make_user(role="admin")
    person.status = "deactivated"
    assert not can(person, "admin") and not can(person, "view", Thing(scope=Scope(MEMBERS)))


def test_public_clusters_can_be_read_by_anyone_but_joined_only_by_members(app, make_user):
    cluster = _cluster("announcements")
    cluster.is_public = True
    db.session.commit()
    assert can(AnonymousUserMixin(), "read", cluster)
    assert not can(AnonymousUserMixin(), "post", cluster) and not can(AnonymousUserMixin(), "join", cluster)


def test_answers_kept_for_a_request_are_the_answers_the_rules_give(app, make_user):
    """`_can_scoped_once` keeps each answer for the request under a key that names the owner only
    as "this person or not": whatever was asked before, in any order, each answer is the rule's."""
    from dataclasses import fields, replace

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from community.permissions import COUNTY, _can_scoped, _can_scoped_once

    first, second = _cluster("a"), _cluster("b")
    people = [make_user(role="admin"), make_user(role="organizer", county="Fresno"), make_user(), make_user(),
              make_user(county="Fresno")]
    db.session.add(ClusterMembership(cluster=first, user=people[2], role="facilitator", status="active"))
    db.session.add(ClusterMembership(cluster=second, user=people[3], status="active"))
    db.session.commit()
    clusters, counties = [first.id, second.id], sorted({p.county_id for p in people})
    scopes = st.builds(
        Scope, st.sampled_from([PUBLIC, MEMBERS, CLUSTERS, COUNTY]),
        st.sets(st.sampled_from(clusters)).map(frozenset),
        owner_id=st.sampled_from([None] + [p.id for p in people]),
        cluster_id=st.sampled_from([None, *clusters]), organizers_manage=st.booleans(),
        managers_see=st.booleans(), county_id=st.sampled_from([None, *counties]),
        moderators_edit=st.booleans())
    # A scope and the same scope with one field taken from another: neighbours that a key leaving
    # out that field would confuse.
    names = [f.name for f in fields(Scope)]
    neighbours = st.tuples(scopes, scopes, st.sampled_from(names)).map(
        lambda t: [t[0], replace(t[0], **{t[2]: getattr(t[1], t[2])})])
    questions = [(user, action, which) for user in [*people, AnonymousUserMixin()]
                 for action in ("view", "edit", "delete", "moderate", "redact") for which in (0, 1)]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(pair=neighbours, order=st.permutations(questions))
    def answers_match(pair, order):
        with app.test_request_context():
            for user, action, which in order:
                scope = pair[which]
                assert _can_scoped_once(user, action, scope) == _can_scoped(user, action, scope), (user, action, scope)

    answers_match()
