"""Every generated calendar is parsed back and its recurrences expanded in UTC across DST."""
from datetime import datetime, timedelta, timezone

import icalendar
import recurring_ical_events

from community.convenings import services
from community.convenings.calendar import build_calendar, event_uid
from community.jobs import run_ready

from .conftest import commit, pacific, register

UTC = timezone.utc


def _expand(ics, start, end):
    calendar = icalendar.Calendar.from_ical(ics)
    return sorted(((c["DTSTART"].dt.astimezone(UTC), c) for c in
                   recurring_ical_events.of(calendar).between(start, end)), key=lambda pair: pair[0])


def _monthly_webinar(make_event, organizer):
    """Third Tuesday 10:00 Pacific from October 2026 (PDT) past the November DST change (PST)."""
    series = make_event(title="Linkages Monthly Webinar", start_at=pacific(2026, 10, 20, 10),
                        end_at=pacific(2026, 10, 20, 11), rrule="FREQ=MONTHLY;BYDAY=3TU;COUNT=5",
                        join_url="https://meet.example.org/j/monthly")
    services.change_occurrence(series, organizer, pacific(2026, 12, 15, 10), note="Holiday break")
    services.change_occurrence(series, organizer, pacific(2027, 1, 19, 10), new_start=pacific(2027, 1, 21, 13),
                               new_end=pacific(2027, 1, 21, 14), note="Moved to Thursday afternoon")
    commit()
    return series


def test_a_monthly_series_expands_to_the_right_utc_instants_across_dst(make_event, organizer):
    series = _monthly_webinar(make_event, organizer)
    ics = build_calendar([series])
    found = _expand(ics, datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 3, 31, tzinfo=UTC))
    assert [start for start, _ in found] == [
        datetime(2026, 10, 20, 17, tzinfo=UTC),  # 10:00 PDT
        datetime(2026, 11, 17, 18, tzinfo=UTC),  # 10:00 PST after the change on Nov 1
        # Dec 15 skipped (EXDATE)
        datetime(2027, 1, 21, 21, tzinfo=UTC),   # moved occurrence (RECURRENCE-ID override)
        datetime(2027, 2, 16, 18, tzinfo=UTC),
    ]
    moved = found[2][1]
    assert moved["RECURRENCE-ID"].dt.astimezone(UTC) == datetime(2027, 1, 19, 18, tzinfo=UTC)
    assert {str(c["UID"]) for _, c in found} == {event_uid(series)}
    # The model's own expansion (the calendar pages) agrees with the iCalendar one.
    ours = series.occurrences(datetime(2026, 10, 1), datetime(2027, 3, 31))
    assert [start.replace(tzinfo=UTC) for start, _, _ in ours] == [start for start, _ in found]


def test_the_calendar_carries_a_vtimezone_tzids_dtstamp_sequence_and_exdate(make_event, organizer):
    series = _monthly_webinar(make_event, organizer)
    calendar = icalendar.Calendar.from_ical(build_calendar([series]))
    [timezone_] = calendar.walk("VTIMEZONE")
    assert str(timezone_["TZID"]) == "America/Los_Angeles"
    assert {c.name for c in timezone_.subcomponents} == {"STANDARD", "DAYLIGHT"}
    master, moved = calendar.walk("VEVENT")
    assert master["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert master["DTSTAMP"].dt.tzinfo is not None
    assert int(master["SEQUENCE"]) == series.sequence >= 3  # publish + two occurrence changes
    assert str(master["RRULE"].to_ical().decode()) == "FREQ=MONTHLY;COUNT=5;BYDAY=3TU"
    assert master["EXDATE"].dts[0].dt.astimezone(UTC) == datetime(2026, 12, 15, 18, tzinfo=UTC)
    assert "Moved to Thursday afternoon" in str(moved["DESCRIPTION"])


def test_text_is_escaped_and_folded_and_reads_back_unchanged(make_event):
    title = "Data, evaluation; and \"outcomes\" \\ a long look at CalWORKs and CWS outcomes over ten years"
    summary = "Agenda:\n- Welcome, introductions; norms\n- " + "Coordinated case planning " * 8
    event = make_event(title=title, summary=summary)
    ics = build_calendar([event])
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
    [vevent] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == title
    assert str(vevent["DESCRIPTION"]).startswith(summary.strip())
    assert f"/events/{event.id}" in str(vevent["DESCRIPTION"]) and str(vevent["URL"]).endswith(f"/events/{event.id}")


def test_the_invitation_e_mail_has_method_request_and_the_same_uid_as_the_feed(make_event, make_user, outbox):
    event = make_event(join_url="https://meet.example.org/j/secret-room")
    person = make_user()
    register(event, person)
    [message] = outbox.to(person.email)
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    inline = next(p for p in parts if p.get_filename() is None)
    attached = next(p for p in parts if p.get_filename() == "invite.ics")
    assert inline.get_param("method") == "REQUEST"
    for part in (inline, attached):
        calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        assert str(calendar["METHOD"]) == "REQUEST"
        [vevent] = calendar.walk("VEVENT")
        assert str(vevent["UID"]) == event_uid(event)
        assert "secret-room" in str(vevent["DESCRIPTION"])  # the registrant's own copy
        assert str(vevent["ATTENDEE"]) == f"mailto:{person.email}"
    feed = icalendar.Calendar.from_ical(build_calendar(services.public_feed()))
    [public] = feed.walk("VEVENT")
    assert str(public["UID"]) == event_uid(event)
    assert "secret-room" not in feed.to_ical().decode()


def test_a_cancelled_event_reads_back_with_method_cancel_and_a_higher_sequence(make_event, make_user, organizer, outbox):
    event = make_event()
    person = make_user()
    register(event, person)
    first_sequence = event.sequence
    outbox.clear()
    services.cancel_event(event, organizer)
    commit()
    run_ready()
    [message] = outbox.to(person.email)
    attached = next(p for p in message.walk() if p.get_filename() == "invite.ics")
    calendar = icalendar.Calendar.from_ical(attached.get_payload(decode=True))
    [vevent] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) > first_sequence
    assert "secret" not in calendar.to_ical().decode()


