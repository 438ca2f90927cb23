"""Pages: calendars with constant query counts, event pages that never leak, forms, feeds, organizer tools."""
import html
import re
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select, text

from community import content
from community.clusters.models import Cluster, ClusterMembership
from community.convenings import services
from community.convenings.models import Event, EventRegistration
from community.extensions import db
from community.timeutil import to_pacific, utcnow

from tests.support.queries import count_queries

from .conftest import commit, register

SECRET = "https://meet.example.org/j/members-only-room"


def _cluster_with(person, slug="family-engagement"):
    cluster = Cluster(slug=slug, name="Family Engagement")
    cluster.memberships.append(ClusterMembership(user=person, role="member", status="active"))
    db.session.add(cluster)
    commit()
    return cluster


def _many_events(make_event, make_user, count):
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    for n in range(count):
        event = make_event(title=f"Webinar {n}", start_at=start + timedelta(days=n % 20, hours=n % 5),
                           rrule="FREQ=WEEKLY" if n % 4 == 0 else "")
        if n % 3 == 0:
            services.change_occurrence(event, event.organizers[0], event.start_at) if event.rrule else None
        register(event, make_user())


def _unfolded(response):
    """The body with iCalendar line folding undone, so a folded link cannot hide from a check."""
    return response.get_data(as_text=True).replace("\r\n ", "")


def _queries(client, path):
    with count_queries() as counted:
        assert client.get(path).status_code == 200
    return len(counted)


def _warm_counts(client, paths):
    """Query counts of warm visits to `paths`, all within one minute: a kept listing's key holds
    the current minute, so a visit in the next minute builds it again."""
    while True:
        minute = utcnow().replace(second=0, microsecond=0)
        for path in paths:
            client.get(path)
        counts = [_queries(client, path) for path in paths]
        if utcnow().replace(second=0, microsecond=0) == minute:
            return counts


def test_month_and_upcoming_pages_run_a_constant_number_of_queries(client, make_event, make_user, sign_in):
    viewer = make_user()
    sign_in(viewer)
    month = to_pacific(utcnow() + timedelta(days=2))
    paths = ["/events/", f"/events/month/{month.year}-{month.month}", "/"]
    _many_events(make_event, make_user, 3)
    # A first visit builds the kept listing (and the home page's kept sections); later visits
    # reuse them: both must cost the same with 3 events as with 15.
    cold_few = [_queries(client, path) for path in paths[:2]]
    few = _warm_counts(client, paths)
    _many_events(make_event, make_user, 12)
    cold_many = [_queries(client, path) for path in paths[:2]]
    many = _warm_counts(client, paths)
    assert cold_few == cold_many
    assert few == many


def test_the_calendar_filter_menu_reads_only_the_names_of_active_clusters(client, make_event, make_user, sign_in):
    member = make_user()
    _cluster_with(member)
    archived = Cluster(slug="old", name="Old Cluster", archived_at=utcnow())
    db.session.add(archived)
    commit()
    sign_in(member)
    for path in ("/events/", "/events/month"):
        with count_queries() as counted:
            page = client.get(path).get_data(as_text=True)
        cluster_reads = [s for s in counted if "FROM clusters" in s]
        assert len(cluster_reads) <= 1 and all("clusters.description" not in s for s in cluster_reads)
        assert ">Family Engagement</option>" in page and "Old Cluster" not in page
        with count_queries() as counted:
            again = client.get(path).get_data(as_text=True)
        # the session with the bell and the memberships (`read_with_session`) and the events
        # version; the menu is kept under that version, and the events with it (the viewer's
        # registrations are not read: the page shows no events)
        assert len(counted) == 2 and not [s for s in counted if "FROM clusters" in s]
        assert ">Family Engagement</option>" in again


def test_the_calendar_filter_menu_follows_a_cluster_renamed_archived_or_made_at_the_next_view(
        client, make_user, sign_in, app_factory):
    """The menu is kept under the calendar's version, which every write to clusters changes: by
    this app, or by another node in plain SQL."""
    member = make_user()
    cluster = _cluster_with(member)
    sign_in(member)
    assert ">Family Engagement</option>" in client.get("/events/month").get_data(as_text=True)
    other_node = app_factory()
    with other_node.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE clusters SET name = 'Family Engagement West' WHERE id = :id"),
                           {"id": cluster.id})
    for path in ("/events/", "/events/month"):
        assert ">Family Engagement West</option>" in client.get(path).get_data(as_text=True)
    db.session.get(Cluster, cluster.id).archived_at = utcnow()
    db.session.add(Cluster(slug="kinship", name="Kinship Care"))
    commit()
    for path in ("/events/", "/events/month"):
        page = client.get(path).get_data(as_text=True)
        assert ">Kinship Care</option>" in page and "Family Engagement West" not in page


