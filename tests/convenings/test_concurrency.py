"""Seats under real concurrency: gunicorn with several workers on each database, mail to a real SMTP sink.

Invariants checked after every burst of simultaneous requests: nobody holds a seat beyond the
capacity; nobody waits while a seat is free; seats go to the waitlist in arrival order; every
change of a person's place is e-mailed to them exactly once.
"""
import random
from collections import Counter

from sqlalchemy import func, select

from community.convenings.models import Event, EventRegistration
from community.extensions import db
from community.timeutil import to_pacific
from tests.support.server import flashes, serve, session_cookie


WORKERS = 4



#: Subject prefixes of the registration e-mails (services.NOTICES), by the change they tell of.
SUBJECTS = {"You are registered": "confirmation", "You are on the waitlist": "waitlisted",
            "A seat opened": "promoted", "Registration cancelled": "cancelled"}


def _kinds(messages, person):
    """The kinds of registration e-mail `person` received among `messages`."""
    found = []
    for message in messages:
        if person.email in [a.addr_spec for a in message["To"].addresses]:
            subject = " ".join(str(message["Subject"]).split())
            prefix = next((p for p in SUBJECTS if subject.startswith(p)), None)
            assert prefix, f"unexpected e-mail to {person.email}: {subject}"
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
        for event, (early, doubler) in zip(events, people, strict=True):
            path = f"/events/{event.id}/register"
            early_cookie, cookie = session_cookie(app, early), session_cookie(app, doubler)
            assert server.post(path, early_cookie, {"program": "cws"}).status == 302
            assert server.post(path, cookie, {"program": "cws"}).status == 302
            cancel = f"/events/registrations/{_registration_id(event.id, doubler.id)}/cancel"
            assert server.post(cancel, cookie, {"confirmed": "1"}).status == 302
            before = len(smtp_server.messages)

            clicks = server.at_once([("POST", path, cookie, {"program": "cws"})] * 2)

            assert [reply.status for reply in clicks] == [302, 302]
            assert _state(event.id)[doubler.id][0] == "registered"
            _assert_seats_are_consistent(event.id)
            assert _kinds(smtp_server.messages[before:], doubler) == Counter(confirmation=1)
            for reply in clicks:  # each response says what is stored: a seat, not the waitlist
                said = " ".join(flashes(server.follow(reply).body))
                assert "You are registered" in said and "waitlist" not in said, said


def _edit_form(event, capacity):
    """The organizer's edit form as the page fills it in, with another number of seats."""
    return {"title": event.title, "kind": event.kind, "summary": event.summary or "",
            "start_at": f"{to_pacific(event.start_at):%Y-%m-%dT%H:%M}",
            "end_at": f"{to_pacific(event.end_at):%Y-%m-%dT%H:%M}", "repeats": "",
            "visibility": event.visibility, "capacity": str(capacity), "registration_enabled": "y",
            "organizer_ids": [o.id for o in event.organizers]}


#: (status before, what the person did, status after) -> the e-mails that round may bring them,
#: one per change of place. Where two are listed, both paths are right: a seat taken directly,
#: or the waitlist and then a seat freed by someone else in the same moment.
ALLOWED_MAIL = {
    ("out", "register", "registered"): [Counter(confirmation=1), Counter(waitlisted=1, promoted=1)],
    ("out", "register", "waitlisted"): [Counter(waitlisted=1)],
    ("registered", "cancel", "out"): [Counter(cancelled=1)],
    ("waitlisted", "cancel", "out"): [Counter(cancelled=1), Counter(promoted=1, cancelled=1)],
    ("waitlisted", None, "waitlisted"): [Counter()],
    ("waitlisted", None, "registered"): [Counter(promoted=1)],
    ("registered", None, "registered"): [Counter()],
    ("out", None, "out"): [Counter()],
}


def test_random_bursts_of_registering_cancelling_double_clicks_and_capacity_changes_keep_every_seat_exact(
        app, make_event, make_user, organizer, smtp_server, tmp_path):
    seed, rounds = 20260611, 12
    rng = random.Random(seed)
    event = make_event(capacity=3, title="Statewide convening: Linkages in small counties")
    people = [make_user(name=f"Participant {n}") for n in range(8)]
    cookies = {p.id: session_cookie(app, p) for p in people}
    organizer_cookie = session_cookie(app, organizer)
    register_path = f"/events/{event.id}/register"
    with serve(app, tmp_path, workers=WORKERS, MAIL_URL=smtp_server.url) as server:
        for round_number in range(rounds):
            where = f"seed {seed}, round {round_number}"
            before = {uid: status if status in ("registered", "waitlisted") else "out"
                      for uid, (status, _) in _state(event.id).items()}
            calls, did = [], {}
            for person in rng.sample(people, rng.randint(3, 6)):
                status = before.get(person.id, "out")
                if status == "out":
                    did[person.id] = "register"
                    clicks = rng.choice((1, 2))  # a single click or a double click
                    calls += [("POST", register_path, cookies[person.id], {"program": "cws"})] * clicks
                else:
                    did[person.id] = "cancel"
                    path = f"/events/registrations/{_registration_id(event.id, person.id)}/cancel"
                    calls += [("POST", path, cookies[person.id], {"confirmed": "1"})] * rng.choice((1, 2))
            if rng.random() < 0.7:
                db.session.expire_all()
                current = db.session.get(Event, event.id)
                calls.append(("POST", f"/events/{event.id}/edit", organizer_cookie,
                              _edit_form(current, rng.randint(1, 5))))
            rng.shuffle(calls)
            sent = len(smtp_server.messages)

            replies = server.at_once(calls)

            assert all(reply.status < 500 for reply in replies), (where, [r.status for r in replies])
            _assert_seats_are_consistent(event.id)
            after = {uid: status if status in ("registered", "waitlisted") else "out"
                     for uid, (status, _) in _state(event.id).items()}
            mail = smtp_server.messages[sent:]
            for person in people:
                change = (before.get(person.id, "out"), did.get(person.id), after.get(person.id, "out"))
                assert change in ALLOWED_MAIL, (where, person.name, change)
                assert _kinds(mail, person) in ALLOWED_MAIL[change], (where, person.name, change,
                                                                      _kinds(mail, person))
            assert not _kinds(mail, organizer), where
