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

Everything here is per process and derived from files, request data or the database's current
values, so it is correct with any number of processes and machines.
"""
import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from flask import current_app, has_request_context, request, url_for
from flask_login import current_user
from jinja2 import FileSystemBytecodeCache

#: Cache-Control for a static file requested with its current version.
IMMUTABLE = "public, max-age=31536000, immutable"


def init_app(app):
    cache_dir = Path(app.instance_path) / "jinja-cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache_dir))
    app.jinja_env.globals.update(layout_url=layout_url)
    app.url_defaults(_static_version)
    app.after_request(_cache_headers)


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
            and not current_user.is_authenticated):
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


def remember(name, key, build, size=KEPT):
    """The answer kept in cache `name` under `key`; on a miss `build()` makes it and the least
    recently used entries beyond `size` are dropped. `key` must hold everything the answer
    depends on (see the module's note)."""
    cache = kept(name)
    found = cache.get(key)
    if found is not None:
        with _kept_lock:
            if key in cache:
                cache.move_to_end(key)
        return found
    found = build()
    with _kept_lock:
        cache[key] = found
        while len(cache) > size:
            cache.popitem(last=False)
    return found
