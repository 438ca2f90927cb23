"""Which search backend serves an app, and the one interface the page, the CLI and the listener use.

`whoosh` (`engine`): an index in a folder of this machine, for the embedded set-up.
`postgres` (`postgres`): tables in the shared PostgreSQL database, for one or several machines.
SEARCH_BACKEND=auto (the default) follows the database. Both return `results.Results` and raise
`SearchUnavailable`, so nothing else knows which one runs.
"""
from flask import current_app

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


def where(app=None):
    """Where the documents are kept, for messages."""
    if name(app) == "postgres":
        return "the PostgreSQL table search_documents"
    return str(engine.index_dir(app))


def search(allowed, query="", filters=None, sort="relevance", page=1, per_page=10):
    return current().search(allowed, query, filters, sort, page, per_page)


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


def on_content_purged(kind, ids):
    """Receiver of `content.content_purged` (after a redaction): the removed text leaves the index.
    Whoosh also merges its segments, which otherwise keep the old words; PostgreSQL rewrites rows."""
    current().apply_changes(kind, ids, purge=True)
