"""Calendar caches live in each app and follow the database, so every node sees every node's changes."""
from datetime import timedelta

from community.convenings import services
from community.convenings.models import Event
from community.extensions import db
from community.timeutil import utcnow


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
        theirs = services.app_cache("listings")
    assert services.app_cache("listings") is not theirs
    assert app.extensions["community.kept"]["convenings.listings"] is services.app_cache("listings")
