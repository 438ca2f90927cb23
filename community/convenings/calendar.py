"""iCalendar output: one event, feeds, and the invitations attached to e-mail.

Calendars are built with `icalendar` and follow what Outlook, Google and Apple expect: a stable UID
per event (the same in feeds and e-mail), DTSTAMP, a SEQUENCE raised on every change, times with
TZID=America/Los_Angeles and its VTIMEZONE, recurring series as RRULE with EXDATE for skipped
occurrences and RECURRENCE-ID overrides for moved ones, and METHOD:CANCEL/STATUS:CANCELLED for
cancellations. The online join link goes only into a registrant's own copy.
"""
from datetime import timedelta, timezone
from urllib.parse import urlparse

import icalendar
from flask import current_app

from ..mail import external_url
from ..timeutil import to_pacific, utcnow

PRODID = "-//CFPIC//Linkages Community//EN"


def event_uid(event):
    """The one UID of an event, stable across feeds, downloads and invitations."""
    host = urlparse(current_app.config.get("SITE_URL") or "http://linkages.local").hostname or "linkages.local"
    return f"event-{event.id}@{host}"


def build_calendar(events, *, method=None, join_for=frozenset(), attendee=None, name=None):
    """Return the .ics bytes for `events`.

    :param method: REQUEST or CANCEL for e-mailed invitations; None for downloads and feeds.
    :param join_for: ids of the events whose join link this copy may carry (the reader is registered).
    :param attendee: the registrant (a User) for invitations.
    :param name: calendar name shown by subscribing clients.
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
    stamp = utcnow().replace(tzinfo=timezone.utc)
    for event in events:
        cancelled = method == "CANCEL" or event.is_cancelled
        for component in _components(event, stamp, cancelled, event.id in join_for, attendee):
            calendar.add_component(component)
    calendar.add_component(icalendar.Timezone.from_tzid("America/Los_Angeles"))
    return calendar.to_ical()


def _components(event, stamp, cancelled, with_join, attendee):
    master = _vevent(event, stamp, cancelled, with_join, attendee, event.start_at, event.end_at)
    if not event.rrule:
        return [master]
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
    address = current_app.config["MAIL_FROM"]
    address = address.rpartition("<")[2].rstrip(">") or address
    vevent.add("organizer", f"mailto:{address}", parameters={"cn": current_app.config["SITE_NAME"]})
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
