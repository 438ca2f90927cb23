"""Count the SQL statements a block of code runs (for N+1 checks on list pages)."""
import contextlib

from sqlalchemy import event

from community.extensions import db


@contextlib.contextmanager
def count_queries(app=None):
    """Yield a list that fills with the SQL of every statement executed inside the block.

    What a page's build runs: the one or two reads of the data version by which whole pages are
    kept (`caching.data_version`) go to the driver directly and are not counted here.

    :param app: the app whose engine to watch; the current app when None.
    """
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    if app is None:
        engine = db.engine
    else:
        with app.app_context():
            engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_for(client, app, path):
    """How many statements one GET of `path` runs."""
    with count_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)
