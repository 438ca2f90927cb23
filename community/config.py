"""Settings read from the environment, with defaults for the embedded set-up."""
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool


#: Every environment variable read below, {name: default}; `tests/test_config.py` checks that the
#: README's settings table lists exactly these.
ENVIRONMENT = {}


def _env(name, default=None):
    """The variable's text as set (even empty), else `default`."""
    ENVIRONMENT[name] = default
    return os.environ.get(name, default)


def _env_bool(name, default=False):
    ENVIRONMENT[name] = default
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    ENVIRONMENT[name] = default
    value = os.environ.get(name)
    return int(value) if value else default


def _env_float(name, default):
    ENVIRONMENT[name] = default
    value = os.environ.get(name)
    return float(value) if value else default


class Config:
    """Every setting, read from the environment with its default; `create_app(config)` overrides.

    `ENV_NAME=production` turns on the strict checks of `load_config`. Attributes without an
    environment variable are fixed choices of the code, not settings.
    """

    # --- Site ---------------------------------------------------------------------------------
    #: production: refuse to start without SECRET_KEY and SITE_URL; secure cookies
    #: (COMMUNITY_ENV is an older name for it, still read).
    ENV_NAME = _env("ENV_NAME", os.environ.get("COMMUNITY_ENV", "development"))
    #: Signs cookies and tokens; development generates one in `instance/secret_key`.
    SECRET_KEY = _env("SECRET_KEY")
    #: This machine's instance folder (read by `create_app` before the rest); default `instance/`.
    INSTANCE_PATH = _env("INSTANCE_PATH")
    #: Absolute base URL of every link in e-mails, feeds and calendar files; never the request's
    #: Host. Required in production; development defaults to DEVELOPMENT_SITE_URL.
    SITE_URL = _env("SITE_URL", "")
    #: The site's name in pages, e-mail and feeds.
    SITE_NAME = _env("SITE_NAME", "Linkages Community")
    ORGANIZATION_NAME = "Child and Family Policy Institute of California (CFPIC)"
    #: The postal address in the newsletter's footer (CAN-SPAM).
    ORGANIZATION_ADDRESS = _env("ORGANIZATION_ADDRESS", "1000 G Street, Suite 500, Sacramento, CA 95814")
    TIMEZONE = "America/Los_Angeles"
    #: Python logging level of the app, the CLI and workers.
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")

    # --- Database, jobs -----------------------------------------------------------------------
    #: SQLAlchemy URL; default: SQLite file in the instance folder (filled in by `load_config`).
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: Redis: rate-limit counts shared by every process, and the RQ job queue.
    REDIS_URL = _env("REDIS_URL", "")
    #: Jobs run in-process after the request unless REDIS_URL is set (or JOBS_INLINE forces it).
    JOBS_INLINE = _env_bool("JOBS_INLINE", False)
    #: Without Redis: "database" (a request's jobs go to the `jobs` table for `flask jobs worker`)
    #: or "inline"; empty means "inline" under TESTING and "database" otherwise.
    JOBS_QUEUE = _env("JOBS_QUEUE", "")

    # --- Mail ---------------------------------------------------------------------------------
    #: smtp://user:password@host:port?starttls=1  |  smtps://…  |  file (instance/outbox)  |  none
    MAIL_URL = _env("MAIL_URL", "")
    #: The sender of every message; its domain also names Message-IDs and the newsletter's List-Id.
    MAIL_FROM = _env("MAIL_FROM", "Linkages Community <no-reply@linkages.example.org>")
    #: Folder of the `file` transport; default `instance/outbox` (filled in by `load_config`).
    MAIL_OUTBOX = _env("MAIL_OUTBOX")
    #: Reply by e-mail: forum e-mails carry reply+<token>@REPLY_MAIL_DOMAIN; empty turns it off.
    REPLY_MAIL_DOMAIN = _env("REPLY_MAIL_DOMAIN", "").strip().lower()
    #: Off (0) keeps the domain but posts nothing that arrives.
    REPLY_MAIL_ENABLED = _env_bool("REPLY_MAIL_ENABLED", True)
    #: Largest incoming message accepted (bytes, with attachments); larger ones are refused.
    REPLY_MAIL_MAX_BYTES = _env_int("REPLY_MAIL_MAX_BYTES", 10 * 1024 * 1024)

    # --- Sign-in and sessions -----------------------------------------------------------------
    #: A sign-in lasts this long at most (server-side session; the cookie and CSRF tokens too).
    SESSION_LIFETIME_DAYS = _env_int("SESSION_LIFETIME_DAYS", 14)
    #: Failed sign-ins for one account within SIGN_IN_LOCK_MINUTES that pause its sign-in for as long.
    SIGN_IN_LOCK_AFTER = _env_int("SIGN_IN_LOCK_AFTER", 10)
    SIGN_IN_LOCK_MINUTES = _env_int("SIGN_IN_LOCK_MINUTES", 15)
    #: How passwords are hashed (Werkzeug's method string): scrypt with Werkzeug's parameters.
    #: The test suite sets a fast method, as Django's suites do: hashes name their own method,
    #: so a stored hash is checked the same way whatever this says.
    PASSWORD_HASH_METHOD = _env("PASSWORD_HASH_METHOD", "scrypt")
    #: Hours a password-reset link works; days an invitation link works.
    PASSWORD_RESET_HOURS = _env_int("PASSWORD_RESET_HOURS", 2)
    INVITATION_DAYS = _env_int("INVITATION_DAYS", 14)
    #: How many reverse proxies (nginx, a load balancer) sit in front and set X-Forwarded-For
    #: and X-Forwarded-Proto; 0 trusts none (the client connects directly).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Cookies only over HTTPS (always on in production).
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    #: Scheme of URLs built outside a request (https in production).
    PREFERRED_URL_SCHEME = _env("PREFERRED_URL_SCHEME", "http")
    #: Off (0): every page is built on every request, none is kept whole (caching.whole_page).
    KEEP_WHOLE_PAGES = _env_bool("KEEP_WHOLE_PAGES", True)

    # --- Rate limits --------------------------------------------------------------------------
    #: Off (0) turns every rate limit off.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    #: Where limits are counted; default REDIS_URL, else this process's memory.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "")
    RATELIMIT_HEADERS_ENABLED = True
    #: Per-endpoint limits (Flask-Limiter notation); tests lower or raise them through overrides.
    LIMIT_SIGN_IN = _env("LIMIT_SIGN_IN", "10 per minute; 50 per hour")
    LIMIT_ACCOUNT_REQUEST = _env("LIMIT_ACCOUNT_REQUEST", "5 per hour")
    LIMIT_PASSWORD_RESET = _env("LIMIT_PASSWORD_RESET", "5 per hour")
    LIMIT_FORUM_POST = _env("LIMIT_FORUM_POST", "6 per minute; 60 per day")
    LIMIT_NEWSLETTER_SUBSCRIBE = _env("LIMIT_NEWSLETTER_SUBSCRIBE", "5 per minute; 20 per hour")
    LIMIT_NEWSLETTER_PREFERENCES = _env("LIMIT_NEWSLETTER_PREFERENCES", "20 per minute")

    # --- Forums -------------------------------------------------------------------------------
    #: Longest post or reply, in characters.
    FORUM_MAX_POST_CHARS = _env_int("FORUM_MAX_POST_CHARS", 20000)

    # --- Uploads and text extraction ----------------------------------------------------------
    #: Largest request body, so the largest upload (bytes).
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 25 * 1024 * 1024)
    #: Where uploaded files are kept: auto (the database on PostgreSQL, else UPLOAD_DIR), local
    #: (UPLOAD_DIR, a folder every node must share) or database (chunks in PostgreSQL).
    FILE_STORE = _env("FILE_STORE", "auto")
    #: The folder of the local file store; default `instance/uploads` (filled in by `load_config`).
    UPLOAD_DIR = _env("UPLOAD_DIR")
    #: Office files are zip archives: more entries, more unpacked bytes or a higher compression
    #: ratio than these and the upload is refused as a zip bomb.
    UPLOAD_ZIP_MAX_ENTRIES = _env_int("UPLOAD_ZIP_MAX_ENTRIES", 3000)
    UPLOAD_ZIP_MAX_BYTES = _env_int("UPLOAD_ZIP_MAX_BYTES", 200 * 1024 * 1024)
    UPLOAD_ZIP_MAX_RATIO = _env_int("UPLOAD_ZIP_MAX_RATIO", 200)
    #: Extract text in a child process with its own memory limit (off only for tests and debugging).
    EXTRACTION_ISOLATED = _env_bool("EXTRACTION_ISOLATED", True)
    #: Bounds of one extraction: pages read, characters kept, seconds and megabytes of memory.
    EXTRACTION_MAX_PAGES = _env_int("EXTRACTION_MAX_PAGES", 300)
    EXTRACTION_MAX_CHARS = _env_int("EXTRACTION_MAX_CHARS", 400_000)
    EXTRACTION_SECONDS = _env_int("EXTRACTION_SECONDS", 20)
    EXTRACTION_MEMORY_MB = _env_int("EXTRACTION_MEMORY_MB", 512)

    # --- Search -------------------------------------------------------------------------------
    #: Search backend: auto (PostgreSQL full-text search on a PostgreSQL database, else the Whoosh
    #: index in SEARCH_INDEX_DIR), whoosh (one machine only) or postgres (shared by every node).
    SEARCH_BACKEND = _env("SEARCH_BACKEND", "auto")
    #: Whoosh index folder; default `instance/search-index` (filled in by `load_config`).
    SEARCH_INDEX_DIR = _env("SEARCH_INDEX_DIR")
    #: Seconds a writer waits for the index (Whoosh lock, PostgreSQL lock_timeout).
    SEARCH_LOCK_TIMEOUT = _env_float("SEARCH_LOCK_TIMEOUT", 30)
    #: Results per search page.
    SEARCH_PER_PAGE = _env_int("SEARCH_PER_PAGE", 10)
    #: Writer processes used by a full rebuild (each writes its own segment).
    SEARCH_INDEX_PROCS = _env_int("SEARCH_INDEX_PROCS", 1)
    #: PostgreSQL backend: keep each search's results (hits, facet counts, suggestion) under the
    #: search tables' version and the viewer's access; off (0) runs every search in full.
    SEARCH_KEEP_RESULTS = _env_bool("SEARCH_KEEP_RESULTS", True)

    # --- Newsletter ---------------------------------------------------------------------------
    #: Messages per second a worker sends at most (0: no limit).
    NEWSLETTER_RATE = _env_float("NEWSLETTER_RATE", 20.0)
    #: Rows a worker claims at once; one SMTP connection per batch.
    NEWSLETTER_BATCH_SIZE = _env_int("NEWSLETTER_BATCH_SIZE", 50)
    #: Attempts per recipient before the row is marked failed.
    NEWSLETTER_MAX_ATTEMPTS = _env_int("NEWSLETTER_MAX_ATTEMPTS", 3)
    #: Seconds before a temporarily refused recipient (4xx) is tried again; the retry happens in
    #: the running job if it is still sending, else at the next `send-due` after the lease.
    NEWSLETTER_RETRY_SECONDS = _env_int("NEWSLETTER_RETRY_SECONDS", 60)
    #: Seconds after which rows claimed by a silent worker may be taken over (> batch ÷ rate).
    NEWSLETTER_LEASE_SECONDS = _env_int("NEWSLETTER_LEASE_SECONDS", 300)
    #: Seconds one job sends before handing over to a fresh job (below RQ's 180 s timeout).
    NEWSLETTER_JOB_SECONDS = _env_int("NEWSLETTER_JOB_SECONDS", 120)
    #: Days a subscription confirmation link works.
    NEWSLETTER_CONFIRM_DAYS = _env_int("NEWSLETTER_CONFIRM_DAYS", 7)


