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

Everything here is per process and derived from files or request data, so it is correct with
any number of processes and machines.
"""
import hashlib
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
