"""How feature areas share content without importing each other.

Three seams, all registered per app from a feature's `init_app`:

- **Search sources.** A feature registers `register_source(app, kind, label, fetch)`, where
  `fetch(ids=None)` yields `SearchDocument`s (all of them when `ids` is None; ids are the
  feature's own, as it announces them: integers for rows). Search also reads the hits of a
  results page again through it, so what it yields is what may be shown now. After its
  transaction commits, a service calls `announce_changed(kind, ids)` or `announce_removed(kind,
  ids)`; the search package listens to `content_changed` and (re)indexes through the source.
  After a redaction, `announce_purged(kind, ids)` also asks it to drop the old text's traces.
- **Providers.** Named functions one feature offers to others, e.g. the newsletter composer asks
  `provide("events.upcoming_public", start, end)` and gets `ContentCard`s; when no feature
  registered that name, `provide` raises `NoProvider` (an answer of None is the provider's own
  "nothing"). A name may have several providers (`provide_all`).
- **Cards.** `ContentCard` is the neutral shape a provider returns: enough to show a title, a
  link, a line of context and a date, and nothing a recipient may not see.

Known provider names (a feature registers the ones it owns):

| name | arguments | returns |
| --- | --- | --- |
| `events.upcoming_public` | start, end (naive UTC) | [ContentCard] of public, published events |
| `resources.new_public` | since (naive UTC or None) | [ContentCard] of public resources |
| `forums.public_thread_card` | thread_id | ContentCard, or raises NotPublic(reason) |
| `cards.for_path` | url path on this site, viewer | ContentCard or None (rich link cards in posts) |
| `mail.reply_handler` | an `inbound.IncomingMail` | `inbound.Handled` (what became of a reply by e-mail) |
| `calendar.meeting_invitation` | uid, sequence, title, start, end, location, description, attendee, cancelled | .ics bytes (METHOD:REQUEST/CANCEL) for a meeting that is not an event |
| `audit.targets` | [(target type, id)], viewer | {(type, id): ContentCard} read live for the audit log |
| `onboarding.steps` | viewer | [ChecklistStep] for the getting-started checklist on the home page |
| `cards.for_paths` | url paths on this site, viewer | {path: ContentCard} of those the viewer may see, in a constant number of queries (link cards in posts, newsletter cards: checked when shown) |

Card providers recognise their own links with `paths_to(paths, endpoints, argument)`, which asks
the app's URL map (the same rules the pages are served by), never a parser of their own.
"""
from dataclasses import dataclass, field
from datetime import datetime

from blinker import Namespace
from flask import current_app
from werkzeug.exceptions import HTTPException

from . import jobs

_signals = Namespace()
#: Sent after commit with sender=kind, ids=[...], removed=bool.
content_changed = _signals.signal("content-changed")
#: Sent after commit with sender=kind, ids=[...]: the items were redacted, so every copy of what
#: they held before (search index files, spelling suggestions) must go, not only be replaced.
content_purged = _signals.signal("content-purged")
#: Sent at once, inside the transaction that makes the change, when items were removed or may have
#: become less visible or lost text: a search backend whose documents are rows of the same
#: database drops them in that very commit, so nothing is counted, faceted or suggested from their
#: old state while the worker has not indexed them again.
content_narrowing = _signals.signal("content-narrowing")


class NotPublic(Exception):
    """The content cannot be shown to the public; the message says why (for organizers)."""


class NoProvider(LookupError):
    """No feature registered a provider of this name (the feature is not installed)."""


@dataclass
class SearchDocument:
    """One thing the site-wide search can find, described without any search-engine detail."""

    #: resource, thread, post, event, newsletter ...
    kind: str
    #: The feature's own id, as a string.
    id: str
    title: str
    #: The text to search (already plain text: no HTML).
    text: str
    #: Path on this site where the thing is shown.
    url: str
    #: public, members, clusters or county (see permissions.Scope).
    visibility: str
    cluster_ids: frozenset = field(default_factory=frozenset)
    #: With `county` visibility: the county whose staff may find it (CFPIC staff find every county's).
    county_id: int | None = None
    summary: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    #: Facet values: county, doc_type, toolkit_area (list), strategy (list), program, year, tags.
    facets: dict = field(default_factory=dict)
    #: For "most downloaded" sorting.
    downloads: int = 0


