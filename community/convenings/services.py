"""Event operations: create and change events, register, wait, promote, remind, feed.

Every function checks the permission policy where a person acts, changes objects, flushes and
queues mail; the request or CLI command commits.
"""
import hashlib
from collections import OrderedDict, namedtuple
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from .. import audit, content, guard, mail
from ..markup import markdown_html
from ..accounts.models import User
from ..extensions import db
from ..permissions import NotAllowed, access_filter, can, cluster_roles
from ..timeutil import to_pacific, utcnow
from .calendar import build_calendar
from .models import (CANCELLED, DRAFT, PUBLISHED, Event, day_spans, EventCalendarToken, EventError,
                     EventException, EventFeedback, EventMaterial, EventRegistration, EventReminder,
                     EventSession, EventSessionChoice)


class RegistrationClosed(EventError):
    """Registration is not open for this event (window, status, or no registration at all)."""


class SessionFull(EventError):
    """A chosen session has no seat left."""


def render_markdown(text):
    """Markdown to sanitized HTML (no raw HTML, safe links)."""
    return Markup(markdown_html(text))


# ---------------------------------------------------------------- events and agendas

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
    event = Event(created_by_id=actor.id, status=DRAFT, **{k: v for k, v in fields.items() if k in EDITABLE})
    event.organizers = list(organizers) or [actor]
    event.validate()
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "event.create", "event", event.id, f"Created {event.title}")
    return event


def update_event(event, actor, organizers=None, confirmed=False, **fields):
    """Change an event; raises SEQUENCE, tells registrants about changes that matter to them."""
    _require_edit(actor, event)
    _screen(fields, ("title", "summary"), confirmed)
    event = lock_event(event.id)
    changed = [k for k in EDITABLE if k in fields and getattr(event, k) != fields[k]]
    for key in changed:
        setattr(event, key, fields[key])
    if organizers is not None:
        event.organizers = list(organizers)
    event.validate()
    if "capacity" in changed and event.capacity is not None:
        taken = _seats_taken_at(event)
        if event.capacity < taken:
            holders = "1 person holds a seat" if taken == 1 else f"{taken} people hold a seat"
            raise EventError(f"{holders}, so the capacity cannot be lower than {taken}. "
                             "Cancel registrations first if the room got smaller.")
    if not changed and organizers is None:
        return event
    event.touch()
    db.session.flush()
    if "visibility" in changed or "cluster_id" in changed:
        for person in {r.user for r in end_registrations_out_of_sight(_active_registrations(event))}:
            _notify_registrations_ended(person)
    if "capacity" in changed:
        promote_waitlist(event)  # more seats go to the waitlist in arrival order
    if event.status == PUBLISHED and any(k in NOTIFY_ON for k in changed):
        for registration in _active_registrations(event):
            _notify(registration, "changed")
    _announce(event)
    return event


def publish_event(event, actor):
    _require_edit(actor, event)
    event = lock_event(event.id)  # SEQUENCE and status change one writer at a time
    if event.status != DRAFT:
        raise EventError("Only drafts can be published.")
    event.status = PUBLISHED
    event.touch()
    audit.record(actor, "event.publish", "event", event.id, f"Published {event.title}")
    _announce(event)


def cancel_event(event, actor):
    """Cancel an event: every active registrant gets a METHOD:CANCEL notice."""
    _require_edit(actor, event)
    event = lock_event(event.id)
    if event.status == CANCELLED:
        raise EventError("The event is already cancelled.")
    was_published = event.status == PUBLISHED
    event.status = CANCELLED
    event.touch()
    db.session.flush()
    if was_published:
        for registration in _active_registrations(event):
            _notify(registration, "event_cancelled")
    audit.record(actor, "event.cancel", "event", event.id, f"Cancelled {event.title}")
    content.announce_removed("event", [event.id])


