"""Calendar caches live in each app and follow the database, so every node sees every node's changes."""
from datetime import timedelta

from community.caching import kept
from community.convenings import services
from community.convenings.models import Event
from community.extensions import db
from community.timeutil import to_pacific, utcnow

from tests.convenings.conftest import register


def _titles(start, end):
    return [occurrence.event.title for occurrence in services.occurrences_for(None, start, end)]


def test_a_change_made_on_another_node_reaches_this_nodes_cached_listing_and_feed(app_factory, organizer, make_event):
    event = make_event(title="Joint case review webinar")
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=30)
    assert _titles(start, end) == ["Joint case review webinar"]
    feed_before = services.feed_calendar()
    event_id = event.id
    other_node = app_factory()  # another machine: its own app and memory, the same database
    with other_node.app_context():
        services.update_event(db.session.get(Event, event_id), db.session.merge(organizer),
                              title="Joint case review webinar (moved online)")
        db.session.commit()
    db.session.commit()  # this node's next request starts a new transaction
    assert _titles(start, end) == ["Joint case review webinar (moved online)"]
    etag, body = services.feed_calendar()
    assert etag != feed_before[0] and b"moved online" in body


def test_two_apps_in_one_process_never_share_a_cache(app, app_factory):
    other = app_factory()
    with other.app_context():
        theirs = kept("convenings.listings")
    assert kept("convenings.listings") is not theirs
    assert app.extensions["community.kept"]["convenings.listings"] is kept("convenings.listings")



def test_kept_calendar_pages_show_each_person_their_own_registrations(client, sign_in, make_user, make_event):
    """The month grid and the upcoming list are kept per listing, but each viewer's registration
    badges are part of the key: one person's "Registered" never shows on another's page."""
    event = make_event(title="Joint case review webinar")
    registered, other = make_user(name="Maria Lopez"), make_user(name="James Chen")
    register(event, registered)
    day = to_pacific(event.start_at)
    month_path = f"/events/month/{day.year}-{day.month}"
    sign_in(registered)
    for path in (month_path, "/events/"):
        page = client.get(path).get_data(as_text=True)
        assert "Joint case review webinar" in page and "badge-registered" in page, path
    client.post("/sign-out")
    sign_in(other)
    for path in (month_path, "/events/"):
        page = client.get(path).get_data(as_text=True)
        assert "Joint case review webinar" in page and "badge-registered" not in page, path
