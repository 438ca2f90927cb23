"""Seats, waitlists and session choices, counted under the event's row lock."""
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from ...extensions import db
from ...permissions import NotAllowed, can
from ..models import Event, EventError, EventRegistration, EventSessionChoice
from .notices import notify

ACTIVE = ("registered", "waitlisted", "pending")


class SessionFull(EventError):
    """A chosen session has no seat left."""


def require_edit(actor, event):
    if not can(actor, "edit", event):
        raise NotAllowed("Only the event's organizers may change it.")


def lock_event(event_id):
    """Load the event row with FOR UPDATE (PostgreSQL): registrations for it happen one at a time."""
    return db.session.execute(
        select(Event).where(Event.id == event_id).options(lazyload(Event.cluster))
        .with_for_update(of=Event).execution_options(populate_existing=True)
    ).scalar_one()


def promote_waitlist(event):
    """Give free seats to the waitlist in arrival order; each promoted person is told once.

    Call with the event row locked (every caller here does).
    """
    promoted = []
    while has_seat(event):
        first = db.session.scalar(
            select(EventRegistration)
            .where(EventRegistration.event_id == event.id, EventRegistration.status == "waitlisted")
            .order_by(EventRegistration.arrival, EventRegistration.id).limit(1))
        if first is None:
            break
        first.promote_from_waitlist()
        drop_full_choices(first)
        db.session.flush()
        notify(first, "promoted")
        promoted.append(first)
    return promoted


def next_arrival(event):
    last = db.session.scalar(select(func.max(EventRegistration.arrival))
                             .where(EventRegistration.event_id == event.id))
    return (last or 0) + 1


def has_seat(event):
    return event.capacity is None or seats_taken_at(event) < event.capacity


def seats_taken_at(event):
    return db.session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.status == "registered"))


def seats_taken(session_ids, except_registration_id=None):
    """{session id: people who chose it} among registered and pending people."""
    query = (select(EventSessionChoice.session_id, func.count())
             .join(EventRegistration, EventRegistration.id == EventSessionChoice.registration_id)
             .where(EventSessionChoice.session_id.in_(session_ids),
                    EventRegistration.status.in_(("registered", "pending")))
             .group_by(EventSessionChoice.session_id))
    if except_registration_id:
        query = query.where(EventRegistration.id != except_registration_id)
    return dict(db.session.execute(query).all())


def set_choices(event, registration, session_ids):
    """Replace the session choices; one choice per time slot, within each session's capacity."""
    chosen = [s for s in event.sessions if s.id in set(session_ids or ()) and s.needs_choice]
    for i, first in enumerate(chosen):
        for second in chosen[i + 1:]:
            if first.overlaps(second):
                raise EventError(f"“{first.title}” and “{second.title}” run at the same time: choose one.")
    if registration.status in ("registered", "pending"):
        taken = seats_taken([s.id for s in chosen], registration.id)
        for session in chosen:
            if session.capacity is not None and taken.get(session.id, 0) >= session.capacity:
                raise SessionFull(f"“{session.title}” is full. Please choose another session.")
    registration.choices = [c for c in registration.choices if c.session_id in {s.id for s in chosen}]
    have = {c.session_id for c in registration.choices}
    for session in chosen:
        if session.id not in have:
            registration.choices.append(EventSessionChoice(session=session))


def drop_full_choices(registration):
    taken = seats_taken([c.session_id for c in registration.choices], registration.id)
    registration.choices = [c for c in registration.choices if c.session.capacity is None
                            or taken.get(c.session_id, 0) < c.session.capacity]


def active_registrations(event):
    return db.session.scalars(select(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.status.in_(ACTIVE))).all()


def count_active(event_id, statuses=ACTIVE):
    return db.session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.status.in_(statuses)))
