"""Link cards in posts are checked when shown, never copied (issue 9, leak 8).

A resource or event linked in a post shows as a card only to readers who may see it now; when it
is made private later, old posts stop showing its title to everyone else.
"""
from datetime import timedelta

import pytest
from sqlalchemy import update

from community import jobs
from community.convenings import services as events
from community.extensions import db
from community.forums.models import Post
from community.resources import services as library
from community.timeutil import utcnow
from tests.support.queries import count_queries

RESOURCE = "Marrowfield joint fiscal plan"
EVENT = "Kestrelwick planning call"


@pytest.fixture
def linked(forum, make_user):
    """A public cluster's thread whose reply links a public resource and a public event."""
    organizer = make_user(role="organizer", name="Renee Okafor")
    announcements = forum.add_cluster("Linkages Announcements", [forum.facilitator], is_public=True)
    db.session.commit()
    resource = library.share_resource(organizer, library.ResourceDetails(
        title=RESOURCE, doc_type="fiscal-plan", summary="Braided funding worksheet.",
        visibility="public", link_url="https://example.org/plan"))
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=7)
    event = events.create_event(organizer, kind="webinar", title=EVENT, start_at=start,
                                end_at=start + timedelta(hours=1), visibility="public")
    events.publish_event(event, organizer)
    db.session.commit()
    jobs.run_ready()
    thread = forum.thread(author=forum.facilitator, cluster=announcements, title="Useful links")
    post = forum.reply(thread, author=forum.facilitator, body=(
        f"[the plan](/library/{resource.id})\n\nhttp://community.test/events/{event.id}"))
    return {"thread": thread, "post": post, "resource": resource, "event": event,
            "organizer": organizer}


def _page(client, thread):
    response = client.get(f"/t/{thread.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_public_card_shows_to_anonymous_readers(linked, client):
    page = _page(client, linked["thread"])
    assert RESOURCE in page and EVENT in page
    assert page.count('class="link-card"') == 2


def test_a_resource_made_cluster_only_loses_its_card_in_old_posts(linked, forum, client, sign_in):
    resource = linked["resource"]
    library.update_resource(resource, linked["organizer"], library.ResourceDetails(
        title=RESOURCE, doc_type="fiscal-plan", visibility="clusters", cluster_ids=[forum.cluster.id],
        link_url=resource.link_url))
    db.session.commit()
    page = _page(client, linked["thread"])
    assert RESOURCE not in page and "Braided funding" not in page
    assert f'href="/library/{resource.id}"' in page and ">the plan</a>" in page  # the author's link stays
    sign_in(forum.outsider)
    assert RESOURCE not in _page(client, linked["thread"])


def test_a_member_of_the_cluster_still_sees_the_card(linked, forum, client, sign_in):
    resource = linked["resource"]
    library.update_resource(resource, linked["organizer"], library.ResourceDetails(
        title=RESOURCE, doc_type="fiscal-plan", visibility="clusters", cluster_ids=[forum.cluster.id],
        link_url=resource.link_url))
    db.session.commit()
    sign_in(forum.member)
    assert RESOURCE in _page(client, linked["thread"])


def test_an_event_made_cluster_only_loses_its_card_in_old_posts(linked, forum, client):
    events.update_event(linked["event"], linked["organizer"], visibility="clusters",
                        cluster_id=forum.cluster.id)
    db.session.commit()
    page = _page(client, linked["thread"])
    assert EVENT not in page and RESOURCE in page


def test_a_card_stored_by_an_earlier_version_never_shows_its_stored_title(linked, client):
    post = linked["post"]
    db.session.execute(update(Post).where(Post.id == post.id).values(body_html=(
        '<div class="link-card"><a href="/library/999999" rel="nofollow noopener">Secret budget '
        'numbers</a><span class="card-meta">Fiscal plan</span></div>')))
    db.session.commit()
    page = _page(client, linked["thread"])
    assert "Secret budget" not in page
    assert 'href="/library/999999"' in page


def test_the_thread_page_asks_for_all_cards_at_once(linked, forum, client):
    thread = linked["thread"]
    _page(client, thread)
    with count_queries() as few:
        _page(client, thread)
    for n in range(8):
        extra = library.share_resource(linked["organizer"], library.ResourceDetails(
            title=f"Handbook {n}", doc_type="handbook", visibility="public",
            link_url=f"https://example.org/{n}"))
        db.session.commit()
        forum.reply(thread, author=forum.facilitator, body=f"/library/{extra.id}\n\nhttp://community.test/library/{extra.id}")
    _page(client, thread)
    with count_queries() as many:
        page = _page(client, thread)
    assert "Handbook 7" in page
    assert len(many) == len(few), (len(few), len(many))
