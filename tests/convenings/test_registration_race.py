"""Capacity under real concurrency: 200 registrations for 50 seats through gunicorn, on each database
(PostgreSQL's row lock on the event; on SQLite, the database's write lock that asking for it takes)."""
from sqlalchemy import select

from community.convenings.models import EventRegistration
from community.extensions import db
from tests.support.server import serve, session_cookie

from .conftest import commit


SEATS, PEOPLE, WORKERS = 50, 200, 4



def test_two_hundred_simultaneous_registrations_fill_fifty_seats_and_wait_in_arrival_order(
        app, make_event, tmp_path):
    from community.accounts.models import User

    event = make_event(capacity=SEATS, title="Clinical Academy: Motivational interviewing")
    for n in range(PEOPLE):
        person = User(email=f"racer{n}@county.example.gov", name=f"Racer {n}", handle=f"racer{n}",
                      status="active", program="cws")
        db.session.add(person)
    commit()
    people = db.session.scalars(select(User).where(User.email.like("racer%")).order_by(User.id)).all()
    cookies = [session_cookie(app, person) for person in people]
    commit()  # the server-side sessions the cookies name
    path = f"/events/{event.id}/register"

    with serve(app, tmp_path, workers=WORKERS) as server:
        replies = server.at_once([("POST", path, cookie, {"program": "cws"}) for cookie in cookies])
    statuses = [reply.status for reply in replies]
    assert statuses == [302] * PEOPLE

    db.session.expire_all()
    rows = db.session.scalars(select(EventRegistration)
                              .order_by(EventRegistration.arrival)).all()
    assert len(rows) == PEOPLE and len({r.user_id for r in rows}) == PEOPLE
    assert [r.arrival for r in rows] == list(range(1, PEOPLE + 1))
    # Seats went to the first fifty arrivals; the rest wait in the order they arrived.
    assert [r.status for r in rows] == ["registered"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
