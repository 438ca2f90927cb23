"""Seats under real concurrency: gunicorn with several workers on PostgreSQL, mail to a real SMTP sink.

Invariants checked after every burst of simultaneous requests: nobody holds a seat beyond the
capacity; nobody waits while a seat is free; seats go to the waitlist in arrival order; every
change of a person's place is e-mailed to them exactly once.
"""
import random
from collections import Counter

import pytest
from sqlalchemy import func, select

from community.convenings.models import Event, EventRegistration
from community.extensions import db
from community.timeutil import to_pacific
from tests.support.server import flashes, postgres_only, serve, session_cookie

pytestmark = postgres_only

WORKERS = 4


@pytest.fixture
def backend():
    return "postgresql"


#: Subject prefixes of the registration e-mails (services.NOTICES), by the change they tell of.
SUBJECTS = {"You are registered": "confirmation", "You are on the waitlist": "waitlisted",
            "A seat opened": "promoted", "Registration cancelled": "cancelled"}


def _kinds(messages, person):
    """The kinds of registration e-mail `person` received among `messages`."""
    found = []
    for message in messages:
        if person.email in message["To"]:
            prefix = next((p for p in SUBJECTS if message["Subject"].startswith(p)), None)
            assert prefix, f"unexpected e-mail to {person.email}: {message['Subject']}"
            found.append(SUBJECTS[prefix])
    return Counter(found)


def _state(event_id):
    """{user_id: (status, arrival)} of an event's registrations, read fresh."""
    db.session.expire_all()
    rows = db.session.execute(select(EventRegistration.user_id, EventRegistration.status,
                                     EventRegistration.arrival)
                              .where(EventRegistration.event_id == event_id)).all()
    return {user_id: (status, arrival) for user_id, status, arrival in rows}


def _registration_id(event_id, user_id):
    return db.session.scalar(select(EventRegistration.id).where(
        EventRegistration.event_id == event_id, EventRegistration.user_id == user_id))


def _assert_seats_are_consistent(event_id):
    db.session.expire_all()
    capacity = db.session.scalar(select(Event.capacity).where(Event.id == event_id))
    state = _state(event_id)
    registered = [arrival for status, arrival in state.values() if status == "registered"]
    waiting = [arrival for status, arrival in state.values() if status == "waitlisted"]
    assert len(registered) <= capacity, f"{len(registered)} registered for {capacity} seats"
    assert not waiting or len(registered) == capacity, (
        f"{len(waiting)} waiting while {capacity - len(registered)} seats are free")
    assert not waiting or max(registered) < min(waiting), "a later arrival got a seat before an earlier one"
    assert db.session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event_id)) == len(state)  # one row per person


def test_double_clicking_register_after_cancelling_takes_the_free_seat_once_with_one_email(
        app, make_event, make_user, smtp_server, tmp_path):
    people = [(make_user(name=f"Ana Early {n}"), make_user(name=f"Xavier Double {n}")) for n in range(6)]
    events = [make_event(capacity=2, title=f"Site visit {n}: Stanislaus intake") for n in range(6)]
    with serve(app, tmp_path, workers=WORKERS, MAIL_URL=smtp_server.url) as server:
        for event, (early, doubler) in zip(events, people):
            path = f"/events/{event.id}/register"
            early_cookie, cookie = session_cookie(app, early), session_cookie(app, doubler)
            assert server.post(path, early_cookie, {"program": "cws"}).status == 302
            assert server.post(path, cookie, {"program": "cws"}).status == 302
            cancel = f"/events/registrations/{_registration_id(event.id, doubler.id)}/cancel"
            assert server.post(cancel, cookie).status == 302
            before = len(smtp_server.messages)

            clicks = server.at_once([("POST", path, cookie, {"program": "cws"})] * 2)

            assert [reply.status for reply in clicks] == [302, 302]
            assert _state(event.id)[doubler.id][0] == "registered"
            _assert_seats_are_consistent(event.id)
            assert _kinds(smtp_server.messages[before:], doubler) == Counter(confirmation=1)
            for reply in clicks:  # each response says what is stored: a seat, not the waitlist
                said = " ".join(flashes(server.follow(reply).body))
                assert "You are registered" in said and "waitlist" not in said, said