def test_the_upcoming_list_filters_by_kind_and_cluster(client, make_event, make_user, sign_in):
    member = make_user()
    cluster = _cluster_with(member)
    make_event(title="Monthly webinar")
    make_event(title="Family Engagement call", kind="cluster-call", visibility="clusters", cluster_id=cluster.id)
    sign_in(member)
    webinars = client.get("/events/?kind=webinar").get_data(as_text=True)
    assert "Monthly webinar" in webinars and "Family Engagement call" not in webinars
    calls = client.get(f"/events/?cluster={cluster.id}").get_data(as_text=True)
    assert "Family Engagement call" in calls and "Monthly webinar" not in calls


def test_hidden_events_answer_404_and_never_show_in_lists_feeds_or_cards(client, make_event, make_user, sign_in):
    member, outsider = make_user(), make_user()
    cluster = _cluster_with(member)
    call = make_event(title="Private cluster call", kind="cluster-call", visibility="clusters",
                      cluster_id=cluster.id, join_url=SECRET)
    members_only = make_event(title="Members-only training", visibility="members", join_url=SECRET)
    draft = make_event(title="Draft webinar", publish=False)
    public = make_event(title="Public webinar", join_url=SECRET)
    for path in (f"/events/{call.id}", f"/events/{members_only.id}", f"/events/{draft.id}"):
        assert client.get(path).status_code == 404
    for path in ("/events/", "/events/calendar.ics"):
        body = _unfolded(client.get(path))
        assert "Public webinar" in body
        assert "Private cluster call" not in body and "Members-only" not in body and "Draft" not in body
        assert SECRET not in body
    assert SECRET not in client.get(f"/events/{public.id}").get_data(as_text=True)
    assert SECRET not in _unfolded(client.get(f"/events/{public.id}/event.ics"))
    sign_in(outsider)
    assert client.get(f"/events/{call.id}").status_code == 404
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert "Members-only training" in client.get("/events/").get_data(as_text=True)
    cards = content.provide_all("cards.for_path", f"/events/{call.id}", outsider)
    assert cards == []
    public_cards = content.provide("events.upcoming_public", utcnow(), utcnow() + timedelta(days=30))
    assert [c.title for c in public_cards] == ["Public webinar"]
    documents = list(content.sources()["event"][1]())
    assert SECRET not in " ".join(d.text + d.summary for d in documents)
    assert {d.title: d.visibility for d in documents}["Private cluster call"] == "clusters"
    assert "Draft webinar" not in {d.title for d in documents}


def test_the_join_link_shows_only_to_registered_people_and_cluster_members(client, make_event, make_user, sign_in):
    registered, other, member = make_user(), make_user(), make_user()
    cluster = _cluster_with(member)
    webinar = make_event(join_url=SECRET)
    call = make_event(kind="cluster-call", visibility="clusters", cluster_id=cluster.id, join_url=SECRET + "-call",
                      registration_enabled=False)
    register(webinar, registered)
    sign_in(other)
    assert SECRET not in client.get(f"/events/{webinar.id}").get_data(as_text=True)
    assert SECRET not in _unfolded(client.get(f"/events/{webinar.id}/event.ics"))
    client.post("/sign-out")
    sign_in(registered)
    assert SECRET in client.get(f"/events/{webinar.id}").get_data(as_text=True)
    assert SECRET in _unfolded(client.get(f"/events/{webinar.id}/event.ics"))
    client.post("/sign-out")
    sign_in(member)
    assert SECRET + "-call" in client.get(f"/events/{call.id}").get_data(as_text=True)


