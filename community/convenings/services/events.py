"""Creating, changing, publishing and cancelling events; agenda sessions, occurrences, materials."""
from datetime import timedelta

from sqlalchemy import select

from ... import audit, guard
from ...accounts.models import User
from ...extensions import db
from ...permissions import NotAllowed, can
from ...timeutil import utcnow
from .. import provides
from ..models import (CANCELLED, DRAFT, PUBLISHED, Event, EventError, EventException, EventMaterial,
                      EventSession)
from .notices import notify, notify_registrations_ended
from .registration import end_registrations_out_of_sight
from .seats import (active_registrations, count_active, lock_event, promote_waitlist, require_edit,
                    seats_taken, seats_taken_at)

EDITABLE = ("kind", "title", "summary", "start_at", "end_at", "venue", "join_url", "visibility",
            "cluster_id", "rrule", "capacity", "registration_opens_at", "registration_closes_at",
            "requires_approval", "registration_enabled")
#: Changes that registrants' calendars and inboxes must hear about.
NOTIFY_ON = ("title", "start_at", "end_at", "venue", "join_url", "rrule")


def _screen(fields, names, confirmed):
    """The confidentiality guard on the text fields among `names` that are being set."""
    guard.screen({name: fields[name] or "" for name in names if name in fields}, confirmed)


def create_event(actor, organizers=(), confirmed=False, **fields):
    """Create a draft event (organizers only)."""
    if not can(actor, "organize"):
        raise NotAllowed("Only organizers create events.")
    _screen(fields, ("title", "summary"), confirmed)
    _screen(fields, ("venue", "join_url"), True)  # a street address is normal here; an SSN never
    event = Event(created_by_id=actor.id, status=DRAFT, **{k: v for k, v in fields.items() if k in EDITABLE})
    event.organizers = list(organizers) or [actor]
    event.validate()
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "event.create", "event", event.id, f"Created {event.title}")
    return event


def update_event(event, actor, organizers=None, confirmed=False, **fields):
    """Change an event; raises SEQUENCE, tells registrants about changes that matter to them."""
    require_edit(actor, event)
    _screen(fields, ("title", "summary"), confirmed)
    _screen(fields, ("venue", "join_url"), True)  # a street address is normal here; an SSN never
    event = lock_event(event.id)
    changed = [k for k in EDITABLE if k in fields and getattr(event, k) != fields[k]]
    for key in changed:
        setattr(event, key, fields[key])
    if organizers is not None:
        event.organizers = list(organizers)
    event.validate()
    if "capacity" in changed and event.capacity is not None:
        taken = seats_taken_at(event)
        if event.capacity < taken:
            holders = "1 person holds a seat" if taken == 1 else f"{taken} people hold a seat"
            raise EventError(f"{holders}, so the capacity cannot be lower than {taken}. "
                             "Cancel registrations first if the room got smaller.")
    if not changed and organizers is None:
        return event
    event.touch()
    db.session.flush()
    if "visibility" in changed or "cluster_id" in changed:
        for person in {r.user for r in end_registrations_out_of_sight(active_registrations(event))}:
            notify_registrations_ended(person)
    if "capacity" in changed:
        promote_waitlist(event)  # more seats go to the waitlist in arrival order
    if event.status == PUBLISHED and any(k in NOTIFY_ON for k in changed):
        for registration in active_registrations(event):
            notify(registration, "changed")
    _announce(event)
    return event


def publish_event(event, actor):
    require_edit(actor, event)
    event = lock_event(event.id)  # SEQUENCE and status change one writer at a time
    if event.status != DRAFT:
        raise EventError("Only drafts can be published.")
    event.status = PUBLISHED
    event.touch()
    audit.record(actor, "event.publish", "event", event.id, f"Published {event.title}")
    _announce(event)


def cancel_event(event, actor):
    """Cancel an event: every active registrant gets a METHOD:CANCEL notice."""
    require_edit(actor, event)
    event = lock_event(event.id)
    if event.status == CANCELLED:
        raise EventError("The event is already cancelled.")
    was_published = event.status == PUBLISHED
    event.status = CANCELLED
    event.touch()
    db.session.flush()
    if was_published:
        for registration in active_registrations(event):
            notify(registration, "event_cancelled")
    audit.record(actor, "event.cancel", "event", event.id, f"Cancelled {event.title}")
    provides.announce_removed(event)


def people_told_of_cancellation(event, actor):
    """How many registrants `cancel_event` would e-mail: what the organizer confirms first."""
    require_edit(actor, event)
    if event.status != PUBLISHED:
        return 0
    return count_active(event.id)


def save_session(event, actor, session=None, confirmed=False, **fields):
    """Add or change an agenda session.

    Under the event's lock, as registrations choose sessions under it too: a room's capacity
    cannot drop below the people who already chose the session.
    """
    require_edit(actor, event)
    _screen(fields, ("title", "description"), confirmed)
    event = lock_event(event.id)
    session = session or EventSession(event=event)
    for key, value in fields.items():
        setattr(session, key, value)
    session.validate()
    if session.id is not None and session.capacity is not None:
        taken = seats_taken([session.id]).get(session.id, 0)
        if session.capacity < taken:
            chose = "1 person chose" if taken == 1 else f"{taken} people chose"
            raise EventError(f"{chose} “{session.title}”, so its capacity cannot be lower than {taken}.")
    db.session.add(session)
    event.touch()
    db.session.flush()
    _announce(event)
    return session


def session_of(event, session_id):
    """The agenda session `session_id` of `event`, or None."""
    session = db.session.get(EventSession, session_id)
    return session if session is not None and session.event_id == event.id else None


def delete_session(session, actor):
    require_edit(actor, session.event)
    lock_event(session.event_id).touch()
    db.session.delete(session)
    db.session.flush()


def change_occurrence(event, actor, original_start, new_start=None, new_end=None, note=""):
    """Skip (no new times) or move one occurrence of a series; registrants hear of it."""
    require_edit(actor, event)
    event = lock_event(event.id)
    if not event.rrule:
        raise EventError("Only recurring series have occurrences to change.")
    starts = {o for _, _, o in event.occurrences(original_start - timedelta(minutes=1),
                                                 original_start + timedelta(minutes=1))}
    known = {c.original_start: c for c in event.exceptions}
    if original_start not in starts and original_start not in known:
        raise EventError("That date is not an occurrence of this series.")
    if new_start is not None and (new_end is None or new_end <= new_start):
        raise EventError("The moved occurrence must end after it starts.")
    change = known.get(original_start) or EventException(event=event, original_start=original_start)
    change.new_start, change.new_end, change.note = new_start, new_end, note
    db.session.add(change)
    event.touch()
    db.session.flush()
    for registration in active_registrations(event):
        notify(registration, "changed")
    return change


def add_material(event, actor, title, url, session_id=None):
    require_edit(actor, event)
    material = EventMaterial(event=event, title=title, url=url, session_id=session_id)
    db.session.add(material)
    db.session.flush()
    return material


def set_recording(event, actor, url, open_feedback):
    require_edit(actor, event)
    event.recording_url = url or ""
    event.feedback_open = bool(open_feedback)
    event.updated_at = utcnow()


def organizer_choices():
    return db.session.scalars(select(User).where(User.role.in_(("admin", "organizer")),
                                                 User.status == "active").order_by(User.name)).all()


def speaker_choices():
    """Active people who may be named as a session's speaker."""
    return db.session.scalars(select(User).where(User.status == "active").order_by(User.name)).all()


def _announce(event):
    if event.status == PUBLISHED:
        provides.announce_changed(event)
