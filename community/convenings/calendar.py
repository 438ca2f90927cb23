"""iCalendar output: one event, feeds, and the invitations attached to e-mail.

Calendars are built with `icalendar` and follow what Outlook, Google and Apple expect: a stable UID
per event (the same in feeds and e-mail), DTSTAMP, a SEQUENCE raised on every change, times with
TZID=America/Los_Angeles and its VTIMEZONE, recurring series as RRULE with EXDATE for skipped
occurrences and RECURRENCE-ID overrides for moved ones, and METHOD:CANCEL/STATUS:CANCELLED for
cancellations. The online join link goes only into a registrant's own copy.

An event held over several days (`dates.day_spans`) is one VEVENT for its first day with
RRULE:FREQ=DAILY;COUNT=<days>: one entry per day with that day's hours, under the one UID, which
Outlook and Google accept in invitations (they show only the first of several UIDs in one).
A personal feed adds an entry of its own (UID `event-<id>-session-<id>@…`) for each workshop the
person chose, so the day shows where to be when.
"""
from datetime import timedelta, timezone
from urllib.parse import urlparse

import icalendar
from flask import current_app

from ..mail import external_url, sender_address
from ..timeutil import to_pacific, utcnow
from .dates import day_spans

PRODID = "-//CFPIC//Linkages Community//EN"

#: America/Los_Angeles by rule, valid for every date from 1967 on, with no end: the US rules of
#: 1967–1973 (1974 and 1975 had DST from January 6 and February 23), 1976–1986, 1987–2006 and the
#: rule in force since 2007. Generated VTIMEZONEs list dates up to a fixed year instead.
VTIMEZONE = """BEGIN:VTIMEZONE
TZID:America/Los_Angeles
X-LIC-LOCATION:America/Los_Angeles
BEGIN:STANDARD
DTSTART:19671029T020000
RRULE:FREQ=YEARLY;UNTIL=20061029T090000Z;BYMONTH=10;BYDAY=-1SU
TZNAME:PST
TZOFFSETFROM:-0700
TZOFFSETTO:-0800
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19670430T020000
RRULE:FREQ=YEARLY;UNTIL=19730429T100000Z;BYMONTH=4;BYDAY=-1SU
TZNAME:PDT
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
END:DAYLIGHT
BEGIN:DAYLIGHT
DTSTART:19740106T020000
RDATE:19750223T020000
TZNAME:PDT
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
END:DAYLIGHT
BEGIN:DAYLIGHT
DTSTART:19760425T020000
RRULE:FREQ=YEARLY;UNTIL=19860427T100000Z;BYMONTH=4;BYDAY=-1SU
TZNAME:PDT
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
END:DAYLIGHT
BEGIN:DAYLIGHT
DTSTART:19870405T020000
RRULE:FREQ=YEARLY;UNTIL=20060402T100000Z;BYMONTH=4;BYDAY=1SU
TZNAME:PDT
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
END:DAYLIGHT
BEGIN:DAYLIGHT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZNAME:PDT
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZNAME:PST
TZOFFSETFROM:-0700
TZOFFSETTO:-0800
END:STANDARD
END:VTIMEZONE
"""


def event_uid(event):
    """The one UID of an event, stable across feeds, downloads and invitations."""
    host = urlparse(current_app.config.get("SITE_URL") or "http://linkages.local").hostname or "linkages.local"
    return f"event-{event.id}@{host}"


