"""Calendars as they leave the site: invitation bytes at a real SMTP server, feed bytes, the grid."""
import re
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from community import content
from community.convenings import services
from community.convenings.calendar import event_uid
from newsletters.blocks import card_snapshot

from .conftest import commit, pacific, register

UTC = timezone.utc
PACIFIC = ZoneInfo("America/Los_Angeles")


def _lines(ics):
    """Content lines read strictly: CRLF ends, a leading space continues the previous line."""
    assert b"\n" not in ics.replace(b"\r\n", b"")
    return ics.replace(b"\r\n ", b"").decode().split("\r\n")


def _vevents(lines):
    """The content lines of each VEVENT (alarms left out)."""
    found, current, depth = [], None, 0
    for line in lines:
        if line == "BEGIN:VEVENT":
            current, depth = [], 0
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            if line.startswith("BEGIN:"):
                depth += 1
            elif line.startswith("END:"):
                depth -= 1
            elif depth == 0:
                current.append(line)
    return found


def _value(lines, name):
    [line] = [line for line in lines if re.match(rf"{name}[;:]", line)]
    return line.split(":", 1)[1]


def _calendar_parts(raw):
    """[(Content-Type header as sent, filename, .ics bytes)] of a message's calendar parts."""
    message = message_from_bytes(raw, policy=policy.compat32)
    return [(" ".join(part["Content-Type"].split()), part.get_filename(), part.get_payload(decode=True))
            for part in message.walk() if part.get_content_type() == "text/calendar"]


def _use_smtp(app, server):
    app.config["MAIL_URL"] = server.url


def test_a_persons_own_cancellation_raises_sequence_and_both_calendar_parts_name_the_method(
        app, smtp_server, make_event, make_user, outbox):
    _use_smtp(app, smtp_server)
    event = make_event(join_url="https://meet.example.org/j/room")
    person = make_user()
    registration = register(event, person)
    services.cancel_registration(registration, person)
    commit()

    smtp_server.wait_for(2)
    request, cancel = smtp_server.raw_messages
    sequences = []
    for raw, method in ((request, "REQUEST"), (cancel, "CANCEL")):
        parts = _calendar_parts(raw)
        assert sorted(filename or "" for _, filename, _ in parts) == ["", "invite.ics"]
        for content_type, _, ics in parts:
            assert re.search(rf'method="?{method}"?(;|$)', content_type), content_type
            assert re.search(r'charset="?utf-8"?', content_type), content_type
            lines = _lines(ics)
            assert f"METHOD:{method}" in lines
            [vevent] = _vevents(lines)
            assert _value(vevent, "UID") == event_uid(event)
            sequences.append(int(_value(vevent, "SEQUENCE")))
    assert sequences[0] == sequences[1] < sequences[2] == sequences[3]


def test_re_registering_after_cancelling_sends_a_request_with_a_still_higher_sequence(
        app, smtp_server, make_event, make_user):
    _use_smtp(app, smtp_server)
    event = make_event()
    person = make_user()
    registration = register(event, person)
    services.cancel_registration(registration, person)
    commit()
    register(event, person)

    smtp_server.wait_for(3)
    sequences = [int(_value(_vevents(_lines(_calendar_parts(raw)[0][2]))[0], "SEQUENCE"))
                 for raw in smtp_server.raw_messages]
    assert sequences == sorted(set(sequences))  # strictly increasing


def test_the_feed_vtimezone_is_rule_based_and_right_for_every_date_from_1968_to_2200(
        client, make_event):
    make_event(title="Far future planning call", start_at=pacific(2045, 7, 11, 10),
               end_at=pacific(2045, 7, 11, 11))
    ics = client.get("/events/calendar.ics").data
    lines = _lines(ics)
    start, end = lines.index("BEGIN:VTIMEZONE"), lines.index("END:VTIMEZONE")
    vtimezone = lines[start:end + 1]
    assert "TZID:America/Los_Angeles" in vtimezone
    assert not any(line.startswith("COMMENT") for line in vtimezone)
    assert "only works" not in ics.decode() and "2038" not in ics.decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in vtimezone  # the rule since 2007, no end
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in vtimezone
    # Every hour-and-a-bit from 1968 to 2200 gets the offset the tz database gives.
    [component] = icalendar.Calendar.from_ical(ics).walk("VTIMEZONE")
    ours = component.to_tz()
    moment, wrong = datetime(1968, 1, 1), []
    while moment < datetime(2200, 1, 1):
        if moment.replace(tzinfo=ours).utcoffset() != moment.replace(tzinfo=PACIFIC).utcoffset():
            wrong.append(moment)
        moment += timedelta(hours=25, minutes=7)
    assert wrong == []
    [vevent] = _vevents(lines)
    assert "DTSTART;TZID=America/Los_Angeles:20450711T100000" in vevent


def _two_day_convening(make_event):
    return make_event(kind="convening", title="Linkages Statewide Convening 2027",
                      start_at=pacific(2027, 2, 23, 8, 30), end_at=pacific(2027, 2, 24, 16),
                      venue="Sacramento Convention Center")