@dataclass
class ContentCard:
    """A neutral summary of a piece of content, for newsletters, link cards and home sections."""

    kind: str
    title: str
    url: str
    summary: str = ""
    when: datetime | None = None
    #: When it ends (events): a card for a multi-day event shows the date range.
    ends: datetime | None = None
    #: A short line of context: "Webinar · Online", "MOU · Stanislaus County".
    meta: str = ""


@dataclass
class ChecklistStep:
    """One thing a newcomer does to get going ("Join a peer cluster"), and whether it is done."""

    label: str
    done: bool
    url: str
    #: One sentence on why the step matters.
    hint: str = ""
    order: int = 50


def _registry(app):
    return app.extensions.setdefault("community.content", {"sources": {}, "providers": {}})


def register_source(app, kind, label, fetch):
    _registry(app)["sources"][kind] = (label, fetch)


def sources(app=None):
    """{kind: (label, fetch)} of every registered search source."""
    return dict(_registry(app or current_app)["sources"])


def register_provider(app, name, func):
    _registry(app)["providers"].setdefault(name, []).append(func)


def offers(name, app=None):
    """Whether any feature registered a provider of `name`."""
    return bool(_registry(app or current_app)["providers"].get(name))


def provide(name, *args, **kwargs):
    """Call the provider registered last under `name` (a later registration overrides an
    earlier one) and return its answer; raises `NoProvider` when no feature offers it."""
    funcs = _registry(current_app)["providers"].get(name)
    if not funcs:
        raise NoProvider(name)
    return funcs[-1](*args, **kwargs)


def provide_all(name, *args, **kwargs):
    """Call every provider of `name`; return their non-None answers."""
    answers = (func(*args, **kwargs) for func in _registry(current_app)["providers"].get(name, []))
    return [answer for answer in answers if answer is not None]


def paths_to(paths, endpoints, argument):
    """{path: value of the route argument `argument`} for the paths on this site that the app's
    URL map routes to one of `endpoints`; how `cards.for_path(s)` providers find their links.

    A query string, a fragment and a trailing slash are ignored; a path no rule matches, or one
    whose argument a converter refuses (an id beyond any row), is left out.
    """
    adapter = current_app.url_map.bind("localhost")
    endpoints = {endpoints} if isinstance(endpoints, str) else set(endpoints)
    found = {}
    for path in paths:
        bare = (path or "").split("?", 1)[0].split("#", 1)[0]
        if not bare.startswith("/"):
            continue
        try:
            endpoint, values = adapter.match(bare.rstrip("/") or "/", method="GET")
        except HTTPException:
            continue
        if endpoint in endpoints and argument in values:
            found[path] = values[argument]
    return found


def announce_changed(kind, ids, narrowed=False):
    """Tell listeners (search) that these items changed, once the transaction commits;
    `narrowed`: they may now be seen by fewer people, or have lost text (see `content_narrowing`)."""
    ids = [str(i) for i in ids]
    if narrowed:
        content_narrowing.send(kind, ids=ids)
    jobs.enqueue_merged(_send, kind, ids=ids, removed=False)


def announce_removed(kind, ids):
    ids = [str(i) for i in ids]
    content_narrowing.send(kind, ids=ids)
    jobs.enqueue_merged(_send, kind, ids=ids, removed=True)


def announce_purged(kind, ids):
    """Like `announce_changed`, for redactions: listeners also drop every trace of the old text."""
    ids = [str(i) for i in ids]
    content_narrowing.send(kind, ids=ids)
    jobs.enqueue(_send_purged, kind, ids)


def _send_purged(kind, ids):
    content_purged.send(kind, ids=ids)


def _send(kind, ids, removed):
    content_changed.send(kind, ids=ids, removed=removed)
