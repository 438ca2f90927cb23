"""Each app's own in-memory caches for calendar listings and feeds."""
from collections import OrderedDict

from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from ..models import Event

#: Entries kept per cache: rebuilding a feed of 1,000 events takes about half a second.
CACHE_SIZE = 256


def app_cache(name):
    """The current app's cache `name` (in `app.extensions`, never shared between apps).

    Keys hold a version read from the database, so a change made on any node (every node
    shares the database) is seen by every node's next read.
    """
    caches = current_app.extensions.setdefault("community.convenings.caches", {})
    return caches.setdefault(name, OrderedDict())


def remember(name, key, build):
    """The value cached under `key`, built (and the oldest entries dropped) on a miss."""
    cache = app_cache(name)
    found = cache.get(key)
    if found is None:
        found = cache[key] = build()
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return found


def events_version():
    """(latest change, number of events): every change to an event or its dates raises `updated_at`."""
    return tuple(db.session.execute(select(func.max(Event.updated_at), func.count(Event.id))).one())