def _assert_one_entry_per_day(ics, event):
    lines = _lines(ics)
    [vevent] = [v for v in _vevents(lines) if _value(v, "UID") == event_uid(event)]
    assert "DTSTART;TZID=America/Los_Angeles:20270223T083000" in vevent
    assert "DTEND;TZID=America/Los_Angeles:20270223T160000" in vevent
    assert "RRULE:FREQ=DAILY;COUNT=2" in vevent
    calendar = icalendar.Calendar.from_ical(ics)
    days = recurring_ical_events.of(calendar).between(datetime(2027, 2, 1), datetime(2027, 3, 1))
    spans = sorted((d["DTSTART"].dt.astimezone(PACIFIC), d["DTEND"].dt.astimezone(PACIFIC)) for d in days)
    assert [(b.date(), b.strftime("%H:%M"), e.date(), e.strftime("%H:%M")) for b, e in spans] == [
        (datetime(2027, 2, 23).date(), "08:30", datetime(2027, 2, 23).date(), "16:00"),
        (datetime(2027, 2, 24).date(), "08:30", datetime(2027, 2, 24).date(), "16:00")]


def test_a_two_day_convening_is_one_entry_per_day_in_the_feed_and_the_invitation(
        app, client, smtp_server, make_event, make_user):
    _use_smtp(app, smtp_server)
    event = _two_day_convening(make_event)
    _assert_one_entry_per_day(client.get("/events/calendar.ics").data, event)
    _assert_one_entry_per_day(client.get(f"/events/{event.id}/event.ics").data, event)
    register(event, make_user())
    smtp_server.wait_for(1)
    for _, _, ics in _calendar_parts(smtp_server.raw_messages[0]):
        _assert_one_entry_per_day(ics, event)


def test_the_month_grid_shows_a_two_day_convening_on_both_days_with_each_days_hours(
        client, make_event):
    event = _two_day_convening(make_event)
    html = client.get("/events/month/2027-2").get_data(as_text=True)
    cells = {int(number): cell for number, cell in re.findall(
        r'<span class="day-number">(\d+)<span class="visually-hidden"> February</span></span>(.*?)</td>',
        html, re.S)}
    for day, label in ((23, "day 1 of 2"), (24, "day 2 of 2")):
        assert event.title in cells[day] and "8:30 AM–4:00 PM" in cells[day] and label in cells[day]
    assert all(event.title not in cells[day] for day in cells if day not in (23, 24))


def test_the_month_grid_draws_a_two_day_convening_as_one_bar_with_its_date_range(client, make_event):
    event = _two_day_convening(make_event)
    html = client.get("/events/month/2027-2").get_data(as_text=True)
    bars = re.findall(r'<li class="kind-convening bar([^"]*)"><a href="/events/(\d+)"><span class="bar-dates">([^<]*)</span>',
                      html)
    assert bars == [(" bar-start", str(event.id), "Feb 23–24"), (" bar-continues bar-end", str(event.id), "Feb 23–24")]


def test_a_bar_that_crosses_into_a_new_week_and_month_names_its_dates_again(client, make_event):
    event = make_event(kind="convening", title="Year-end convening", start_at=pacific(2027, 2, 27, 9),
                       end_at=pacific(2027, 3, 1, 15))  # Saturday to Monday
    html = client.get("/events/month/2027-2").get_data(as_text=True)
    classes = re.findall(r'<li class="kind-convening bar([^"]*)"><a href="/events/%d">' % event.id, html)
    assert classes == [" bar-start", " bar-week-start", " bar-continues bar-end"]
    assert html.count("Feb 27 – Mar 1") == 3


def test_the_upcoming_list_badge_of_a_two_day_convening_shows_both_days(make_event):
    _two_day_convening(make_event)
    [occurrence] = services.occurrences_for(None, pacific(2027, 2, 1, 0), pacific(2027, 3, 1, 0))
    assert occurrence.day_label == ("Feb", "23–24")


def test_the_newsletter_event_card_of_a_two_day_convening_shows_the_date_range(app, make_event):
    _two_day_convening(make_event)
    [card] = content.provide("events.upcoming_public", pacific(2027, 2, 1, 0), pacific(2027, 3, 1, 0))
    assert card_snapshot(card)["when"] == "Feb 23–24, 2027 · 8:30 AM–4:00 PM PST"


def test_the_newsletter_event_card_keeps_the_summarys_list_items_as_lines(app, make_event):
    make_event(kind="convening", title="Linkages Statewide Convening 2027",
               start_at=pacific(2027, 2, 23, 8, 30), end_at=pacific(2027, 2, 24, 16),
               summary="Two days in Sacramento.\n\n- Breakfast is *provided*.\n- Travel support.")
    [card] = content.provide("events.upcoming_public", pacific(2027, 2, 1, 0), pacific(2027, 3, 1, 0))
    assert card.summary == "Two days in Sacramento.\n- Breakfast is provided.\n- Travel support."
