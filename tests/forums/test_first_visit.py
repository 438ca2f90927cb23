"""What a newcomer meets in the forums: the announcements cluster, open clusters' topics, the checklist."""
from community import jobs
from community.accounts import services as accounts
from community.clusters.models import ClusterMembership
from community.extensions import db
from tests.conftest import text_of


def _page(client, path):
    return client.get(path).get_data(as_text=True)


def test_a_member_who_may_join_an_open_cluster_sees_its_recent_titles_not_its_posts(
        forum, client, sign_in):
    thread = forum.thread(title="Sharing case plans across programs", body="We attach both plans.")
    closed = forum.add_cluster("Closed Circle", [forum.facilitator], [forum.member], is_open=False)
    db.session.commit()
    forum.thread(title="A closed cluster's private topic", cluster=closed)

    page = _page(client, f"/clusters/{forum.cluster.slug}")
    assert "Sharing case plans" not in page  # visitors: name and description only

    sign_in(forum.outsider)
    page = _page(client, f"/clusters/{forum.cluster.slug}")
    assert "Recent conversations" in page and "Sharing case plans across programs" in page
    assert "We attach both plans" not in page and f"/t/{thread.id}" not in page
    assert "private topic" not in _page(client, f"/clusters/{closed.slug}")  # closed: nothing


def test_a_new_member_starts_in_the_announcements_cluster_once(forum, client, make_user, outbox):
    announcements = forum.add_cluster("Linkages Announcements", [forum.facilitator], is_public=True)
    db.session.commit()
    admin = make_user(role="admin")
    person = accounts.invite_user(admin, "newcomer@kern.example.gov", "New Comer")
    db.session.commit()
    jobs.run_ready()  # the invitation goes out after commit, as a request's teardown would send it
    link = next(w for w in text_of(outbox.to("newcomer@kern.example.gov")[-1]).split() if "/welcome/" in w)
    path = link.split("community.test", 1)[1]
    assert client.post(path, data={"password": "a long enough password",
                                   "confirm": "a long enough password"}).status_code == 302
    roles = db.session.scalars(db.select(ClusterMembership).where(
        ClusterMembership.user_id == person.id)).all()
    assert [(m.cluster_id, m.status) for m in roles] == [(announcements.id, "active")]


def test_the_checklist_offers_the_forum_steps_and_ticks_them(forum, client, sign_in):
    sign_in(forum.outsider)
    home = _page(client, "/")
    assert '<a href="/clusters">Join a peer cluster</a>' in home
    assert "Choose how forum e-mail reaches you" in home and "<s>Choose how forum" not in home
    client.post(f"/clusters/{forum.cluster.slug}/join")
    client.post("/notifications/settings", data={"mode": "immediate"})
    home = _page(client, "/")
    assert "<s>Join a peer cluster</s>" in home and "<s>Choose how forum e-mail reaches you</s>" in home


def test_the_checklist_goes_once_every_step_is_done(forum, client, sign_in):
    person = forum.outsider
    person.title, person.bio = "Program manager", "CalWORKs and Linkages in Fresno."
    db.session.commit()
    sign_in(person)
    client.post(f"/clusters/{forum.cluster.slug}/join")
    client.post("/notifications/settings", data={"mode": "digest"})
    assert "Getting started" in _page(client, "/")  # the newsletter is still to do
    client.post("/newsletter/me", data={"subscribe": "1"})
    assert "Getting started" not in _page(client, "/")
