"""Capacity under real concurrency: 200 registrations for 50 seats through gunicorn on PostgreSQL.

Runs only against PostgreSQL (TEST_DATABASE_URL; CI sets it and fails without it): SQLite
serializes every write, so it proves nothing about row locks.
"""
import http.client
import threading
from urllib.parse import urlencode, urlparse

import pytest
from sqlalchemy import select

from bench.common import gunicorn
from community.convenings.models import EventRegistration
from community.extensions import db
from tests.conftest import PG_URL

from .conftest import commit

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")

SEATS, PEOPLE, WORKERS = 50, 200, 4


@pytest.fixture
def backend():
    return "postgresql"


def _session_cookie(app, user):
    """A signed Flask session for `user`, as the sign-in form would leave it (no password hashing)."""
    from community.accounts.services import start_session

    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": start_session(user), "_fresh": True})


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
    cookies = [_session_cookie(app, person) for person in people]
    commit()  # the server-side sessions the cookies name
    path = f"/events/{event.id}/register"

    config = {"SQLALCHEMY_DATABASE_URI": PG_URL, "SECRET_KEY": app.config["SECRET_KEY"],
              "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_URL": "none",
              "REDIS_URL": "", "INSTANCE_PATH": str(tmp_path / "gunicorn")}
    statuses, barrier = [None] * PEOPLE, threading.Barrier(PEOPLE)
    with gunicorn(f"community:create_app({config!r})", workers=WORKERS) as base:
        parts = urlparse(base)

        def post(index):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            conn.connect()
            barrier.wait()
            conn.request("POST", path, body=urlencode({"program": "cws"}),
                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                  "Cookie": f"session={cookies[index]}"})
            response = conn.getresponse()
            response.read()
            statuses[index] = response.status
            conn.close()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(PEOPLE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert statuses == [302] * PEOPLE

    db.session.expire_all()
    rows = db.session.scalars(select(EventRegistration)
                              .order_by(EventRegistration.arrival)).all()
    assert len(rows) == PEOPLE and len({r.user_id for r in rows}) == PEOPLE
    assert [r.arrival for r in rows] == list(range(1, PEOPLE + 1))
    # Seats went to the first fifty arrivals; the rest wait in the order they arrived.
    assert [r.status for r in rows] == ["registered"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
