"""The calendar's kept answers: listings and feeds, in the app's caches (`community.caching`)."""
from sqlalchemy import func, select

from ...extensions import db
from ..models import Event, EventsVersion

#: Entries kept per cache: rebuilding a feed of 1,000 events takes about half a second.
CACHE_SIZE = 256


#: Built once: the calendar's pages and the home and cluster pages' sections read it.
_EVENTS_VERSION = select(EventsVersion.version).where(EventsVersion.id == 1)


def events_version():
    """The number the database changes with every write to what calendars show (triggers; see
    `EventsVersion`); without its row (a database made some other way), the latest change and the
    number of events."""
    version = db.session.scalar(_EVENTS_VERSION)
    if version is not None:
        return version
    return tuple(db.session.execute(select(func.max(Event.updated_at), func.count(Event.id))).one())
