"""Calendar caches live in each app and follow the database, so every node sees every node's changes."""
import re
from datetime import datetime, timedelta

from sqlalchemy import DateTime, bindparam, create_engine, text

from community.caching import kept
from community.clusters.models import Cluster, ClusterMembership
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


def _commit_elsewhere(app, statement, **values):
    """Run `statement` on a connection of its own and commit it, as another node or a tool would."""
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as connection:
            # Times bound as the app binds them (SQLite stores them as text in SQLAlchemy's form).
            typed = [bindparam(name, type_=DateTime) for name, value in values.items()
                     if isinstance(value, datetime)]
            connection.execute(text(statement).bindparams(*typed), values)
    finally:
        other.dispose()


def test_writes_in_plain_sql_to_what_calendars_show_reach_the_kept_listing_and_feed(app, make_event, make_user):
    """The calendar's version is kept by database triggers: a write that does not stamp
    `updated_at`, an edit stamped earlier than one already seen (two edits committed out of
    order), a skipped date and a renamed cluster all show at the next listing."""
    member = make_user()
    cluster = Cluster(slug="data-evaluation", name="Data & Evaluation")
    cluster.memberships.append(ClusterMembership(user=member, role="member", status="active"))
    db.session.add(cluster)
    db.session.commit()
    webinar = make_event(title="Joint case review webinar")
    call = make_event(kind="cluster-call", title="Data & Evaluation call", visibility="clusters",
                      cluster_id=cluster.id, registration_enabled=False, rrule="FREQ=WEEKLY;COUNT=2")
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=30)

    def listed():
        db.session.commit()  # this node's next request starts a new transaction
        return sorted((o.event.title, o.event.cluster.name if o.event.cluster else "")
                      for o in services.occurrences_for(member, start, end))

    assert listed() == [("Data & Evaluation call", "Data & Evaluation")] * 2 + [("Joint case review webinar", "")]
    _commit_elsewhere(app, "UPDATE events SET title = 'Joint case review webinar (online)' WHERE id = :id",
                      id=webinar.id)
    assert listed()[2] == ("Joint case review webinar (online)", "")

    stamped = utcnow() - timedelta(days=3)  # older than every stamp the listing has seen
    _commit_elsewhere(app, "UPDATE events SET title = 'Joint case reviews', updated_at = :at WHERE id = :id",
                      at=stamped, id=webinar.id)
    assert listed()[2] == ("Joint case reviews", "")
    assert b"Joint case reviews" in services.feed_calendar()[1]

    _commit_elsewhere(app, "UPDATE clusters SET name = 'Data and Evaluation' WHERE id = :id", id=cluster.id)
    assert listed()[0] == ("Data & Evaluation call", "Data and Evaluation")

    _commit_elsewhere(app, "INSERT INTO event_exceptions (event_id, original_start, note) VALUES (:id, :at, '')",
                      id=call.id, at=call.start_at)  # the first call is skipped
    assert listed() == [("Data & Evaluation call", "Data and Evaluation"), ("Joint case reviews", "")]


def test_calendars_and_the_home_page_badge_each_status_as_the_registration_has_it(
        client, sign_in, make_user, make_event):
    """The month grid, the upcoming list and the home page read the viewer's registrations as
    marks (event and status: `services.registration_marks`); each shows the badge the full
    registration would, and none for one cancelled or declined."""
    person = make_user(name="Maria Lopez")
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=3)
    badges = {"registered": "badge-registered", "waitlisted": "badge-waitlisted", "pending": "badge-pending",
              "cancelled": None, "declined": None}
    events = {}
    for n, status in enumerate(badges):
        event = make_event(title=f"Status {status} webinar", start_at=start + timedelta(hours=n))
        register(event, person).status = status
        events[status] = event
    db.session.commit()
    full = services.registrations_of(person, {e.id for e in events.values()})
    marks = services.registration_marks(person, {e.id for e in events.values()})
    assert {i: (m.status, m.is_active) for i, m in marks.items()} == {
        i: (r.status, r.is_active) for i, r in full.items()}
    assert services.registration_marks(person, set()) == {}
    day = to_pacific(start)
    sign_in(person)
    for path in (f"/events/month/{day.year}-{day.month}", "/events/", "/"):
        page = client.get(path).get_data(as_text=True)
        for status, badge in badges.items():
            item = re.search(rf"Status {status} webinar</a>(.*?)</li>", page, re.S)
            assert item, (path, status)
            assert (badge in item.group(1)) if badge else ("badge-" not in item.group(1)), (path, status)
