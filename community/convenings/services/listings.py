"""What calendar and event pages list: occurrences in a window (cached per app), a person's
registrations, agendas, month grids, participants and the organizers' registrant lists."""
import calendar as pycalendar
from collections import namedtuple
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property

from flask import request
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from ...caching import remember
from ...extensions import db
from ...markup import markdown_html
from ...permissions import access_filter, can
from ...timeutil import from_pacific, to_pacific, utcnow
from ..dates import day_range, day_spans
from ..models import Event, EventRegistration, EventSessionChoice
from .caches import CACHE_SIZE, events_version
from .events import people_told_of_cancellation
from .feeds import may_join
from .registration import waiting_for_seat

ListedCluster = namedtuple("ListedCluster", "id name")


@dataclass(frozen=True)
class Listed:
    """What calendars show of an event: plain data, so a listing can outlive its database session."""

    id: int
    kind: str
    title: str
    status: str
    venue: str
    cluster: ListedCluster | None

    kind_label = Event.kind_label
    place_label = Event.place_label
    is_cancelled = Event.is_cancelled
    is_draft = Event.is_draft

    @classmethod
    def of(cls, event):
        cluster = ListedCluster(event.cluster.id, event.cluster.name) if event.cluster else None
        return cls(event.id, event.kind, event.title, event.status, event.venue, cluster)


@dataclass(frozen=True)
class Occurrence:
    """One dated appearance of an event on a calendar."""

    event: Listed
    start: object
    end: object
    original: object
    moved: bool = False
    #: Which day of a multi-day event this entry shows (`dates.day_spans`), and of how many.
    day: int = 1
    days: int = 1
    #: The days a multi-day event is held, in short ("Feb 23–24"); "" for a one-day entry.
    dates: str = ""

    # Listings are cached, and their occurrences with them: these are formatted once per process.
    @cached_property
    def clock(self):
        """The Pacific start time without the zone ("9:30 AM"), as the month grid shows it."""
        return to_pacific(self.start).strftime("%-I:%M %p")

    @cached_property
    def end_clock(self):
        return to_pacific(self.end).strftime("%-I:%M %p")

    @cached_property
    def day_label(self):
        """("Dec", "8"), or ("Feb", "23–24") for days in one month: the Pacific month and days,
        for a list's date badge."""
        begins, ends = to_pacific(self.start), to_pacific(self.end)
        several = len(day_spans(self.start, self.end)) > 1 and begins.month == ends.month
        return begins.strftime("%b"), f"{begins.day}–{ends.day}" if several else str(begins.day)

    @cached_property
    def when(self):
        return when_html(self.start, self.end)


def when_html(start, end):
    """Start and end in Pacific time as <time> elements ("Tue, Dec 8, 2026, 10:00 AM–11:00 AM PST");
    the end's date is written when it is another day. Templates call it as `event_when`."""
    begins, ends = to_pacific(start), to_pacific(end)
    if len(day_spans(start, end)) > 1:  # held the same hours on each day
        return Markup('<time datetime="{}">{}</time>–<time datetime="{}">{}</time>, {}–{} {} each day').format(
            begins.isoformat(), f"{begins:%a, %b %-d}", ends.isoformat(), f"{ends:%a, %b %-d, %Y}",
            f"{begins:%-I:%M %p}", f"{ends:%-I:%M %p}", ends.tzname())
    end_date = "" if ends.date() == begins.date() else f"{ends:%a, %b %-d, %Y}, "
    return Markup('<time datetime="{}">{}, {}</time>–<time datetime="{}">{}{} {}</time>').format(
        begins.isoformat(), f"{begins:%a, %b %-d, %Y}", f"{begins:%-I:%M %p}", ends.isoformat(), end_date,
        f"{ends:%-I:%M %p}", ends.tzname())


def render_markdown(text):
    """Markdown to sanitized HTML (no raw HTML, safe links)."""
    return Markup(markdown_html(text))


def occurrences_for(user, start, end, kind=None, cluster_id=None, limit=None):
    """Occurrences visible to `user` in [start, end), in time order, in a constant number of queries.

    Listings are cached per app by the events' version, what the person may see, the
    filters and the window; the key holds the current minute too, so a renamed cluster shows
    within a minute. The window is widened to whole minutes: event times are whole minutes, so
    an occurrence overlaps the widened window exactly when it overlaps [start, end).
    """
    return kept_occurrences(user, start, end, kind, cluster_id, limit)[1]


def kept_occurrences(user, start, end, kind=None, cluster_id=None, limit=None, version=None):
    """(the key the listing is kept under, the occurrences): see `occurrences_for`. `version`: the
    calendar's version (`events_version`) when the caller has read it in this request already."""
    key, start, end = listing_key(user, start, end, kind, cluster_id, limit, version)
    return key, remember("convenings.listings", key,
                         lambda: _list_occurrences(user, start, end, kind, cluster_id, limit), CACHE_SIZE)


