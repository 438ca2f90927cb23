"""What browsers and workers may keep: versioned static URLs, conditional GETs, compiled templates.

- Static files are linked as ``/static/css/site.css?v=<content hash>``; a request carrying the
  current version is answered with a one-year, immutable `Cache-Control`, so a page view costs
  no revalidation of stylesheets and scripts, and a deploy changes the URL of what changed.
- Pages and feeds served to visitors who are not signed in carry an `ETag` (a hash of the body)
  and are answered `304 Not Modified` when the client already holds that body. Signed-in pages
  stay `private, no-store` (see `security`).
- Compiled templates are kept in `instance/jinja-cache`, so a new worker starts without
  compiling every template again.
- URLs of the layout (static files, navigation) are built once per worker and script root; they
  never depend on the request otherwise.

- Kept answers (`remember`): what a page builds from the database (calendar listings, feeds,
  rendered posts and thread rows), kept in a bounded cache of the app and found again by a key
  that holds everything the answer depends on, read from the database in this request (the
  values themselves, or a version the database raises on every change). A change made by any
  process or machine therefore changes the key at the next read; nothing is ever invalidated,
  old entries fall off the end.

- Whole pages (`whole_page`): a page marked by its view is kept per URL, minute, the app's
  settings and **data version** — a value that changes whenever any connection, process or
  machine commits a change to the database (`data_version`). The version is read before anything
  else in the request and again after the page is built; the page is kept only when both readings
  agree and the request changed nothing (not the session, no cookie, no flashed message), so a
  kept page is exactly what building it again would give. A signed-in page is served only to the
  same signed session cookie, so it never reaches another person or another session of the same
  person; visitors whose session holds only a CSRF token share one page, their token filled in.

Everything here is per process and derived from files, request data or the database's current
values, so it is correct with any number of processes and machines.
"""
import hashlib
import itertools
import threading
from collections import OrderedDict
from pathlib import Path

from flask import Response, current_app, g, has_request_context, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import BigInteger, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from . import timeutil
from .extensions import db, login_manager

#: Cache-Control for a static file requested with its current version.
IMMUTABLE = "public, max-age=31536000, immutable"


def init_app(app):
    cache_dir = Path(app.instance_path) / "jinja-cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache_dir))
    app.jinja_env.globals.update(layout_url=layout_url)
    app.url_defaults(_static_version)
    app.after_request(_cache_headers)
    app.before_request(_serve_kept_page)
    app.after_request(_keep_page)


def static_version(filename):
    """A short hash of a static file's content ('' for a file that does not exist)."""
    versions = current_app.extensions.setdefault("community.static_versions", {})
    version = versions.get(filename)
    if version is None or current_app.debug:
        path = Path(current_app.static_folder) / filename
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""
        versions[filename] = version
    return version


def _static_version(endpoint, values):
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


def layout_url(endpoint, **values):
    """`url_for(endpoint, **values)` built once per worker: for links that never change (the
    layout's stylesheets, scripts and navigation), which every page renders."""
    if not has_request_context():
        return url_for(endpoint, **values)
    urls = current_app.extensions.setdefault("community.layout_urls", {})
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    url = urls.get(key)
    if url is None or current_app.debug:
        url = urls[key] = url_for(endpoint, **values)
    return url


def _cache_headers(response):
    if request.endpoint == "static":
        filename = (request.view_args or {}).get("filename")
        if filename and request.args.get("v") and request.args["v"] == static_version(filename):
            response.headers["Cache-Control"] = IMMUTABLE
            response.expires = None
        return response
    if (request.method in ("GET", "HEAD") and response.status_code == 200
            and not response.direct_passthrough and not response.is_streamed
            and not viewer_signed_in()):
        response.add_etag()
        response = response.make_conditional(request)
    return response


#: Entries kept per named cache unless its user asks for another size.
KEPT = 256
_kept_lock = threading.Lock()


def kept(name):
    """The current app's cache `name` (in `app.extensions`: never shared between two apps)."""
    caches = current_app.extensions.setdefault("community.kept", {})
    cache = caches.get(name)
    if cache is None:
        with _kept_lock:
            cache = caches.setdefault(name, OrderedDict())
    return cache