def people_told_of_cancellation(event, actor):
    """How many registrants `cancel_event` would e-mail: what the organizer confirms first."""
    _require_edit(actor, event)
    if event.status != PUBLISHED:
        return 0
    return db.session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event.id,
        EventRegistration.status.in_(("registered", "waitlisted", "pending"))))


def waiting_for_seat(registration, actor):
    """How many people wait for the seat that cancelling `registration` would hand on (0: none).

    A cancellation that gives the seat away cannot be taken back, so the person confirms it.
    """
    if registration.user_id != actor.id and not can(actor, "edit", registration.event):
        raise NotAllowed("This is not your registration.")
    if registration.status != "registered":
        return 0
    return db.session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == registration.event_id,
        EventRegistration.status == "waitlisted"))


def save_session(event, actor, session=None, confirmed=False, **fields):
    """Add or change an agenda session.

    Under the event's lock, as registrations choose sessions under it too: a room's capacity
    cannot drop below the people who already chose the session.
    """
    _require_edit(actor, event)
    _screen(fields, ("title", "description"), confirmed)
    event = lock_event(event.id)
    session = session or EventSession(event=event)
    for key, value in fields.items():
        setattr(session, key, value)
    session.validate()
    if session.id is not None and session.capacity is not None:
        taken = _seats_taken([session.id]).get(session.id, 0)
        if session.capacity < taken:
            chose = "1 person chose" if taken == 1 else f"{taken} people chose"
            raise EventError(f"{chose} “{session.title}”, so its capacity cannot be lower than {taken}.")
    db.session.add(session)
    event.touch()
    db.session.flush()
    _announce(event)
    return session


def delete_session(session, actor):
    _require_edit(actor, session.event)
    lock_event(session.event_id).touch()
    db.session.delete(session)
    db.session.flush()


def change_occurrence(event, actor, original_start, new_start=None, new_end=None, note=""):
    """Skip (no new times) or move one occurrence of a series; registrants hear of it."""
    _require_edit(actor, event)
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
    for registration in _active_registrations(event):
        _notify(registration, "changed")
    return change


def add_material(event, actor, title, url, session_id=None):
    _require_edit(actor, event)
    material = EventMaterial(event=event, title=title, url=url, session_id=session_id)
    db.session.add(material)
    db.session.flush()
    return material


def set_recording(event, actor, url, open_feedback):
    _require_edit(actor, event)
    event.recording_url = url or ""
    event.feedback_open = bool(open_feedback)
    event.updated_at = utcnow()


def _require_edit(actor, event):
    if not can(actor, "edit", event):
        raise NotAllowed("Only the event's organizers may change it.")


def _announce(event):
    if event.status == PUBLISHED:
        content.announce_changed("event", [event.id])


# ---------------------------------------------------------------- registration

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