def listing_key(user, start, end, kind=None, cluster_id=None, limit=None, version=None):
    """(the key a listing is kept under, the window widened to whole minutes): everything the
    listing depends on, so a page built only from the listing may be kept under it too."""
    start, whole = _minute(start), _minute(end)
    end = whole if whole == end else whole + timedelta(minutes=1)
    allowed = access_filter(user)
    version = events_version() if version is None else version
    key = (version, allowed.everything or getattr(user, "is_organizer", False), allowed.members,
           tuple(sorted(allowed.cluster_ids)), kind, cluster_id, start, end, limit, _minute(utcnow()))
    return key, start, end


def listing_html(listing, shown_as, mine, render):
    """HTML made only from a kept listing (the month grid, a page of the upcoming list):
    `render()` once, then kept per app under the listing's key (`kept_occurrences`: it holds the
    current minute, so the day too), how it is shown (`shown_as`: the month, or the page), the
    viewer's registrations shown in it (`mine`: {event id: registration}) and the script root of
    its links."""
    key = (listing, shown_as,
           tuple(sorted((event_id, r.status, r.is_active) for event_id, r in mine.items())),
           request.script_root)
    return remember("convenings.pages", key, render, CACHE_SIZE)


def _minute(moment):
    return moment.replace(second=0, microsecond=0)


def _list_occurrences(user, start, end, kind, cluster_id, limit):
    """The listing itself. With a `limit`, only the first `limit` one-off events (by start) are
    loaded, in the same query as the series, and series are expanded only up to the last of
    them: a later one-off or occurrence could not be among the first `limit`."""
    query = Event.visible_to(user)
    if kind:
        query = query.where(Event.kind == kind)
    if cluster_id:
        query = query.where(Event.cluster_id == cluster_id)
    query = Event.in_window(query, start, end, one_offs_limit=limit)
    events = db.session.scalars(query.options(selectinload(Event.exceptions))).unique().all()
    one_offs = sorted((e for e in events if not e.rrule), key=lambda e: (e.start_at, e.title, e.id))
    if limit and len(one_offs) >= limit:
        end = min(end, one_offs[limit - 1].start_at + timedelta(microseconds=1))
    found = []
    for event in events:
        listed = Listed.of(event)
        moved = {c.original_start for c in event.exceptions if not c.is_skipped} if event.rrule else ()
        for begins, ends, original in event.occurrences(start, end):
            found.append(Occurrence(listed, begins, ends, original, original in moved))
    found.sort(key=lambda o: (o.start, o.event.title, o.event.id))
    return tuple(found[:limit] if limit else found)


def month_weeks(year, month, occurrences):
    """Weeks (Sunday first) of (date, in_month, [occurrences]) for a month grid, in Pacific days.

    An event held over several days is on each of them, with that day's hours and its dates
    ("Feb 23–24"): the grid draws it as a bar across those days.
    """
    by_day = {}
    for occurrence in occurrences:
        spans = day_spans(occurrence.start, occurrence.end)
        dates = day_range(spans[0][0], spans[-1][1]) if len(spans) > 1 else ""
        for number, (begins, ends) in enumerate(spans, 1):
            shown = occurrence if len(spans) == 1 else replace(
                occurrence, start=begins, end=ends, day=number, days=len(spans), dates=dates)
            by_day.setdefault(to_pacific(begins).date(), []).append(shown)
    for items in by_day.values():
        items.sort(key=lambda o: (o.start, o.event.title, o.event.id))
    weeks = pycalendar.Calendar(firstweekday=6).monthdatescalendar(year, month)
    return [[(day, day.month == month, by_day.get(day, [])) for day in week] for week in weeks]


def agenda_of(event):
    """[(day, [(start, end, [sessions side by side])])]: the agenda by Pacific day and time slot."""
    days = {}
    for session in event.sessions:
        day = to_pacific(session.start_at).date()
        slots = days.setdefault(day, {})
        slots.setdefault((session.start_at, session.end_at), []).append(session)
    return [(day, [(start, end, sessions) for (start, end), sessions in sorted(slots.items())])
            for day, slots in sorted(days.items())]


#: A person's registrations, all or for some events (the home page and calendars ask for them).
_REGISTRATIONS = select(EventRegistration).where(EventRegistration.user_id == bindparam("user_id"))
_REGISTRATIONS_FOR = _REGISTRATIONS.where(EventRegistration.event_id.in_(bindparam("event_ids", expanding=True)))


def registrations_of(user, event_ids=None):
    """{event_id: registration} of a person's registrations (one query); {} for visitors."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if event_ids is None:
        found = db.session.scalars(_REGISTRATIONS, {"user_id": user.id})
    elif not event_ids:
        return {}
    else:
        found = db.session.scalars(_REGISTRATIONS_FOR, {"user_id": user.id, "event_ids": sorted(event_ids)})
    return {r.event_id: r for r in found}


@dataclass(frozen=True)
class RegistrationMark:
    """What a calendar or a list of events shows of the viewer's registration for one: its status."""

    status: str

    @property
    def is_active(self):
        return self.status in EventRegistration.ACTIVE


