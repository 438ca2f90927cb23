"""Count the SQL statements a block of code runs (for N+1 checks on list pages)."""
import contextlib

from flask import current_app
from sqlalchemy import event

from community.extensions import db


@contextlib.contextmanager
def count_queries(app=None, kept_pages=False):
    """Yield a list that fills with the SQL of every statement executed inside the block.

    What a page's build runs: inside the block pages are not served kept whole (a repeated view
    would run no query at all, and on PostgreSQL whether it is kept depends on commits anywhere
    on the server) unless `kept_pages`; the reads of the data version by which whole pages are
    kept (`caching.data_version`) go to the driver directly and are never counted.

    :param app: the app whose engine to watch; the current app when None.
    """
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    app = app or current_app._get_current_object()
    with app.app_context():
        engine = db.engine
    keeping = app.config["KEEP_WHOLE_PAGES"]
    app.config["KEEP_WHOLE_PAGES"] = keeping and kept_pages
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        app.config["KEEP_WHOLE_PAGES"] = keeping


def queries_for(client, app, path):
    """How many statements one GET of `path` runs."""
    with count_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)