def lock_event(event_id):
    """Load the event row with FOR UPDATE (PostgreSQL): registrations for it happen one at a time."""
    return db.session.execute(
        select(Event).where(Event.id == event_id).options(lazyload(Event.cluster))
        .with_for_update(of=Event).execution_options(populate_existing=True)
    ).scalar_one()


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
    arrival = _next_arrival(event)
    status = "pending" if event.requires_approval else "registered" if _has_seat(event) else "waitlisted"
    if registration is None:
        registration = EventRegistration(event=event, user=user, status=status)
        db.session.add(registration)
    with db.session.no_autoflush:
        _apply_answers(registration, answers)
        registration.status, registration.arrival = status, arrival
        registration.created_at = registration.updated_at = utcnow()
        registration.cancelled_at = registration.promoted_at = None
        _set_choices(event, registration, answers.session_ids)
    db.session.flush()
    _notify(registration, {"registered": "confirmation", "waitlisted": "waitlisted",
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
    _apply_answers(registration, answers)
    _set_choices(event, registration, answers.session_ids)
    registration.updated_at = utcnow()
    db.session.flush()
    return registration


def cancel_registration(registration, actor):
    """Cancel a registration (the person, or an organizer); the first on the waitlist moves up."""
    event = registration.event
    if registration.user_id != actor.id and not can(actor, "edit", event):
        raise NotAllowed("This is not your registration.")
    event = lock_event(event.id)
    db.session.refresh(registration)
    registration.cancel()
    db.session.flush()
    _notify(registration, "registration_cancelled")
    promote_waitlist(event)
    return registration


def decide_registration(registration, actor, approve):
    """An organizer approves (a seat, or the waitlist when full) or declines a pending registration."""
    event = registration.event
    _require_edit(actor, event)
    event = lock_event(event.id)
    db.session.refresh(registration)
    if registration.status != "pending":
        raise EventError("This registration is not waiting for approval.")
    if approve:
        registration.status = "registered" if _has_seat(event) else "waitlisted"
    else:
        registration.status = "declined"
        registration.choices.clear()
    registration.updated_at = utcnow()
    db.session.flush()
    _notify(registration, {"registered": "confirmation", "waitlisted": "waitlisted",
                           "declined": "declined"}[registration.status])


def promote_waitlist(event):
    """Give free seats to the waitlist in arrival order; each promoted person is told once.

    Call with the event row locked (every caller here does).
    """
    promoted = []
    while _has_seat(event):
        first = db.session.scalar(
            select(EventRegistration)
            .where(EventRegistration.event_id == event.id, EventRegistration.status == "waitlisted")
            .order_by(EventRegistration.arrival, EventRegistration.id).limit(1))
        if first is None:
            break
        first.promote_from_waitlist()
        _drop_full_choices(event, first)
        db.session.flush()
        _notify(first, "promoted")
        promoted.append(first)
    return promoted


def check_in(registration, actor, present=True):
    _require_edit(actor, registration.event)
    if registration.status != "registered":
        raise EventError("Only registered people can be checked in.")
    registration.checked_in_at = utcnow() if present else None


def _apply_answers(registration, answers):
    registration.county_id = answers.county_id
    registration.program = answers.program or ""
    registration.dietary_needs = (answers.dietary_needs or "").strip()
    registration.accessibility_needs = (answers.accessibility_needs or "").strip()
    registration.show_name = bool(answers.show_name)


def _next_arrival(event):
    last = db.session.scalar(select(func.max(EventRegistration.arrival))
                             .where(EventRegistration.event_id == event.id))
    return (last or 0) + 1


def _has_seat(event):
    return event.capacity is None or _seats_taken_at(event) < event.capacity


def _seats_taken_at(event):
    return db.session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.status == "registered"))


def _seats_taken(session_ids, except_registration_id=None):
    query = (select(EventSessionChoice.session_id, func.count())
             .join(EventRegistration, EventRegistration.id == EventSessionChoice.registration_id)
             .where(EventSessionChoice.session_id.in_(session_ids),
                    EventRegistration.status.in_(("registered", "pending")))
             .group_by(EventSessionChoice.session_id))
    if except_registration_id:
        query = query.where(EventRegistration.id != except_registration_id)
    return dict(db.session.execute(query).all())


def _set_choices(event, registration, session_ids):
    """Replace the session choices; one choice per time slot, within each session's capacity."""
    chosen = [s for s in event.sessions if s.id in set(session_ids or ()) and s.needs_choice]
    for i, first in enumerate(chosen):
        for second in chosen[i + 1:]:
            if first.overlaps(second):
                raise EventError(f"“{first.title}” and “{second.title}” run at the same time: choose one.")
    if registration.status in ("registered", "pending"):
        taken = _seats_taken([s.id for s in chosen], registration.id)
        for session in chosen:
            if session.capacity is not None and taken.get(session.id, 0) >= session.capacity:
                raise SessionFull(f"“{session.title}” is full. Please choose another session.")
    registration.choices = [c for c in registration.choices if c.session_id in {s.id for s in chosen}]
    have = {c.session_id for c in registration.choices}
    for session in chosen:
        if session.id not in have:
            registration.choices.append(EventSessionChoice(session=session))


