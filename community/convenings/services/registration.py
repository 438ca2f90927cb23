"""Registering, changing answers, cancelling, approving and checking in; registrations that end
when a person may no longer see their event."""
from dataclasses import dataclass

from sqlalchemy import select

from ... import guard
from ...extensions import db
from ...permissions import NotAllowed, can
from ...timeutil import utcnow
from ..models import PUBLISHED, Event, EventError, EventRegistration
from .notices import notify, notify_registrations_ended
from .seats import (count_active, has_seat, lock_event, next_arrival, promote_waitlist, require_edit,
                    set_choices)


class RegistrationClosed(EventError):
    """Registration is not open for this event (window, status, or no registration at all)."""


@dataclass
class Answers:
    """What a person fills in on the registration form."""

    county_id: int | None = None
    program: str = ""
    dietary_needs: str = ""
    accessibility_needs: str = ""
    show_name: bool = False
    session_ids: tuple = ()
    #: The person confirmed that what the confidentiality guard flagged is not client data.
    confirmed: bool = False

    def screen(self):
        """Organizers read the free-text answers: the confidentiality guard checks them."""
        guard.screen({"dietary_needs": self.dietary_needs, "accessibility_needs": self.accessibility_needs},
                     self.confirmed)


def register(event, user, answers: Answers):
    """Register a person, or put them on the waitlist when the event is full.

    The event row is locked first, so concurrent registrations are counted one after another and
    take seats (and waitlist places) in the order they got the lock. The person's own row is read
    after the lock; when they are already registered, waiting or pending (a double click, a second
    tab), it is returned as it stands and nothing is changed or e-mailed.
    """
    if not can(user, "view", event):
        raise NotAllowed("You cannot register for this event.")
    answers.screen()
    event = lock_event(event.id)
    if event.status != PUBLISHED or not event.registration_enabled:
        raise RegistrationClosed("Registration is not open for this event.")
    if not event.registration_window_open():
        raise RegistrationClosed("Registration for this event is closed.")
    # Read under the lock, past what this session loaded before it: a second click of the same
    # person waits here for the first one to commit and must see what it did.
    registration = db.session.scalar(
        select(EventRegistration).where(EventRegistration.event_id == event.id,
                                        EventRegistration.user_id == user.id)
        .execution_options(populate_existing=True))
    if registration is not None and registration.is_active:
        return registration  # a double click or second tab: one outcome, nothing sent twice
    arrival = next_arrival(event)
    status = "pending" if event.requires_approval else "registered" if has_seat(event) else "waitlisted"
    if registration is None:
        registration = EventRegistration(event=event, user=user, status=status)
        db.session.add(registration)
    with db.session.no_autoflush:
        _apply_answers(registration, answers)
        registration.status, registration.arrival = status, arrival
        registration.created_at = registration.updated_at = utcnow()
        registration.cancelled_at = registration.promoted_at = None
        registration.cancelled_by = ""
        set_choices(event, registration, answers.session_ids)
    db.session.flush()
    notify(registration, {"registered": "confirmation", "waitlisted": "waitlisted",
                          "pending": "pending"}[registration.status])
    return registration


def update_answers(registration, user, answers: Answers):
    """Change one's own answers and session choices."""
    if registration.user_id != user.id:
        raise NotAllowed("This is not your registration.")
    answers.screen()
    event = lock_event(registration.event_id)
    db.session.refresh(registration)  # it may have been cancelled while we waited for the lock
    if not registration.is_active:
        raise NotAllowed("This is not your registration.")
    if event.is_cancelled:
        raise EventError("This event is cancelled: there is nothing left to change.")
    _apply_answers(registration, answers)
    set_choices(event, registration, answers.session_ids)
    registration.updated_at = utcnow()
    db.session.flush()
    return registration


def _require_own_or_edit(registration, actor):
    if registration.user_id != actor.id and not can(actor, "edit", registration.event):
        raise NotAllowed("This is not your registration.")


def waiting_for_seat(registration, actor):
    """How many people wait for the seat that cancelling `registration` would hand on (0: none).

    A cancellation that gives the seat away cannot be taken back, so the person confirms it.
    """
    if registration is None:
        return 0
    _require_own_or_edit(registration, actor)
    if registration.status != "registered":
        return 0
    return count_active(registration.event_id, ("waitlisted",))


def cancel_registration(registration, actor):
    """Cancel a registration (the person, or an organizer); the first on the waitlist moves up."""
    _require_own_or_edit(registration, actor)
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    by_self = registration.user_id == actor.id
    registration.cancel(by="self" if by_self else "organizer")
    db.session.flush()
    notify(registration, "registration_cancelled" if by_self else "cancelled_by_organizer")
    promote_waitlist(event)
    return registration


def decide_registration(registration, actor, approve):
    """An organizer approves (a seat, or the waitlist when full) or declines a pending registration."""
    require_edit(actor, registration.event)
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status != "pending":
        raise EventError("This registration is not waiting for approval.")
    if approve:
        registration.status = "registered" if has_seat(event) else "waitlisted"
    else:
        registration.status = "declined"
        registration.choices.clear()
    registration.updated_at = utcnow()
    db.session.flush()
    notify(registration, {"registered": "confirmation", "waitlisted": "waitlisted",
                          "declined": "declined"}[registration.status])


def check_in(registration, actor, present=True):
    require_edit(actor, registration.event)
    if registration.status != "registered":
        raise EventError("Only registered people can be checked in.")
    registration.checked_in_at = utcnow() if present else None


def _apply_answers(registration, answers):
    registration.county_id = answers.county_id
    registration.program = answers.program or ""
    registration.dietary_needs = (answers.dietary_needs or "").strip()
    registration.accessibility_needs = (answers.accessibility_needs or "").strip()
    registration.show_name = bool(answers.show_name)


# ---------------------------------------------------------------- access ending

def end_cluster_registrations(cluster, person):
    """The rule when a membership ends: the person's registrations for the cluster's cluster-only
    events that are still to come end, and each freed seat goes to the waitlist as usual.

    Registrations for events the person still sees (organizers and admins manage every event)
    are kept; past registrations stay in the organizers' attendance records but are hidden from
    the person like every event they cannot see. One short e-mail says so, without any detail of
    the events. Returns the ended registrations.
    """
    registrations = db.session.scalars(
        select(EventRegistration).join(Event, Event.id == EventRegistration.event_id).where(
            EventRegistration.user_id == person.id,
            EventRegistration.status.in_(("registered", "waitlisted", "pending")),
            Event.cluster_id == cluster.id, Event.visibility == "clusters")
        .order_by(EventRegistration.id)).all()
    ended = end_registrations_out_of_sight(registrations)
    if ended:
        notify_registrations_ended(person, cluster)
    return ended


def on_membership_ended(cluster, user, **_):
    """Receiver of `clusters.membership_ended` (connected in `init_app`)."""
    end_cluster_registrations(cluster, user)


def end_registrations_out_of_sight(registrations):
    """Cancel, without the usual notice, the active registrations for upcoming events that their
    person may no longer see; the waitlist moves up. Returns the cancelled ones."""
    ended = []
    now = utcnow()
    for registration in registrations:
        event = registration.event
        if can(registration.user, "view", event) or event.next_occurrence(now) is None:
            continue
        event = lock_event(event.id)
        db.session.refresh(registration)
        if not registration.is_active:
            continue
        registration.cancel(by="access")
        db.session.flush()
        if event.status == PUBLISHED:
            promote_waitlist(event)
        ended.append(registration)
    return ended