def remember(name, key, build, size=KEPT, still=None):
    """The answer kept in cache `name` under `key`; on a miss `build()` makes it and the least
    recently used entries beyond `size` are dropped. `key` must hold everything the answer
    depends on (see the module's note). `still()` (optional), asked after a build, says whether
    the key still holds (e.g. the version it names was not changed meanwhile); if not, the
    answer is returned without being kept."""
    cache = kept(name)
    found = cache.get(key)
    if found is not None:
        with _kept_lock:
            if key in cache:
                cache.move_to_end(key)
        return found
    found = build()
    if still is not None and not still():
        return found
    with _kept_lock:
        cache[key] = found
        while len(cache) > size:
            cache.popitem(last=False)
    return found


class VersionRow:
    """The columns of a counter table (`counter_sql`), for its model: the one row (id 1) and the
    number the triggers give it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def with_create_all(statements):
    """Run `statements(dialect)` (idempotent: a counter's or another table's triggers) after
    `create_all` (tests), as their migration does."""
    def make(metadata, connection, **kwargs):
        for statement in statements(connection.dialect.name):
            connection.exec_driver_sql(statement)

    event.listen(db.metadata, "after_create", make)


def counter_sql(dialect, counter, tables):
    """Statements (idempotent) that make table `counter`'s one row (id 1) and the triggers that
    give it a new `version` with every write to `tables`: what kept answers over those tables are
    keyed by, so a write by any process, machine or tool counts.

    On PostgreSQL one statement trigger per table takes the number from a sequence: a number is
    never handed out twice, so a transaction that rolls back leaves no number that a later commit
    could reuse for other contents (its own uncommitted reads were keyed by it). SQLite, whose
    writers are serialized, adds one per written row.
    """
    statements = [f"INSERT INTO {counter} (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"]
    if dialect == "postgresql":
        statements += [
            f"CREATE SEQUENCE IF NOT EXISTS {counter}_numbers",
            # Never back: run again on a live database, the next number stays above every one given.
            f"SELECT setval('{counter}_numbers', GREATEST((SELECT version FROM {counter} WHERE id = 1) + 1, "
            f"(SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM {counter}_numbers), 1), false)",
            f"CREATE OR REPLACE FUNCTION bump_{counter}() RETURNS trigger AS $$ BEGIN UPDATE {counter} "
            f"SET version = nextval('{counter}_numbers') WHERE id = 1; RETURN NULL; END; $$ LANGUAGE plpgsql"]
        statements += [f"CREATE OR REPLACE TRIGGER {counter}_{table} AFTER INSERT OR UPDATE OR DELETE "
                       f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_{counter}()"
                       for table in tables]
    else:
        statements += [f"CREATE TRIGGER IF NOT EXISTS {counter}_{table}_{verb.lower()} AFTER {verb} "
                       f"ON {table} BEGIN UPDATE {counter} SET version = version + 1 WHERE id = 1; END"
                       for table in tables for verb in ("INSERT", "UPDATE", "DELETE")]
    return statements


# --- Whole pages ---------------------------------------------------------------------------

#: Whole pages kept per process (the most recently used; a page is 20–100 kB).
KEPT_PAGES = 200
#: Response headers a kept page keeps (the layout's own headers are added to every answer).
_KEPT_HEADERS = ("Content-Type", "Content-Language", "Link", "Vary")
_serials = itertools.count(1)


def whole_page(view=None, *, when=None):
    """Mark a GET view whose page may be kept whole (for a signed-in session, or for visitors).

    Only for views whose page depends on nothing but the database, the URL, the session, the
    person and the minute — not on a search index in a folder, files or other services. `when()`
    (optional) says whether this request's page may be kept (e.g. only when the search index is
    in the database).
    """
    def mark(view):
        view.kept_whole = when or True
        return view
    return mark(view) if view is not None else mark


def viewer_signed_in():
    """Whether the page goes to a signed-in person, without loading the person for a kept page."""
    if g.get("kept_page") == "served":
        return g.kept_page_signed_in
    return bool(current_user and getattr(current_user, "is_authenticated", False))


def data_version():
    """A value that changes whenever a change to the database is committed, by anyone.

    PostgreSQL: the current snapshot (`pg_current_snapshot()`): two equal snapshots see exactly
    the same rows, and any transaction that writes takes a new transaction id. SQLite: this
    connection's serial number, `PRAGMA data_version` (changes when another connection, in any
    process, commits) and its own `total_changes`.
    """
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection  # one statement, past the ORM and its events
    if connection.dialect.name == "postgresql":
        return raw.execute("SELECT pg_current_snapshot()::text").fetchone()[0]
    if not hasattr(raw, "total_changes"):
        return None  # a driver this was not written for: keep nothing
    changed = raw.execute("PRAGMA data_version").fetchone()[0]
    return connection.connection.info.get("serial"), changed, raw.total_changes


@event.listens_for(Engine, "connect")
def _number_connection(dbapi_connection, connection_record):
    connection_record.info["serial"] = next(_serials)


#: Stands for the CSRF token in a kept post (`forums.fragments`) or a visitor's kept page, filled in
#: with the token of the session it is served to; never valid in a page.
CSRF_SLOT = "\x00csrf-token\x00"
#: What a visitor's session may hold for their page to be everyone's: a CSRF token, and the
#: "not fresh" mark session protection gives any non-empty session without a sign-in.
_VISITOR_KEYS = frozenset({"csrf_token", "_fresh"})


def _page_key():
    """This request's key for a kept page, or None when its page must be built.

    A signed-in page is keyed by the session cookie (it holds that session's CSRF token and
    nothing of it reaches anyone else); a visitor's by nothing of theirs, and only while their
    session holds nothing but a CSRF token (filled in per request).
    """
    if request.method != "GET" or not current_app.config["KEEP_WHOLE_PAGES"]:
        return None
    view = current_app.view_functions.get(request.endpoint)
    rule = getattr(view, "kept_whole", None)
    if rule is None or (callable(rule) and not rule()):
        return None
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if "_login_user" in g or "_flashes" in session or remember_cookie in request.cookies:
        return None
    if "_user_id" in session:
        who = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
        if not who or session.get("_id") != login_manager._session_identifier_generator():
            return None  # session protection has a word to say: let the ordinary path say it
    elif set(session) <= _VISITOR_KEYS:
        who = None
    else:
        return None
    version = data_version()  # before anything else reads the database in this request
    if version is None:
        return None
    # The settings too: a page shows some (the site's name, whether reply by e-mail is on), and
    # they may change in a running app (tests, an admin's console). Hashing them costs ~10 µs.
    settings = hash(repr(list(current_app.config.items())))
    return (request.url, who, timeutil.utcnow().strftime("%Y%m%d%H%M"), settings), version


def _serve_kept_page():
    key = _page_key()
    if key is None:
        return None
    found = kept("pages").get(key)
    if found is None:
        g.kept_page = key
        return None
    g.kept_page, g.kept_page_signed_in = "served", key[0][1] is not None
    status, headers, body = found
    if not g.kept_page_signed_in and CSRF_SLOT.encode() in body:
        body = body.replace(CSRF_SLOT.encode(), generate_csrf().encode())
    return Response(body, status=status, headers=headers)


def _keep_page(response):
    key = g.get("kept_page")
    if (key is None or key == "served" or response.status_code != 200 or response.mimetype != "text/html"
            or response.is_streamed or response.direct_passthrough or "Set-Cookie" in response.headers):
        return response
    signed_in = key[0][1] is not None
    if session.modified if signed_in else not set(session) <= _VISITOR_KEYS:
        return response
    try:
        unchanged = data_version() == key[1]
    except SQLAlchemyError:  # a view that left its transaction failed: its page is not kept
        unchanged = False
    if not unchanged:
        return response
    body = response.get_data()
    token = g.get("csrf_token")
    if not signed_in and token:
        body = body.replace(token.encode(), CSRF_SLOT.encode())
    headers = [(name, value) for name, value in response.headers if name in _KEPT_HEADERS]
    remember("pages", key, lambda: (response.status_code, headers, body), size=KEPT_PAGES)
    return response