def _drop_full_choices(event, registration):
    taken = _seats_taken([c.session_id for c in registration.choices], registration.id)
    registration.choices = [c for c in registration.choices if c.session.capacity is None
                            or taken.get(c.session_id, 0) < c.session.capacity]


def _active_registrations(event):
    return db.session.scalars(select(EventRegistration).where(
        EventRegistration.event_id == event.id,
        EventRegistration.status.in_(("registered", "waitlisted", "pending")))).all()


# ---------------------------------------------------------------- access ending

def may_hear_about(person, event):
    """Whether mail about `event` may go to `person` now: an active account that may see it.

    Checked when each notice or reminder is composed, so a registration left over for an event
    the person can no longer see (they left its cluster) never carries its title or join link.
    """
    return person is not None and person.is_active and can(person, "view", event)


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
        _notify_registrations_ended(person, cluster)
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
        registration.cancel()
        db.session.flush()
        if event.status == PUBLISHED:
            promote_waitlist(event)
        ended.append(registration)
    return ended


def _notify_registrations_ended(person, cluster=None):
    """The one notice of ended registrations: which cluster (names are public), never which events."""
    if person is None or not person.is_active:
        return
    subject = "Some of your event registrations have ended"
    context = dict(person=person, cluster=cluster,
                   mine_url=mail.external_url("convenings.my_registrations"))
    mail.send(mail.build_message(
        person, subject, render_template("email/event_registrations_ended.txt", **context),
        render_template("email/event_registrations_ended.html", subject=subject, **context)))


# ---------------------------------------------------------------- e-mail

#: kind -> (subject prefix, attach the invitation as REQUEST / CANCEL / nothing, message)
NOTICES = {
    "confirmation": ("You are registered", "REQUEST",
                     "You are registered for {title}. The calendar invitation is attached."),
    "waitlisted": ("You are on the waitlist", None,
                   "{title} is full, so you are on the waitlist. When a seat opens, the first person "
                   "waiting gets it and we e-mail you right away."),
    "pending": ("Registration received, awaiting approval", None,
                "We received your registration for {title}. An organizer will confirm it soon."),
    "promoted": ("A seat opened: you are registered", "REQUEST",
                 "Good news: a seat opened at {title} and it is yours. The calendar invitation is attached."),
    "declined": ("Registration not approved", None,
                 "Your registration for {title} could not be approved. Please contact the organizers "
                 "with any questions."),
    "reminder": ("Tomorrow", "REQUEST", "A reminder: {title} is coming up within a day."),
    "changed": ("Updated", "REQUEST",
                "{title} has changed. Please check the details below; your calendar entry is updated."),
    "event_cancelled": ("Cancelled", "CANCEL",
                        "{title} is cancelled. We are sorry for the inconvenience; the calendar entry "
                        "is removed."),
    "registration_cancelled": ("Registration cancelled", "CANCEL",
                               "Your registration for {title} is cancelled."),
}


#: Notices about one person's own calendar copy (they joined, moved up, or left). Each raises the
#: event's SEQUENCE first: RFC 5546 wants every REQUEST or CANCEL an attendee receives to carry a
#: higher SEQUENCE than the last, and a CANCEL with the same SEQUENCE as the REQUEST is ignored.
OWN_CHANGES = ("confirmation", "promoted", "registration_cancelled")