#: `_REGISTRATIONS_FOR` as two columns (no registration, and so no person joined to it).
_MARKS_FOR = _REGISTRATIONS_FOR.with_only_columns(EventRegistration.event_id, EventRegistration.status)


def registration_marks(user, event_ids):
    """{event_id: RegistrationMark} of a person's registrations for these events, read as two
    columns (the month grid, the upcoming list and the home page show a badge, nothing more);
    {} for visitors."""
    if not getattr(user, "is_authenticated", False) or not event_ids:
        return {}
    rows = db.session.execute(_MARKS_FOR, {"user_id": user.id, "event_ids": sorted(event_ids)})
    return {event_id: RegistrationMark(status) for event_id, status in rows}


def own_registrations(user):
    """A person's registrations, newest first, for events they may still see (a registration
    left for an event of a cluster they left is not theirs to see)."""
    registrations = db.session.scalars(
        select(EventRegistration).where(EventRegistration.user_id == user.id)
        .options(selectinload(EventRegistration.event).selectinload(Event.exceptions),
                 selectinload(EventRegistration.choices))
        .order_by(EventRegistration.created_at.desc())).all()
    return [r for r in registrations if can(user, "view", r.event)]


def upcoming_and_past(registrations, now):
    """A person's registrations split into (active ones for events still to come, the rest)."""
    upcoming = [r for r in registrations if r.is_active and r.event.next_occurrence(now)]
    return upcoming, [r for r in registrations if r not in upcoming]


def registration_counts(event_id):
    return dict(db.session.execute(EventRegistration.counts_by_status(event_id)).all())


def participants(event, viewer):
    """Registered people who chose to show their name, for signed-in viewers."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    return db.session.scalars(
        select(EventRegistration).where(EventRegistration.event_id == event.id,
                                        EventRegistration.status == "registered",
                                        EventRegistration.show_name.is_(True))
        .order_by(EventRegistration.arrival)).all()


def registrations_for(event):
    """Every registration of an event in arrival order, with choices and county (organizers' lists)."""
    return db.session.scalars(
        select(EventRegistration).where(EventRegistration.event_id == event.id)
        .options(selectinload(EventRegistration.choices).joinedload(EventSessionChoice.session),
                 selectinload(EventRegistration.county))
        .order_by(EventRegistration.arrival)).all()


def check_in_list(event, name_query=""):
    """(registered people whose name holds `name_query`, how many of everyone registered are
    checked in, how many are registered): the count does not change with the search."""
    query = (name_query or "").strip().lower()
    registered = [r for r in registrations_for(event) if r.status == "registered"]
    matching = [r for r in registered if not query or query in r.user.name.lower()]
    return matching, sum(1 for r in registered if r.checked_in_at), len(registered)


def active_clusters(version=None):
    """(id, name) of the clusters a calendar can be filtered by, and an event can belong to.

    With the calendar's `version` (`events_version`, read first in this request), they are kept
    per app under it: every write to the clusters table gives the calendar a new version, so a
    cluster renamed, archived or made shows at the next view, and a calendar's filter menu costs
    no statement of its own. Without it (the event form), or with the stand-in version of a
    database that has no version row (which clusters do not change), they are read."""
    from ...clusters.models import ACTIVE_CLUSTER_ROWS

    def read():
        return tuple(ListedCluster(row.id, row.name) for row in db.session.execute(ACTIVE_CLUSTER_ROWS))

    return remember("convenings.clusters", version, read, 4) if isinstance(version, int) else read()


def month_window(year, month):
    """(first day, first of the previous month, first of the next, start, end) of a month grid:
    the UTC window runs a week past each edge, for the days of other months the grid shows."""
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = from_pacific(datetime.combine(first - timedelta(days=7), time.min))
    end = from_pacific(datetime.combine(following + timedelta(days=7), time.min))
    return first, (first - timedelta(days=1)).replace(day=1), following, start, end


def event_page_facts(event, viewer, registration):
    """What an event's page shows besides the event: agenda, join link, seats, participants, and
    for its organizers how many people a cancellation would reach."""
    now = utcnow()
    can_edit = can(viewer, "edit", event)
    return dict(
        agenda=agenda_of(event), summary_html=render_markdown(event.summary),
        show_join=may_join(event, viewer, registration),
        upcoming=event.occurrences(now, now + timedelta(days=200))[:6] if event.rrule else [],
        registration_open=event.accepts_registrations(now),
        counts=registration_counts(event.id) if event.capacity else {},
        is_past=event.end_at < now and not event.rrule, can_edit=can_edit,
        participants=participants(event, viewer), waiting=waiting_for_seat(registration, viewer),
        told_of_cancellation=people_told_of_cancellation(event, viewer)
        if can_edit and not event.is_cancelled else 0)
