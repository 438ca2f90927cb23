"""Events scenario: 2,000 events (100 recurring series) and 50,000 registrations; the public and
personal iCalendar feeds and the month page under gunicorn, next to a bare Flask app.

The first tenth of the events lies within a year of today; the other nine tenths (the 10× data)
lie one to ten years away (series start in the future), so the month page shows as many events at
10× as at 1× and the pair shows what the data behind the page costs, not a fuller calendar.
"""
import os
import random
import tempfile
from datetime import timedelta

from bench.common import baseline, demo_site, gunicorn, measure, report, scaled, sign_in_cookie

EVENTS, SERIES, REGISTRATIONS, PEOPLE = scaled(2000), scaled(100), scaled(50_000), 600
FEED_PERSON = "maria.lopez@stanislaus.example.gov"


def populate(env, share=1.0, first=True):
    """Bulk-insert a `share` of the events, series and registrations (and, `first`, the people)."""
    from sqlalchemy import func, insert, select

    from community import create_app
    from community.accounts.models import User
    from community.clusters.models import Cluster
    from community.convenings import services
    from community.convenings.models import Event, EventRegistration
    from community.extensions import db
    from community.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"] or None,
                      "INSTANCE_PATH": env["INSTANCE_PATH"], "MAIL_URL": "none"})
    rng = random.Random(5 if first else 6)
    events, series = int(EVENTS * share), int(SERIES * share)
    with app.app_context():
        template = db.session.scalar(select(User).where(User.email == FEED_PERSON))
        if first:
            db.session.execute(insert(User), [
                {"email": f"bench{n}@county.example.gov", "name": f"Bench Person {n}",
                 "handle": f"bench{n}", "status": "active", "program": "cws", "role": "member",
                 "password_hash": template.password_hash, "county_id": template.county_id}
                for n in range(PEOPLE)])
        people = db.session.scalars(select(User.id).order_by(User.id)).all()
        clusters = db.session.scalars(select(Cluster.id)).all()
        now = utcnow().replace(microsecond=0, second=0, minute=0)
        rows = []
        before = db.session.scalar(select(func.max(Event.id))) or 0
        for n in range(events):
            recurring = n < series
            if first:
                days = rng.randint(-365, 365)
            else:  # other years; a series starts in the future so it never reaches this month
                days = rng.randint(366, 3650) * (1 if recurring else rng.choice((-1, 1)))
            start = now + timedelta(days=days, hours=rng.randint(0, 8))
            cluster_call = recurring and n % 2 == 0
            rows.append({
                "kind": "cluster-call" if cluster_call else rng.choice(["webinar", "training", "convening"]),
                "title": f"Bench event {n}: coordinated case planning", "summary": "A benchmark event.",
                "start_at": start, "end_at": start + timedelta(hours=1), "venue": "", "join_url": "https://meet.example.org/j/bench",
                "visibility": "clusters" if cluster_call else rng.choice(["public", "public", "members"]),
                "cluster_id": rng.choice(clusters) if cluster_call else None, "status": "published",
                "rrule": rng.choice(["FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY;BYDAY=3TU"]) if recurring else "",
                "capacity": None, "requires_approval": False, "registration_enabled": not cluster_call,
                "sequence": 1, "recording_url": "", "feedback_open": False, "created_at": now, "updated_at": now})
        db.session.execute(insert(Event), rows)
        event_ids = db.session.scalars(select(Event.id).where(Event.id > before)).all()
        per_event = REGISTRATIONS // EVENTS
        feed_person = template.id
        registrations = []
        for index, event_id in enumerate(event_ids):
            attendees = rng.sample(people, per_event)
            if index % 20 == 0 and feed_person not in attendees:
                attendees[0] = feed_person  # the measured person holds 100 registrations
            registrations += [{"event_id": event_id, "user_id": user_id, "status": "registered", "arrival": a + 1,
                               "program": "cws", "dietary_needs": "", "accessibility_needs": "",
                               "show_name": False, "created_at": now, "updated_at": now}
                              for a, user_id in enumerate(attendees)]
        for chunk in range(0, len(registrations), 5000):
            db.session.execute(insert(EventRegistration), registrations[chunk:chunk + 5000])
        token = services.calendar_token(template).token
        db.session.commit()
        return token


def _one_request_ms(url):
    import time
    import urllib.request

    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
    return round((time.perf_counter() - started) * 1000, 1)


def run(seconds=5.0):
    with tempfile.TemporaryDirectory() as instance:
        env = {"INSTANCE_PATH": instance, "RATELIMIT_ENABLED": "false", "FLASK_APP": "community",
               "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", ""), "MAIL_URL": "none"}
        demo_site(env)
        token = populate(env, share=0.1)
        base = baseline(seconds)
        rows = []
        with gunicorn("community:create_app()", env=env) as url:
            cookie = sign_in_cookie(url, FEED_PERSON, "linkages-demo")
            rows.append({"what": f"month page (signed in, {EVENTS // 10:,} events, 1×)",
                         **measure(url + "/events/month", seconds, headers={"Cookie": cookie})})
        populate(env, share=0.9, first=False)
        with gunicorn("community:create_app()", env=env) as url:
            rows.append({"what": "public feed, first request (builds the calendar)",
                         "p50_ms": _one_request_ms(url + "/events/calendar.ics")})
            rows.append({"what": "personal feed, first request (builds the calendar)",
                         "p50_ms": _one_request_ms(url + f"/events/feed/{token}.ics")})
            rows.append({"what": "public feed /events/calendar.ics", **measure(url + "/events/calendar.ics", seconds)})
            rows.append({"what": "personal feed (100 registrations + cluster calls)",
                         **measure(url + f"/events/feed/{token}.ics", seconds)})
            cookie = sign_in_cookie(url, FEED_PERSON, "linkages-demo")
            rows.append({"what": f"month page (signed in, {EVENTS:,} events, 10×)",
                         **measure(url + "/events/month", seconds, headers={"Cookie": cookie})})
            rows.append({"what": "upcoming list (signed in)",
                         **measure(url + "/events/", seconds, headers={"Cookie": cookie})})
        return report("events", rows, base)