def test_the_personal_feed_holds_registrations_and_cluster_calls_with_join_links(app, make_event, make_user):
    from community.clusters.models import Cluster, ClusterMembership
    from community.extensions import db

    person, outsider = make_user(), make_user()
    cluster = Cluster(slug="data-evaluation", name="Data & Evaluation")
    cluster.memberships.append(ClusterMembership(user=person, role="member", status="active"))
    db.session.add(cluster)
    commit()
    call = make_event(kind="cluster-call", title="Data & Evaluation call", visibility="clusters",
                      cluster_id=cluster.id, rrule="FREQ=WEEKLY;INTERVAL=2", registration_enabled=False,
                      join_url="https://meet.example.org/j/data")
    webinar = make_event(title="Webinar I joined", join_url="https://meet.example.org/j/webinar")
    make_event(title="Webinar I did not join", join_url="https://meet.example.org/j/other")
    register(webinar, person)
    events, join = services.personal_feed(person)
    ics = build_calendar(events, join_for=join).decode()
    calendar = icalendar.Calendar.from_ical(ics)
    titles = {str(v["SUMMARY"]) for v in calendar.walk("VEVENT")}
    assert titles == {"Data & Evaluation call", "Webinar I joined"}
    assert "j/data" in ics and "j/webinar" in ics and "j/other" not in ics
    start = call.start_at.replace(tzinfo=UTC)
    # Calls on days 0, 14 and 28 (every two weeks), plus the webinar.
    assert len(_expand(ics.encode(), start, start + timedelta(days=29))) == 4
    assert services.personal_feed(outsider)[0] == []


def test_the_personal_feed_has_an_entry_for_each_workshop_the_person_chose(make_event, make_user, organizer):
    convening = make_event(kind="convening", title="Linkages Convening 2027", start_at=pacific(2027, 2, 23, 8, 30),
                           end_at=pacific(2027, 2, 24, 16), venue="Sacramento Convention Center", capacity=1)
    chosen, other = (services.save_session(convening, organizer, title=title, room=room, needs_choice=True,
                                           start_at=pacific(2027, 2, 23, 13), end_at=pacific(2027, 2, 23, 14, 30))
                     for title, room in (("Joint case reviews", "Room A"), ("Fiscal plans", "Room B")))
    services.save_session(convening, organizer, title="Opening plenary", start_at=pacific(2027, 2, 23, 8, 30),
                          end_at=pacific(2027, 2, 23, 9, 30))
    commit()
    person, waiting = make_user(), make_user()
    register(convening, person, session_ids=(chosen.id,))
    register(convening, waiting, session_ids=(other.id,))  # the one seat is taken: waitlisted

    _, body = services.feed_calendar(person)
    uid = event_uid(convening).replace("@", f"-session-{chosen.id}@")
    assert f"UID:{uid}".encode() in body.replace(b"\r\n ", b"")
    entries = {str(c["UID"]): c for c in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    assert set(entries) == {event_uid(convening), uid}
    workshop = entries[uid]
    assert str(workshop["SUMMARY"]) == "Joint case reviews · Linkages Convening 2027"
    assert str(workshop["LOCATION"]) == "Room A, Sacramento Convention Center"
    assert workshop["DTSTART"].dt.astimezone(UTC) == datetime(2027, 2, 23, 21, tzinfo=UTC)  # 1 PM PST
    assert workshop["SEQUENCE"] == entries[event_uid(convening)]["SEQUENCE"]
    _, theirs = services.feed_calendar(waiting)  # no seat, so no workshop entry
    assert [str(c["UID"]) for c in icalendar.Calendar.from_ical(theirs).walk("VEVENT")] == [event_uid(convening)]
