"""Flask extensions, created unbound here and bound to the app in `create_app`."""
from flask import has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
import contextlib
import sqlite3

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection, record):
    """SQLite files use a write-ahead log: readers do not block the writer, and a commit with
    `synchronous = NORMAL` (newsletter marks) survives a killed process without waiting for
    the disk; only a power cut can lose the last commits, never corrupt the file."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Another connection may hold a lock; the mode is kept in the file anyway.
        with contextlib.suppress(sqlite3.OperationalError):
            dbapi_connection.execute("PRAGMA journal_mode = WAL")


#: Requests that may write. On SQLite their transaction begins IMMEDIATE (below).
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "begin")
def _sqlite_one_writing_request_at_a_time(connection):
    """On SQLite, a request that may write takes the database's write lock as its transaction
    begins, so it reads, decides and writes with no other writer in between.

    PostgreSQL serialises what counts with row locks (`SELECT … FOR UPDATE`: a seat, a thread's
    next post number); SQLite has none and, by default, reads outside any transaction: two
    requests could both find the last seat free, or both take post number 8. SQLite allows one
    writer at a time anyway, so this costs a queue (up to the driver's 5 s busy timeout), not
    concurrency; reading pages (GET) never waits.
    """
    if connection.dialect.name != "sqlite" or not has_request_context() or request.method in _READ_ONLY_METHODS:
        return
    raw = connection.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
