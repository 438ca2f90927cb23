"""The calendar's kept answers: listings and feeds, in the app's caches (`community.caching`)."""
from sqlalchemy import func, select

from ...extensions import db
from ..models import Event

#: Entries kept per cache: rebuilding a feed of 1,000 events takes about half a second.
CACHE_SIZE = 256


def events_version():
    """(latest change, number of events): every change to an event or its dates raises `updated_at`."""
    return tuple(db.session.execute(select(func.max(Event.updated_at), func.count(Event.id))).one())