#: SITE_URL outside production when none is set (`make run` passes its own host and port).
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example, production without a SECRET_KEY)."""


def _engine_options(url, options):
    """The engine's options, with its pool handing out the connection returned last (LIFO).

    SQLite's data version (`caching.data_version`, part of a kept page's key) is read per
    connection. A first-in-first-out pool, SQLAlchemy's default, hands each request the
    connection idle longest: once a burst of requests had opened three connections, successive
    views of a page came on three connections with three versions and none was ever answered
    from the kept page. Last-in-first-out gives a quiet site one connection, and lets the others
    time out on PostgreSQL (SQLAlchemy's own advice). Only a queue pool takes the option: not the
    one-connection pool of an in-memory SQLite database (the dialect's choice for its URL), nor a
    pool class chosen in the settings."""
    options = dict(options or {})
    parsed = make_url(url)
    if "poolclass" not in options and issubclass(parsed.get_dialect().get_pool_class(parsed), QueuePool):
        options.setdefault("pool_use_lifo", True)
    return options


def load_config(app, overrides=None):
    """Fill `app.config` from `Config`, the overrides, and generated instance defaults."""
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'community.sqlite3'}"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(url, app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))

    for name, folder in (("MAIL_OUTBOX", "outbox"), ("UPLOAD_DIR", "uploads"),
                         ("SEARCH_INDEX_DIR", "search-index")):
        if not app.config.get(name):
            app.config[name] = str(instance / folder)
    lifetime = timedelta(days=app.config["SESSION_LIFETIME_DAYS"])
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime  # a signed cookie is refused after this
    if "WTF_CSRF_TIME_LIMIT" not in (overrides or {}):
        app.config["WTF_CSRF_TIME_LIMIT"] = int(lifetime.total_seconds())

    if not app.config.get("RATELIMIT_STORAGE_URI"):
        redis_url = app.config.get("REDIS_URL")
        app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"

    production = app.config["ENV_NAME"] == "production"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise ConfigError("SECRET_KEY must be set in production.")
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if not app.config.get("SITE_URL"):
        if production:
            raise ConfigError("SITE_URL must be set in production (e.g. https://community.cfpic.org).")
        app.config["SITE_URL"] = DEVELOPMENT_SITE_URL
    site = urlparse(app.config["SITE_URL"])
    if site.scheme not in ("http", "https") or not site.hostname:
        raise ConfigError(f"SITE_URL must be an http(s) URL like https://community.cfpic.org, "
                          f"not {app.config['SITE_URL']!r}.")
    if production:
        if len(app.config["SECRET_KEY"]) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production.")
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"


def _instance_secret(instance):
    """Return the development secret kept in `instance/secret_key`, creating it once."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