def build_calendar(events, *, method=None, join_for=frozenset(), attendee=None, name=None, sessions=None):
    """Return the .ics bytes for `events`.

    :param method: REQUEST or CANCEL for e-mailed invitations; None for downloads and feeds.
    :param join_for: ids of the events whose join link this copy may carry (the reader is registered).
    :param attendee: the registrant (a User) for invitations.
    :param name: calendar name shown by subscribing clients.
    :param sessions: {event id: [agenda sessions]} the reader chose, each given its own entry.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "America/Los_Angeles")
    now = utcnow().replace(tzinfo=timezone.utc)
    for event in events:
        # RFC 5545 §3.8.7.2: with a METHOD (mail), when this object was made; without (a feed),
        # the event's last change, so a feed's bytes (and its ETag) change only with its events.
        stamp = now if method or event.updated_at is None else event.updated_at.replace(tzinfo=timezone.utc)
        cancelled = method == "CANCEL" or event.is_cancelled
        for component in _components(event, stamp, cancelled, event.id in join_for, attendee):
            calendar.add_component(component)
        for session in (sessions or {}).get(event.id, ()):
            calendar.add_component(_session_vevent(event, session, stamp, cancelled, event.id in join_for))
    calendar.add_component(pacific_timezone())
    return calendar.to_ical()


def meeting_invitation(uid, sequence, title, start, end, location, description, attendee, cancelled=False):
    """.ics bytes inviting one person to a meeting that is not a calendar event (a technical-assistance
    call): METHOD:REQUEST, or CANCEL when `cancelled`; stable `uid`, `sequence` raised by the caller
    on every change. (Provider `calendar.meeting_invitation`.)"""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    stamp = utcnow().replace(tzinfo=timezone.utc)
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", sequence)
    vevent.add("summary", title)
    vevent.add("dtstart", to_pacific(start))
    vevent.add("dtend", to_pacific(end))
    vevent.add("location", location or "Online")
    vevent.add("description", description)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    _add_organizer(vevent)
    vevent.add("attendee", f"mailto:{attendee.email}", parameters={
        "cn": attendee.name, "role": "REQ-PARTICIPANT", "partstat": "ACCEPTED", "rsvp": "FALSE"})
    calendar.add_component(vevent)
    calendar.add_component(pacific_timezone())
    return calendar.to_ical()


def _add_organizer(vevent):
    """ORGANIZER: the site's sending address (MAIL_FROM without its display name)."""
    vevent.add("organizer", f"mailto:{sender_address()}", parameters={"cn": current_app.config["SITE_NAME"]})


def pacific_timezone():
    """The VTIMEZONE component for America/Los_Angeles (see `VTIMEZONE`)."""
    return icalendar.Timezone.from_ical(VTIMEZONE.replace("\n", "\r\n"))


def _components(event, stamp, cancelled, with_join, attendee):
    if not event.rrule:
        days = day_spans(event.start_at, event.end_at)
        first_start, first_end = days[0]
        master = _vevent(event, stamp, cancelled, with_join, attendee, first_start, first_end)
        if len(days) > 1:
            master.add("rrule", {"freq": "daily", "count": len(days)})
        return [master]
    master = _vevent(event, stamp, cancelled, with_join, attendee, event.start_at, event.end_at)
    master.add("rrule", icalendar.vRecur.from_ical(event.rrule))
    skipped = [to_pacific(change.original_start) for change in event.exceptions if change.is_skipped]
    if skipped:
        master.add("exdate", skipped)
    overrides = []
    for change in event.exceptions:
        if change.is_skipped:
            continue
        moved = _vevent(event, stamp, cancelled, with_join, attendee, change.new_start, change.new_end)
        moved.add("recurrence-id", to_pacific(change.original_start))
        if change.note:
            moved["description"] = f"{change.note}\n\n{moved['description']}"
        overrides.append(moved)
    return [master, *overrides]


def _session_vevent(event, session, stamp, cancelled, with_join):
    """A chosen workshop as an entry of its own: its times and room, the event's SEQUENCE."""
    vevent = _vevent(event, stamp, cancelled, with_join, None, session.start_at, session.end_at)
    vevent["uid"] = event_uid(event).replace("@", f"-session-{session.id}@", 1)
    vevent["summary"] = f"{session.title} · {event.title}"
    vevent["location"] = ", ".join(part for part in (session.room, event.venue or "Online") if part)
    details = [session.description.strip(), f"Speakers: {session.speakers}" if session.speakers else ""]
    vevent["description"] = "\n\n".join(line for line in [*details, str(vevent["description"])] if line)
    return vevent


def _vevent(event, stamp, cancelled, with_join, attendee, start, end):
    page = external_url("convenings.event_page", event_id=event.id)
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", event.sequence or 0)
    vevent.add("summary", event.title)
    vevent.add("dtstart", to_pacific(start))
    vevent.add("dtend", to_pacific(end))
    vevent.add("location", event.venue or "Online")
    vevent.add("url", page)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("categories", [event.kind_label])
    vevent.add("last-modified", (event.updated_at or stamp.replace(tzinfo=None)).replace(tzinfo=timezone.utc))
    lines = [event.summary.strip(), f"Details: {page}"]
    if with_join and event.join_url:
        lines.append(f"Join online: {event.join_url}")
    vevent.add("description", "\n\n".join(line for line in lines if line))
    _add_organizer(vevent)
    if attendee is not None:
        vevent.add("attendee", f"mailto:{attendee.email}",
                   parameters={"cn": attendee.name, "role": "REQ-PARTICIPANT",
                               "partstat": "DECLINED" if cancelled else "ACCEPTED", "rsvp": "FALSE"})
    if not cancelled:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", timedelta(hours=-1))
        vevent.add_component(alarm)
    return vevent