def _notify(registration, kind, occurrence=None):
    """Queue the e-mail `kind` to the registrant, with their own calendar copy when it fits;
    nothing when they may no longer see the event (see `may_hear_about`)."""
    event, person = registration.event, registration.user
    if not may_hear_about(person, event):
        return
    prefix, method, message = NOTICES[kind]
    if kind in ("changed",) and registration.status != "registered":
        method = None  # waitlisted people get the news, not a calendar entry
    subject = f"{prefix}: {event.title}"
    context = dict(event=event, registration=registration, person=person, kind=kind,
                   message=message.format(title=event.title),
                   occurrence=occurrence or event.next_occurrence(),
                   show_join=registration.status == "registered" and kind not in ("event_cancelled", "registration_cancelled"),
                   page_url=mail.external_url("convenings.event_page", event_id=event.id),
                   mine_url=mail.external_url("convenings.my_registrations"))
    text = render_template("email/event_notice.txt", subject=subject, **context)
    html = render_template("email/event_notice.html", subject=subject, **context)
    alternatives, attachments = (), ()
    if method:
        if kind in OWN_CHANGES:
            event.touch()
        ics = build_calendar([event], method=method, attendee=person,
                             join_for={event.id} if context["show_join"] else set())
        # RFC 5545 §8.1: both calendar parts name the body's METHOD (Outlook relies on it).
        alternatives = [(ics.decode(), "text/calendar", {"method": method})]
        attachments = [("invite.ics", ics, "text/calendar", {"method": method, "charset": "utf-8"})]
    mail.send(mail.build_message(person, subject, text, html, alternatives=alternatives,
                                 attachments=attachments))


def send_reminders(now=None, ahead=timedelta(hours=24)):
    """Send the day-before reminder for every occurrence starting within `ahead`; never twice.

    Each reminder row is claimed (unique per registration and occurrence) before its mail is
    queued, so overlapping runs and re-runs send nothing twice. Returns how many were sent.
    """
    now = now or utcnow()
    events = db.session.scalars(Event.in_window(
        select(Event).where(Event.status == PUBLISHED), now, now + ahead)
        .options(selectinload(Event.exceptions))).all()
    sent = 0
    for event in events:
        starts = [(b, o) for b, _, o in event.occurrences(now, now + ahead) if b > now]
        if not starts:
            continue
        registrations = [r for r in db.session.scalars(select(EventRegistration).where(
            EventRegistration.event_id == event.id, EventRegistration.status == "registered"))
            if may_hear_about(r.user, event)]
        for begins, original in starts:
            for registration in registrations:
                try:
                    with db.session.begin_nested():
                        db.session.add(EventReminder(registration_id=registration.id,
                                                     occurrence_start=original))
                except IntegrityError:
                    continue  # already claimed by an earlier or parallel run
                _notify(registration, "reminder", occurrence=(begins, begins + event.duration, original))
                sent += 1
    return sent


# ---------------------------------------------------------------- feedback

def submit_feedback(event, user, rating, useful, comment, confirmed=False):
    registration = db.session.scalar(select(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.user_id == user.id))
    if not event.feedback_open:
        raise EventError("Feedback is not open for this event.")
    if registration is None or registration.status != "registered":
        raise NotAllowed("Only people who registered can give feedback.")
    guard.screen({"comment": comment or ""}, confirmed)
    feedback = db.session.scalar(select(EventFeedback).where(
        EventFeedback.event_id == event.id, EventFeedback.user_id == user.id))
    if feedback is None:
        feedback = EventFeedback(event_id=event.id, user_id=user.id)
        db.session.add(feedback)
    if not 1 <= int(rating) <= 5:
        raise EventError("Choose a rating from 1 to 5.")
    feedback.rating, feedback.useful, feedback.comment = int(rating), useful, (comment or "").strip()
    db.session.flush()
    return feedback


def feedback_summary(event):
    rows = db.session.scalars(select(EventFeedback).where(EventFeedback.event_id == event.id)
                              .order_by(EventFeedback.created_at.desc())).all()
    ratings = [r.rating for r in rows]
    return {
        "count": len(rows),
        "average": round(sum(ratings) / len(ratings), 1) if ratings else None,
        "by_rating": {n: ratings.count(n) for n in range(5, 0, -1)},
        "useful": {k: sum(1 for r in rows if r.useful == k) for k in ("yes", "maybe", "no")},
        "comments": [r.comment for r in rows if r.comment],
    }