def test_the_registration_form_is_prefilled_and_keeps_answers_on_error(client, make_event, make_user, sign_in):
    person = make_user(county="Fresno", program="calworks")
    event = make_event()
    sign_in(person)
    page = client.get(f"/events/{event.id}/register").get_data(as_text=True)
    assert re.search(r'<option selected value="\d+">Fresno County</option>', page)
    assert '<option selected value="calworks">' in page
    response = client.post(f"/events/{event.id}/register", data={"program": "", "accessibility_needs": "Captioning"})
    body = response.get_data(as_text=True)
    assert "Choose the program you work in." in body and 'value="Captioning"' in body
    assert db.session.scalar(select(EventRegistration)) is None
    response = client.post(f"/events/{event.id}/register", data={"program": "calworks", "show_name": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(EventRegistration.status)) == "registered"


def test_a_second_click_on_register_says_where_the_first_left_the_person_and_sends_nothing(
        client, make_event, make_user, sign_in, outbox):
    event = make_event(capacity=1)
    register(event, make_user())
    person = make_user()
    sign_in(person)
    first = client.post(f"/events/{event.id}/register", data={"program": "cws"})
    second = client.post(f"/events/{event.id}/register", data={"program": "cws"})
    assert first.headers["Location"] == second.headers["Location"] == f"/events/{event.id}"
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "you are on the waitlist" in page and "You are registered" not in page
    assert [m["Subject"] for m in outbox.to(person.email)] == [f"You are on the waitlist: {event.title}"]
    assert db.session.scalar(select(EventRegistration.status).where(
        EventRegistration.user_id == person.id)) == "waitlisted"


def test_a_registrant_changes_workshops_and_cancels_from_my_registrations(client, make_event, make_user, organizer, sign_in):
    event = make_event(kind="convening")
    a = services.save_session(event, organizer, title="Workshop A", start_at=event.start_at, end_at=event.end_at,
                              needs_choice=True)
    b = services.save_session(event, organizer, title="Workshop B", start_at=event.start_at, end_at=event.end_at,
                              needs_choice=True)
    commit()
    person = make_user()
    registration = register(event, person, session_ids=(a.id,))
    sign_in(person)
    assert "Workshop A" in client.get("/events/mine").get_data(as_text=True)
    client.post(f"/events/registrations/{registration.id}", data={"program": "cws", "session_ids": [b.id]})
    assert [c.session_id for c in db.session.get(EventRegistration, registration.id).choices] == [b.id]
    client.post(f"/events/registrations/{registration.id}/cancel")
    assert db.session.get(EventRegistration, registration.id).status == "cancelled"


def test_someone_elses_registration_cannot_be_seen_or_cancelled(client, make_event, make_user, sign_in):
    event = make_event()
    owner, intruder = make_user(), make_user()
    registration = register(event, owner)
    sign_in(intruder)
    assert client.get(f"/events/registrations/{registration.id}").status_code == 404
    assert client.post(f"/events/registrations/{registration.id}/cancel").status_code == 404
    assert db.session.get(EventRegistration, registration.id).status == "registered"


def test_the_personal_feed_url_works_until_regenerated(client, make_event, make_user, sign_in):
    person = make_user()
    event = make_event(title="My webinar", join_url=SECRET)
    register(event, person)
    sign_in(person)
    page = client.get("/events/mine").get_data(as_text=True)
    feed = re.search(r'value="(http://[^"]+/events/feed/[^"]+\.ics)"', page).group(1)
    assert "webcal://" + feed.split("://")[1] in page
    path = feed.split("community.test")[1]
    body = _unfolded(client.get(path))
    assert "My webinar" in body and SECRET in body
    icalendar.Calendar.from_ical(body)
    client.post("/events/feed/regenerate")
    assert client.get(path).status_code == 404


def test_members_cannot_reach_organizer_pages(client, make_event, make_user, sign_in):
    event = make_event()
    sign_in(make_user())
    for path in ("/events/new", f"/events/{event.id}/edit", f"/events/{event.id}/registrants",
                 f"/events/{event.id}/registrants.csv", f"/events/{event.id}/check-in",
                 f"/events/{event.id}/materials", f"/events/{event.id}/feedback/results"):
        assert client.get(path).status_code == 403, path


def test_organizers_create_publish_check_in_and_export(client, organizer, make_user, sign_in):
    sign_in(organizer)
    response = client.post("/events/new", data={
        "title": "Clinical Academy: Reflective supervision", "kind": "training", "summary": "**Bring** a case.",
        "start_at": "2027-03-09T09:00", "end_at": "2027-03-09T12:00", "visibility": "members",
        "capacity": "20", "registration_enabled": "y", "repeats": "", "organizer_ids": [organizer.id]})
    assert response.status_code == 302
    event_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    client.post(f"/events/{event_id}/publish")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "<strong>Bring</strong>" in page and "Mar 9, 2027" in page and "PST" in page
    from community.convenings.models import Event

    event = db.session.get(Event, event_id)
    person = make_user(name="Tanya Brooks")
    registration = register(event, person)
    client.post(f"/events/registrations/{registration.id}/check-in", data={"present": "1"})
    assert db.session.get(EventRegistration, registration.id).checked_in_at is not None
    assert "1</strong> attended" in client.get(f"/events/{event_id}/registrants").get_data(as_text=True)
    csv = client.get(f"/events/{event_id}/registrants.csv")
    assert csv.mimetype == "text/csv" and "Tanya Brooks" in csv.get_data(as_text=True)
    client.post(f"/events/{event_id}/materials", data={
        "material-title": "Slides (PDF)", "material-url": "https://media.example.org/slides.pdf",
        "material-session_id": ""})
    client.post(f"/events/{event_id}/materials", data={
        "recording-recording_url": "https://media.example.org/recording", "recording-feedback_open": "y"})
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Slides (PDF)" in page and "https://media.example.org/recording" in page


def test_a_refused_material_keeps_what_was_typed_and_answers_422(client, organizer, sign_in, make_event):
    event = make_event(title="Cross-training webinar")
    sign_in(organizer)
    response = client.post(f"/events/{event.id}/materials", data={
        "material-title": "Slides for the Emergency Response unit", "material-url": "javascript:alert(1)",
        "material-session_id": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="Slides for the Emergency Response unit"' in page
    assert "Slides for the Emergency Response unit" not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_the_event_form_keeps_what_was_typed_when_invalid(client, organizer, sign_in):
    sign_in(organizer)
    body = client.post("/events/new", data={"title": "Half-typed event", "kind": "webinar",
                                            "start_at": "2027-03-09T10:00", "end_at": "2027-03-09T09:00",
                                            "visibility": "clusters"}).get_data(as_text=True)
    assert "The end must be after the start." in body and "Choose the cluster" in body
    assert 'value="Half-typed event"' in body


def test_feeds_answer_304_until_an_event_changes(client, make_event, organizer):
    event = make_event(title="Cached webinar")
    first = client.get("/events/calendar.ics")
    assert client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    services.update_event(event, organizer, title="Renamed webinar")
    commit()
    changed = client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Renamed webinar" in changed.get_data(as_text=True)


def test_the_public_feeds_tag_tells_nothing_of_events_it_does_not_show(client, make_event, organizer):
    make_event(title="Public webinar")
    first = client.get("/events/calendar.ics")
    make_event(title="Members-only call", visibility="members")  # changes the events, not this feed
    again = client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_cluster_page_section_lists_upcoming_calls_only_for_those_who_may_see_them(app, make_event, make_user):
    from flask import render_template

    from community import ui

    member, outsider = make_user(), make_user()
    cluster = _cluster_with(member)
    make_event(title="Family Engagement call", kind="cluster-call", visibility="clusters", cluster_id=cluster.id,
               rrule="FREQ=MONTHLY;BYDAY=1WE", join_url=SECRET)
    with app.test_request_context():
        [(template, context)] = [s for s in ui.sections(app, "cluster", cluster, member)
                                 if s[0] == "convenings/_cluster_section.html"]
        html = render_template(template, section=context)
        assert "Family Engagement call" in html and SECRET not in html
        assert [s for s in ui.sections(app, "cluster", cluster, outsider)
                if s[0] == "convenings/_cluster_section.html"] == []


def test_the_upcoming_list_shows_fifty_occurrences_a_page_with_earlier_and_later_links(
        client, make_event, make_user, sign_in):
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=1)
    for n in range(20):
        make_event(title=f"Resource parent training {n:02}", start_at=start + timedelta(days=n * 5, hours=1))
    make_event(title="Weekly cluster call", start_at=start, rrule="FREQ=WEEKLY")
    make_event(title="Weekly office hours", start_at=start + timedelta(hours=3), rrule="FREQ=WEEKLY")
    sign_in(make_user())
    viewer_sees = services.occurrences_for(make_user(), utcnow(), utcnow() + timedelta(days=120))
    assert len(viewer_sees) > 50

    def titles(page_html):
        return re.findall(r'<a href="/events/\d+">([^<]+)</a>', page_html.split('<ul class="event-list">')[1].split("</ul>")[0])

    first = client.get("/events/").get_data(as_text=True)
    later = client.get("/events/?page=2").get_data(as_text=True)
    assert len(titles(first)) == 50
    assert 'href="/events/?page=2" rel="next">Later events' in first and "Earlier events" not in first
    assert 'href="/events/" rel="prev">← Earlier events' in later and "Later events" not in later
    assert titles(first) + titles(later) == [o.event.title for o in viewer_sees]
    assert client.get("/events/?page=3").status_code == 404
    assert client.get("/events/?page=0").status_code == 404
    kind_filtered = client.get("/events/?kind=webinar&page=2").get_data(as_text=True)
    assert 'href="/events/?kind=webinar" rel="prev"' in kind_filtered


def test_cached_calendars_show_changes_at_once_and_each_person_only_what_they_may_see(
        app, client, make_event, make_user, organizer, sign_in):
    member, outsider = make_user(), make_user()
    cluster = _cluster_with(member)
    day = to_pacific(utcnow() + timedelta(days=2))
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=2)
    webinar = make_event(title="Trauma-informed supervision", start_at=start)
    make_event(title="Family Engagement call", kind="cluster-call", visibility="clusters", cluster_id=cluster.id,
               start_at=start + timedelta(hours=2), rrule="FREQ=WEEKLY")
    paths = ["/events/", f"/events/month/{day.year}-{day.month}"]
    member_client = app.test_client()
    assert member_client.post("/sign-in", data={"email": member.email, "password": "correct horse battery"}).status_code == 302
    sign_in(outsider)

    def pages(who):
        return [who.get(path).get_data(as_text=True) for path in paths]

    for seen, hidden in zip(pages(member_client), pages(client), strict=True):  # same listings asked twice: the cache is warm
        assert "Family Engagement call" in seen and "Family Engagement call" not in hidden
    services.update_event(webinar, organizer, title="Trauma-informed supervision, part 2")
    commit()
    assert all("Trauma-informed supervision, part 2" in page for page in pages(client))
    services.cancel_event(webinar, organizer)
    make_event(title="Kinship navigator orientation", start_at=start + timedelta(hours=4))
    commit()
    for page in pages(client):
        assert "Kinship navigator orientation" in page
        assert 'badge-cancelled">Cancelled' in page or "supervision, part 2</a> (cancelled)" in page
        assert "Family Engagement call" not in page


def test_the_calendar_feed_links_to_site_url_whatever_host_the_request_names(client, make_event):
    make_event(title="Clinical Academy")
    feed = client.get("/events/calendar.ics", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "http://community.test/events/" in feed and "evil.example" not in feed


def test_the_registrant_csv_starts_with_a_byte_order_mark_and_names_programs(
        client, make_event, make_user, organizer, sign_in):
    event = make_event(kind="convening")
    register(event, make_user(name="Zoë Ramírez", program="calworks"))
    sign_in(organizer)
    body = client.get(f"/events/{event.id}/registrants.csv").data
    assert body.startswith(b"\xef\xbb\xbfName,")  # Excel reads UTF-8 only after a BOM
    text = body.decode("utf-8-sig")
    [row] = text.splitlines()[1:]
    assert "Zoë Ramírez" in row and ",CalWORKs / Welfare-to-Work," in row and ",calworks," not in row


def test_the_check_in_count_is_of_everyone_registered_whatever_name_is_searched(
        client, make_event, make_user, organizer, sign_in):
    event = make_event(kind="convening")
    people = [make_user(name=name) for name in ("Ana Alvarez", "Ben Brooks", "Cy Castro")]
    registrations = [register(event, person) for person in people]
    for registration in registrations[:2]:
        services.check_in(registration, organizer)
    commit()
    sign_in(organizer)
    page = client.get(f"/events/{event.id}/check-in", query_string={"q": "castro"}).get_data(as_text=True)
    assert "<strong>2</strong> of 3 here" in page
    assert "Cy Castro" in page and "Ana Alvarez" not in page
    assert "1 name matches" in page


def test_a_registration_an_organizer_cancels_says_so_on_the_pages_and_in_the_mail(
        client, make_event, make_user, organizer, sign_in, outbox):
    event = make_event(kind="convening")
    person = make_user(name="Tanya Brooks")
    registration = register(event, person)
    outbox.clear()
    sign_in(organizer)
    response = client.post(f"/events/registrations/{registration.id}/cancel", data={"next": "registrants"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"Tanya Brooks&#39;s registration for {event.title} is cancelled" in page
    assert "Your registration" not in page
    assert "cancelled by an organizer" in page
    [message] = outbox.to(person.email)
    assert message["Subject"].strip() == f"Your registration was cancelled: {event.title}"
    assert f"The organizers of {event.title} cancelled your registration" in message.get_body(("plain",)).get_content()


def test_a_registration_one_cancels_oneself_says_you_cancelled_it(client, make_event, make_user, sign_in, outbox):
    event = make_event(kind="convening")
    person = make_user()
    registration = register(event, person)
    outbox.clear()
    sign_in(person)
    page = client.post(f"/events/registrations/{registration.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert f"Your registration for {event.title} is cancelled" in page
    assert "cancelled by you" in page
    [message] = outbox.to(person.email)
    assert message["Subject"] == f"Registration cancelled: {event.title}"
    assert f"You cancelled your registration for {event.title}" in message.get_body(("plain",)).get_content()
    assert "cancelled by the registrant" in services.registrants_csv(event, [registration])


def test_the_event_page_tells_the_person_an_organizer_cancelled_their_registration(
        client, make_event, make_user, organizer, sign_in):
    event = make_event(kind="convening")
    person = make_user()
    services.cancel_registration(register(event, person), organizer)
    commit()
    sign_in(person)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Your last registration: cancelled by an organizer." in page


@pytest.mark.parametrize("path", ["/events/month/2026-0", "/events/month/2026-13", "/events/month/0-5",
                                  "/events/month/1999-12"])
def test_a_month_that_does_not_exist_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_feed_polled_in_another_minute_is_still_not_modified(client, make_event, monkeypatch):
    from community import timeutil
    from community.convenings import calendar
    from community.convenings.services import feeds

    make_event(title="Public webinar")
    first = client.get("/events/calendar.ics")
    moment = timeutil.utcnow() + timedelta(minutes=2)
    later = lambda: moment  # noqa: E731  (the feed is rebuilt in a later minute)
    for module in (timeutil, calendar, feeds):
        monkeypatch.setattr(module, "utcnow", later, raising=False)
    again = client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_saving_an_event_changes_only_what_its_editor_changed(client, sign_in, make_event, organizer, make_user):
    """Two organizers open the same event; one changes the venue and saves; the other changes the
    title in the page opened before and saves: both changes stay."""
    event = make_event(title="Clinical Academy", venue="Sacramento, Room 4")
    sign_in(organizer)
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    form = {name: value for name, value in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', page)}
    shown = html.unescape(re.search(r'name="shown"[^>]*value="([^"]*)"', page).group(1))
    other = make_user(role="admin")
    services.update_event(event, other, venue="Fresno, Room 12")
    commit()
    data = {"title": "Clinical Academy: motivational interviewing", "kind": event.kind,
            "start_at": form["start_at"], "end_at": form["end_at"], "venue": "Sacramento, Room 4",
            "visibility": event.visibility, "shown": shown, "registration_enabled": "y",
            "organizer_ids": [str(organizer.id)]}
    assert client.post(f"/events/{event.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Event, event.id)
    assert (saved.title, saved.venue) == ("Clinical Academy: motivational interviewing", "Fresno, Room 12")


def test_an_organizer_moved_back_to_member_no_longer_runs_the_events_they_created(
        client, organizer, make_user, make_event, sign_in):
    from community.accounts import services as accounts

    draft = make_event(publish=False, title="Draft convening agenda")
    event = make_event(title="Kinship care webinar")
    register(event, make_user(name="Tanya Brooks"), accessibility_needs="Captions, please")
    accounts.change_role(make_user(role="admin"), organizer, "member")
    db.session.commit()
    sign_in(organizer)
    for path in (f"/events/{event.id}/registrants", f"/events/{event.id}/registrants.csv",
                 f"/events/{event.id}/edit", f"/events/{draft.id}"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert "Captions" not in response.get_data(as_text=True)
