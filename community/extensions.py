"""Flask extensions, created unbound here and bound to the app in `create_app`."""
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
from sqlalchemy.orm import DeclarativeBase, Session

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


@event.listens_for(Session, "do_orm_execute")
def _sqlite_lock_where_postgresql_locks_rows(state):
    """On SQLite, a `SELECT … FOR UPDATE` first takes the database's write lock.

    PostgreSQL serialises what counts with row locks (a seat: the event's row; a thread's next
    post number: the thread's row); SQLite has no row locks, drops FOR UPDATE, and by default
    reads outside any transaction: two requests could both find the last seat free, or both take
    post number 8. So where the code asks for a row lock, a SQLite connection that is not yet
    writing begins an IMMEDIATE transaction: it reads, decides and writes with no other writer in
    between, until it commits (others wait, up to the driver's 5 s busy timeout). A connection
    already in a transaction holds the write lock already (SQLite begins one only to write).
    """
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is None:
        return
    connection = state.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
