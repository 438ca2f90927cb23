"""Settings read from the environment, with defaults for the embedded set-up."""
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Configuration for every environment; `ENV_NAME=production` turns on the strict checks."""

    ENV_NAME = os.environ.get("ENV_NAME", os.environ.get("COMMUNITY_ENV", "development"))
    SECRET_KEY = os.environ.get("SECRET_KEY")
    #: SQLAlchemy URL; default: SQLite file in the instance folder (filled in by `load_config`).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: smtp://user:password@host:port?starttls=1  |  file (instance/outbox)  |  none
    MAIL_URL = os.environ.get("MAIL_URL", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Linkages Community <no-reply@linkages.example.org>")
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    #: Absolute base URL of every link in e-mails, feeds and calendar files; never the request's
    #: Host. Required in production; development defaults to DEVELOPMENT_SITE_URL.
    SITE_URL = os.environ.get("SITE_URL", "")
    SITE_NAME = os.environ.get("SITE_NAME", "Linkages Community")
    ORGANIZATION_NAME = "Child and Family Policy Institute of California (CFPIC)"
    ORGANIZATION_ADDRESS = os.environ.get(
        "ORGANIZATION_ADDRESS", "1000 G Street, Suite 500, Sacramento, CA 95814"
    )
    TIMEZONE = "America/Los_Angeles"

    #: A sign-in lasts this long at most (server-side session; the cookie and CSRF tokens too).
    SESSION_LIFETIME_DAYS = _env_int("SESSION_LIFETIME_DAYS", 14)
    #: Failed sign-ins for one account within SIGN_IN_LOCK_MINUTES that pause its sign-in for as long.
    SIGN_IN_LOCK_AFTER = _env_int("SIGN_IN_LOCK_AFTER", 10)
    SIGN_IN_LOCK_MINUTES = _env_int("SIGN_IN_LOCK_MINUTES", 15)
    #: How many reverse proxies (nginx, a load balancer) sit in front and set X-Forwarded-For
    #: and X-Forwarded-Proto; 0 trusts none (the client connects directly).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 25 * 1024 * 1024)
    #: Whoosh index folder; default `instance/search-index` (filled in by the search package).
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR")

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    RATELIMIT_HEADERS_ENABLED = True
    #: Per-endpoint limits; tests lower or raise them through overrides.
    LIMIT_SIGN_IN = os.environ.get("LIMIT_SIGN_IN", "10 per minute; 50 per hour")
    LIMIT_ACCOUNT_REQUEST = os.environ.get("LIMIT_ACCOUNT_REQUEST", "5 per hour")
    LIMIT_PASSWORD_RESET = os.environ.get("LIMIT_PASSWORD_RESET", "5 per hour")

    PASSWORD_RESET_HOURS = _env_int("PASSWORD_RESET_HOURS", 2)
    INVITATION_DAYS = _env_int("INVITATION_DAYS", 14)
    #: Jobs run in-process after the request unless REDIS_URL is set (or JOBS_INLINE forces it).
    JOBS_INLINE = _env_bool("JOBS_INLINE", False)
    #: Without Redis: "database" (a request's jobs go to the `jobs` table for `flask jobs worker`)
    #: or "inline"; empty means "inline" under TESTING and "database" otherwise.
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "")
    #: Search backend: auto (PostgreSQL full-text search on a PostgreSQL database, else the Whoosh
    #: index in SEARCH_INDEX_DIR), whoosh (one machine only) or postgres (shared by every node).
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "auto")
    #: Where uploaded files are kept: auto (the database on PostgreSQL, else UPLOAD_DIR), local
    #: (UPLOAD_DIR, a folder every node must share) or database (chunks in PostgreSQL).
    FILE_STORE = os.environ.get("FILE_STORE", "auto")
    #: The folder of the local file store; default: instance/uploads.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR")
    #: Reply by e-mail: forum e-mails carry reply+<token>@REPLY_MAIL_DOMAIN; empty turns it off.
    REPLY_MAIL_DOMAIN = os.environ.get("REPLY_MAIL_DOMAIN", "").strip().lower()
    REPLY_MAIL_ENABLED = _env_bool("REPLY_MAIL_ENABLED", True)
    #: Largest incoming message accepted (bytes, with attachments); larger ones are refused.
    REPLY_MAIL_MAX_BYTES = _env_int("REPLY_MAIL_MAX_BYTES", 10 * 1024 * 1024)


#: SITE_URL outside production when none is set (`make run` passes its own host and port).
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example, production without a SECRET_KEY)."""


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

    if not app.config.get("MAIL_OUTBOX"):
        app.config["MAIL_OUTBOX"] = str(instance / "outbox")
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
