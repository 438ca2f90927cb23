"""E-mail to registrants: what each notice says, queued as ids and rendered by the job that sends it.

A notice is rendered when it is sent, from the rows as they are then, and only if the person may
still see the event: one who left the event's cluster while the notice waited never gets its title
or join link, and the request that queued it never renders mail while it holds the event's lock.
"""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ... import mail
from ...accounts.models import User
from ...clusters.models import Cluster
from ...extensions import db
from ...jobs import enqueue
from ...permissions import can
from ...timeutil import to_pacific, utcnow
from ..calendar import build_calendar
from ..models import PUBLISHED, Event, EventRegistration, EventReminder

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
    "reminder": ("Coming up", "REQUEST", "A reminder: {title} is coming up within a day."),
    "changed": ("Updated", "REQUEST",
                "{title} has changed. Please check the details below; your calendar entry is updated."),
    "event_cancelled": ("Event cancelled", "CANCEL",
                        "{title} is cancelled. We are sorry for the inconvenience; the calendar entry "
                        "is removed."),
    "registration_cancelled": ("Registration cancelled", "CANCEL",
                               "You cancelled your registration for {title}. The calendar entry is removed."),
    "cancelled_by_organizer": ("Your registration was cancelled", "CANCEL",
                               "The organizers of {title} cancelled your registration. The calendar entry is "
                               "removed. Please contact them with any questions."),
}

#: Notices about one person's own calendar copy (they joined, moved up, or left). Each raises the
#: event's SEQUENCE first: RFC 5546 wants every REQUEST or CANCEL an attendee receives to carry a
#: higher SEQUENCE than the last, and a CANCEL with the same SEQUENCE as the REQUEST is ignored.
OWN_CHANGES = ("confirmation", "promoted", "registration_cancelled", "cancelled_by_organizer")
#: Notices that end what the person had: no join link, no workshops.
ENDINGS = ("event_cancelled", "registration_cancelled", "cancelled_by_organizer")


def may_hear_about(person, event):
    """Whether mail about `event` may go to `person` now: an active account that may see it.

    Checked when a notice is queued and again when it is sent, so a registration left over for
    an event the person can no longer see (they left its cluster) never carries its title or
    join link.
    """
    return person is not None and person.is_active and can(person, "view", event)


def notify(registration, kind, occurrence=None):
    """Queue the e-mail `kind` to the registrant (see `send_notice`); nothing when they may no
    longer see the event. A notice that replaces their calendar copy raises SEQUENCE here, under
    the caller's event lock."""
    if kind not in NOTICES:
        raise ValueError(kind)
    event = registration.event
    if not may_hear_about(registration.user, event):
        return
    if kind in OWN_CHANGES:
        event.touch()
    enqueue(send_notice, registration.id, kind, tuple(occurrence) if occurrence else None)


def send_notice(registration_id, kind, occurrence=None):
    """Job: render and send one notice, with the person's own calendar copy when it fits."""
    registration = db.session.get(EventRegistration, registration_id)
    if registration is None:
        return
    event, person = registration.event, registration.user
    if not may_hear_about(person, event):
        return
    prefix, method, message = NOTICES[kind]
    if kind == "changed" and registration.status != "registered":
        method = None  # waitlisted people get the news, not a calendar entry
    if kind == "reminder" and occurrence:
        prefix = _when(occurrence[0], prefix)
    subject = f"{prefix}: {event.title}"
    show_join = registration.status == "registered" and kind not in ENDINGS
    alternatives, attachments = (), ()
    if method:
        ics = build_calendar([event], method=method, attendee=person,
                             join_for={event.id} if show_join else set())
        # RFC 5545 §8.1: both calendar parts name the body's METHOD (Outlook relies on it).
        alternatives = [(ics.decode(), "text/calendar", {"method": method})]
        attachments = [("invite.ics", ics, "text/calendar", {"method": method, "charset": "utf-8"})]
    mail.send_now(mail.render_message(
        "event_notice", person, subject, attachments=attachments, alternatives=alternatives,
        event=event, registration=registration, person=person, kind=kind, ending=kind in ENDINGS,
        message=message.format(title=event.title), occurrence=occurrence or event.next_occurrence(),
        show_join=show_join, page_url=mail.external_url("convenings.event_page", event_id=event.id),
        mine_url=mail.external_url("convenings.my_registrations")))


def _when(begins, otherwise):
    """"Today" or "Tomorrow" as the calendar in California reads them (a reminder is sent within
    the day before an occurrence, which can be later the same day)."""
    begins = datetime.fromisoformat(begins) if isinstance(begins, str) else begins
    days = (to_pacific(begins).date() - to_pacific(utcnow()).date()).days
    return {0: "Today", 1: "Tomorrow"}.get(days, otherwise)


def notify_registrations_ended(person, cluster=None):
    """Queue the one notice of ended registrations: which cluster (names are public), never which events."""
    if person is not None and person.is_active:
        enqueue(send_registrations_ended, person.id, cluster.id if cluster is not None else None)


def send_registrations_ended(person_id, cluster_id=None):
    """Job: render and send the notice of ended registrations."""
    person = db.session.get(User, person_id)
    if person is None or not person.is_active:
        return
    mail.send_now(mail.render_message(
        "event_registrations_ended", person, "Some of your event registrations have ended",
        person=person, cluster=db.session.get(Cluster, cluster_id) if cluster_id else None,
        mine_url=mail.external_url("convenings.my_registrations")))


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
                notify(registration, "reminder", occurrence=(begins, begins + event.duration, original))
                sent += 1
    return sent