# ---------------------------------------------------------------- calendars and feeds

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
    join = {e.id for e in events if e.id in registered or _cluster_call_member(e, clusters)}
    return events, join


#: The public feed carries events that ended at most this long ago (and every live series).
PUBLIC_FEED_HISTORY = timedelta(days=180)


def public_feed():
    """Public events for the site-wide feed: recent and upcoming ones, and every recurring series."""
    since = utcnow() - PUBLIC_FEED_HISTORY
    return db.session.scalars(
        select(Event).where(Event.visibility == "public", Event.status.in_((PUBLISHED, CANCELLED)),
                            (Event.end_at >= since) | (Event.rrule != ""))
        .options(selectinload(Event.exceptions)).order_by(Event.start_at)).all()


#: Built feeds by version key, per app (see `_cache`): rebuilding 1,000 events takes about half a second.
_FEED_CACHE_SIZE = 256


def _cache(name):
    """An app's own in-memory cache. Keys hold a version read from the database, so a change
    made on any node (every node shares the database) is seen by every node's next read."""
    return current_app.extensions.setdefault("community.convenings.caches", {}).setdefault(name, OrderedDict())


def feed_calendar(person=None):
    """(etag, .ics bytes) of the public feed, or of `person`'s personal feed.

    The body is rebuilt only when an event or (for a person) their registrations or clusters
    changed, or the day turned; every change raises `updated_at`, so the version key catches it.
    """
    events_version = _events_version()
    key = ("public", events_version, utcnow().date())
    if person is not None:
        mine = db.session.execute(select(func.max(EventRegistration.updated_at), func.count()).where(
            EventRegistration.user_id == person.id)).one()
        key = ("person", person.id, person.name, events_version, tuple(mine),
               tuple(sorted(cluster_roles(person))), utcnow().date())
    etag = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    feeds = _cache("feeds")
    body = feeds.get(etag)
    if body is None:
        if person is None:
            body = build_calendar(public_feed(), name="Linkages Community events")
        else:
            events, join = personal_feed(person)
            body = build_calendar(events, join_for=join, name=f"Linkages: {person.name}")
        feeds[etag] = body
        while len(feeds) > _FEED_CACHE_SIZE:
            feeds.popitem(last=False)
    return etag, body


def _cluster_call_member(event, cluster_ids):
    return event.kind == "cluster-call" and event.cluster_id in cluster_ids


def may_join(event, user, registration):
    """Whether the join link may be shown to this person: registered, or a member of the call's cluster."""
    if not getattr(user, "is_authenticated", False) or not event.join_url:
        return False
    if registration is not None and registration.status == "registered":
        return True
    return can(user, "edit", event) or _cluster_call_member(event, set(cluster_roles(user)))


# ---------------------------------------------------------------- listings

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
    #: Which day of a multi-day event this entry shows (`models.day_spans`), and of how many.
    day: int = 1
    days: int = 1

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
        """("Dec", "8"): the Pacific month and day of the start, for a list's date badge."""
        local = to_pacific(self.start)
        return local.strftime("%b"), str(local.day)

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


#: Listings by version key, per app (see `occurrences_for`).
_LISTING_CACHE_SIZE = 256


def _events_version():
    """(latest change, number of events): every change to an event or its dates raises `updated_at`."""
    return tuple(db.session.execute(select(func.max(Event.updated_at), func.count(Event.id))).one())


def occurrences_for(user, start, end, kind=None, cluster_id=None, limit=None):
    """Occurrences visible to `user` in [start, end), in time order, in a constant number of queries.

    Listings are cached per app by the events' version, what the person may see, the
    filters and the window; the key holds the current minute too, so a renamed cluster shows
    within a minute. The window is widened to whole minutes: event times are whole minutes, so
    an occurrence overlaps the widened window exactly when it overlaps [start, end).
    """
    start, whole = _minute(start), _minute(end)
    end = whole if whole == end else whole + timedelta(minutes=1)
    allowed = access_filter(user)
    key = (_events_version(), allowed.everything or getattr(user, "is_organizer", False), allowed.members,
           tuple(sorted(allowed.cluster_ids)), kind, cluster_id, start, end, limit, _minute(utcnow()))
    listings = _cache("listings")
    found = listings.get(key)
    if found is None:
        found = listings[key] = _list_occurrences(user, start, end, kind, cluster_id, limit)
        while len(listings) > _LISTING_CACHE_SIZE:
            listings.popitem(last=False)
    return found


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


