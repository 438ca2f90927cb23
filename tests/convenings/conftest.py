"""Fixtures for events: organizers, members, events made through the services, a query counter."""
from datetime import datetime, timedelta

import pytest

from community import jobs
from community.convenings import services
from community.extensions import db
from community.timeutil import from_pacific, utcnow


@pytest.fixture
def organizer(app, make_user):
    return make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org")


@pytest.fixture
def make_event(organizer):
    """Create and publish an event through the services; times default to a week from now."""

    def make(publish=True, **fields):
        start = fields.pop("start_at", utcnow().replace(microsecond=0, second=0) + timedelta(days=7))
        fields.setdefault("end_at", start + timedelta(hours=1))
        fields.setdefault("kind", "webinar")
        fields.setdefault("title", "Coordinated case planning webinar")
        fields.setdefault("visibility", "public")
        event = services.create_event(organizer, start_at=start, **fields)
        if publish:
            services.publish_event(event, organizer)
        db.session.commit()
        return event

    return make


def pacific(*args):
    """A Pacific wall-clock time as stored UTC."""
    return from_pacific(datetime(*args))


def register(event, user, **answers):
    registration = services.register(event, user, services.Answers(program=user.program, **answers))
    commit()
    return registration


def commit():
    """Commit, then run the jobs that commit queued (mail), as the end of a request would."""
    db.session.commit()
    jobs.run_ready()
