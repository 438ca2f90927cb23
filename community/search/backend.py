"""Which search backend serves an app, and the one interface the page, the CLI and the listener use.

`whoosh` (`engine`): an index in a folder of this machine, for the embedded set-up.
`postgres` (`postgres`): tables in the shared PostgreSQL database, for one or several machines.
SEARCH_BACKEND=auto (the default) follows the database. Both return `results.Results` and raise
`SearchUnavailable`, so nothing else knows which one runs.
"""
import re

from flask import current_app
from markupsafe import Markup, escape

from .. import content
from ..extensions import db
from ..permissions import Scope
from . import engine, results

SearchUnavailable = results.SearchUnavailable
IndexBusy = results.IndexBusy
FACET_FIELDS = results.FACET_FIELDS
SORTS = results.SORTS
BACKENDS = ("auto", "whoosh", "postgres")


def name(app=None):
    """"whoosh" or "postgres" for this app."""
    app = app or current_app
    chosen = (app.config.get("SEARCH_BACKEND") or "auto").strip().lower()
    on_postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if chosen == "auto":
        return "postgres" if on_postgres else "whoosh"
    if chosen not in BACKENDS:
        raise ValueError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {chosen!r}")
    if chosen == "postgres" and not on_postgres:
        raise ValueError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
    return chosen


def current(app=None):
    """The backend module of this app."""
    if name(app) == "postgres":
        from . import postgres

        return postgres
    return engine


def in_database(app=None):
    """Whether the documents live in the app's database, so that a page built from search results
    changes with its data version and may be kept whole (`caching.whole_page`). Whoosh's folder
    changes outside the database: its pages are always built."""
    return name(app) == "postgres"


def where(app=None):
    """Where the documents are kept, for messages."""
    if name(app) == "postgres":
        return "the PostgreSQL table search_documents"
    return str(engine.index_dir(app))


def search(allowed, query="", filters=None, sort="relevance", page=1, per_page=10, reread=True):
    """Search as `allowed` (an AccessFilter) may; `reread`: check the page's hits against their
    sources (a caller that reads the hits' rows again itself passes False)."""
    found = current().search(allowed, query, filters, sort, page, per_page)
    if reread:
        _check_against_sources(found, allowed)
    return found


def _check_against_sources(found, allowed):
    """The page's hits as the database has them now, whatever the index still holds.

    The index follows changes through the job queue; until a change reaches it (seconds, or as
    long as no worker runs), a hit may name something deleted, removed, made private or edited.
    Each hit is read again from its source: one it no longer yields or this viewer may no longer
    see leaves the page; a changed title is shown as it is now, and a snippet whose words the
    current text no longer holds is not shown (the summary is, if it still holds).
    """
    by_kind = {}
    for hit in found.hits:
        by_kind.setdefault(hit.kind, []).append(hit.ref)
    sources = content.sources()
    current_docs = {}
    for kind, refs in by_kind.items():
        if kind not in sources or not all(refs):
            continue  # nothing to read it again from: shown as indexed
        ids = [int(ref) if ref.isdigit() else ref for ref in refs]
        current_docs[kind] = {str(doc.id): doc for doc in sources[kind][1](ids)}
    kept = []
    for hit in found.hits:
        docs = current_docs.get(hit.kind)
        if docs is None:
            kept.append(hit)
            continue
        doc = docs.get(hit.ref)
        if doc is None or not allowed.allows(Scope(doc.visibility, frozenset(doc.cluster_ids),
                                                   county_id=doc.county_id)):
            continue
        if _plain(hit.title) != " ".join(doc.title.split()):
            hit.title = escape(doc.title)
        if not _still_holds(hit.snippet, f"{doc.title}\n{doc.summary}\n{doc.text}"):
            hit.snippet = Markup("")
        kept.append(hit)
    found.hits = kept


def _plain(html):
    text = re.sub(r"<[^>]+>", "", str(html))
    return " ".join(Markup(text).unescape().split())


def _still_holds(snippet, text):
    """Whether every passage of a snippet is still in the text (compared without spacing)."""
    squeezed = "".join(text.split())
    return all("".join(passage.split()) in squeezed
               for passage in _plain(snippet).replace("…", "\n").splitlines() if passage.strip())


def apply_changes(kind, ids, removed=False):
    return current().apply_changes(kind, ids, removed)


def rebuild():
    return current().rebuild()


def request_rebuild():
    return current().request_rebuild()


def writer_lock(timeout=None):
    return current().writer_lock(timeout)


def close_readers():
    engine.close_readers()


def on_content_changed(kind, ids, removed):
    """Receiver of `content.content_changed` (sent by a job after commit)."""
    apply_changes(kind, ids, removed)


def on_content_narrowing(kind, ids):
    """Receiver of `content.content_narrowing` (sent inside the changing transaction): where the
    documents are rows of the same database, the changed ones leave the index in that commit and
    come back when the worker indexes them again, so counts, facets, prefixes and "did you mean"
    never answer from their old visibility or text meanwhile. A folder index (Whoosh) cannot take
    part in the transaction: there the worker's update is the only one."""
    if in_database():
        from . import postgres

        # The changing rows first: every transaction then takes a source's version row (the
        # library's) before the search's, so two of them never wait for each other in a cycle.
        db.session.flush()
        postgres.forget(kind, ids)


def on_content_purged(kind, ids):
    """Receiver of `content.content_purged` (after a redaction): the removed text leaves the index.
    Whoosh also merges its segments, which otherwise keep the old words; PostgreSQL rewrites rows."""
    current().apply_changes(kind, ids, purge=True)