def registrations_of(user, event_ids=None):
    """{event_id: registration} of a person's registrations (one query)."""
    query = select(EventRegistration).where(EventRegistration.user_id == user.id)
    if event_ids is not None:
        query = query.where(EventRegistration.event_id.in_(event_ids))
    return {r.event_id: r for r in db.session.scalars(query)}


def own_registrations(user):
    """A person's registrations, newest first, for events they may still see (a registration
    left for an event of a cluster they left is not theirs to see)."""
    registrations = db.session.scalars(
        select(EventRegistration).where(EventRegistration.user_id == user.id)
        .options(selectinload(EventRegistration.event).selectinload(Event.exceptions),
                 selectinload(EventRegistration.choices))
        .order_by(EventRegistration.created_at.desc())).all()
    return [r for r in registrations if can(user, "view", r.event)]


def registration_counts(event_id):
    return dict(db.session.execute(EventRegistration.counts_by_status(event_id)).all())


def organizer_choices():
    return db.session.scalars(select(User).where(User.role.in_(("admin", "organizer")),
                                                 User.status == "active").order_by(User.name)).all()


def agenda_of(event):
    """[(day, [(start, end, [sessions side by side])])]: the agenda by Pacific day and time slot."""
    days = {}
    for session in event.sessions:
        day = to_pacific(session.start_at).date()
        slots = days.setdefault(day, {})
        slots.setdefault((session.start_at, session.end_at), []).append(session)
    return [(day, [(start, end, sessions) for (start, end), sessions in sorted(slots.items())])
            for day, slots in sorted(days.items())]


def month_weeks(year, month, occurrences):
    """Weeks (Sunday first) of (date, in_month, [occurrences]) for a month grid, in Pacific days.

    An event held over several days is on each of them, with that day's hours.
    """
    import calendar as pycalendar

    by_day = {}
    for occurrence in occurrences:
        spans = day_spans(occurrence.start, occurrence.end)
        for number, (begins, ends) in enumerate(spans, 1):
            shown = occurrence if len(spans) == 1 else replace(
                occurrence, start=begins, end=ends, day=number, days=len(spans))
            by_day.setdefault(to_pacific(begins).date(), []).append(shown)
    for items in by_day.values():
        items.sort(key=lambda o: (o.start, o.event.title, o.event.id))
    weeks = pycalendar.Calendar(firstweekday=6).monthdatescalendar(year, month)
    return [[(day, day.month == month, by_day.get(day, [])) for day in week] for week in weeks]


def registrants_csv(event, registrations):
    """One row per registration, one column per session people choose (CSV text)."""
    from ..csvexport import csv_text
    from ..timeutil import format_pacific

    sessions = [s for s in event.sessions if s.needs_choice]
    header = (["Name", "E-mail", "County", "Program", "Status", "Registered at (Pacific)",
               "Dietary needs", "Accessibility needs", "Name on participant list", "Checked in"]
              + [s.title for s in sessions])
    rows = []
    for r in registrations:
        chosen = {c.session_id for c in r.choices}
        rows.append([
            r.user.name, r.user.email, r.county.name if r.county else "", r.program, r.status,
            format_pacific(r.created_at), r.dietary_needs, r.accessibility_needs,
            "yes" if r.show_name else "no", format_pacific(r.checked_in_at) if r.checked_in_at else ""]
            + ["yes" if s.id in chosen else "" for s in sessions])
    return csv_text(header, rows)
