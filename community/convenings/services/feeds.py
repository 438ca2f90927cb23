"""Calendar feeds: the public feed, personal feeds behind a revocable secret, and join links."""
import hashlib
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...caching import remember
from ...extensions import db
from ...permissions import can, cluster_roles
from ...timeutil import utcnow
from ..calendar import build_calendar
from ..models import CANCELLED, PUBLISHED, Event, EventCalendarToken, EventRegistration, EventSessionChoice
from .caches import CACHE_SIZE, events_version

#: The public feed carries events that ended at most this long ago (and every live series).
PUBLIC_FEED_HISTORY = timedelta(days=180)


def calendar_token(user, regenerate=False):
    """The person's feed secret, created on first use; regenerating revokes the old URL."""
    token = db.session.get(EventCalendarToken, user.id)
    if token is None:
        token = EventCalendarToken(user_id=user.id, token=EventCalendarToken.new_secret())
        db.session.add(token)
    elif regenerate:
        token.token = EventCalendarToken.new_secret()
        token.created_at = utcnow()
    db.session.flush()
    return token


def person_for_token(secret):
    token = db.session.scalar(select(EventCalendarToken).where(EventCalendarToken.token == secret))
    return token.user if token is not None and token.user.is_active else None


def personal_feed(user):
    """(events, ids with the join link) for a person's feed: registrations and their clusters' calls."""
    registrations = db.session.execute(
        select(EventRegistration.event_id, EventRegistration.status).where(
            EventRegistration.user_id == user.id,
            EventRegistration.status.in_(("registered", "waitlisted", "pending")))).all()
    registered = {event_id for event_id, status in registrations if status == "registered"}
    clusters = set(cluster_roles(user))
    query = select(Event).where(Event.status.in_((PUBLISHED, CANCELLED)))
    wanted = Event.id.in_({event_id for event_id, _ in registrations})
    if clusters:
        wanted = wanted | ((Event.kind == "cluster-call") & Event.cluster_id.in_(clusters))
    events = db.session.scalars(query.where(wanted).options(selectinload(Event.exceptions))
                                .order_by(Event.start_at)).all()
    events = [e for e in events if can(user, "view", e)]
    join = {e.id for e in events if not e.is_cancelled and (e.id in registered or _cluster_call_member(e, clusters))}
    return events, join


def chosen_sessions(user, event_ids):
    """{event id: [sessions]} of the workshops a person holds a seat in, among `event_ids` (one query)."""
    choices = db.session.scalars(
        select(EventSessionChoice).join(EventRegistration, EventRegistration.id == EventSessionChoice.registration_id)
        .where(EventRegistration.user_id == user.id, EventRegistration.status == "registered",
               EventRegistration.event_id.in_(event_ids))).all()
    found = {}
    for choice in sorted(choices, key=lambda c: (c.session.start_at, c.session.id)):
        found.setdefault(choice.session.event_id, []).append(choice.session)
    return found


def public_feed():
    """Public events for the site-wide feed: recent and upcoming ones, and every recurring series."""
    since = utcnow() - PUBLIC_FEED_HISTORY
    return db.session.scalars(
        select(Event).where(Event.visibility == "public", Event.status.in_((PUBLISHED, CANCELLED)),
                            (Event.end_at >= since) | (Event.rrule != ""))
        .options(selectinload(Event.exceptions)).order_by(Event.start_at)).all()


def feed_calendar(person=None):
    """(etag, .ics bytes) of the public feed, or of `person`'s personal feed.

    The body is rebuilt only when an event or (for a person) their registrations or clusters
    changed, or the minute turned. Every change raises `updated_at`, so the version key catches
    it — except a change stamped before another that committed first (two edits at once): the
    minute bounds how long such a feed can miss it, as it does for the calendar's listings.
    """
    now, version = utcnow().replace(second=0, microsecond=0), events_version()
    key = ("public", version, now)
    if person is not None:
        mine = db.session.execute(select(func.max(EventRegistration.updated_at), func.count()).where(
            EventRegistration.user_id == person.id)).one()
        key = ("person", person.id, person.name, version, tuple(mine), tuple(sorted(cluster_roles(person))), now)
    return remember("convenings.feeds", key, lambda: _tagged(_build_feed(person)), CACHE_SIZE)


def _tagged(body):
    """(etag, body): the tag is the body's hash, so it changes only when the feed does (a change
    to an event the feed does not show must not be visible in it)."""
    return hashlib.sha256(body).hexdigest()[:32], body


def _build_feed(person):
    if person is None:
        return build_calendar(public_feed(), name="Linkages Community events")
    events, join = personal_feed(person)
    return build_calendar(events, join_for=join, name=f"Linkages: {person.name}",
                          sessions=chosen_sessions(person, [e.id for e in events]))


def _cluster_call_member(event, cluster_ids):
    return event.kind == "cluster-call" and event.cluster_id in cluster_ids


def may_join(event, user, registration):
    """Whether the join link may be shown to this person: registered, or a member of the call's cluster."""
    if not getattr(user, "is_authenticated", False) or not event.join_url or event.is_cancelled:
        return False  # a cancelled call's link is no meeting to join
    if registration is not None and registration.status == "registered":
        return True
    return can(user, "edit", event) or _cluster_call_member(event, set(cluster_roles(user)))
