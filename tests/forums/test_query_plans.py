"""No page a member reads walks the whole of a table that grows with the forum.

A statement's cost should follow what its page shows, not how much the forum holds. SQLite's
`EXPLAIN QUERY PLAN` for every statement of each page must not scan `forum_threads` or
`forum_posts` whole. (The notifications page once did: its threads were joined as
`LEFT JOIN (forum_threads JOIN clusters)`, which SQLite builds in full before joining.)
"""
import pytest
from sqlalchemy import event

from community.extensions import db
from community.forums import notify

GROWING = ("forum_threads", "forum_posts")


@pytest.fixture
def plans(app):
    """plans(fetch): the SQLite query plan lines of every statement `fetch()` runs."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL chooses its plans by its statistics")

    def collect(fetch):
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", record)
        app.config["KEEP_WHOLE_PAGES"] = False
        try:
            fetch()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        raw = db.engine.raw_connection()
        try:
            return {statement: [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                    for statement, parameters in statements}
        finally:
            raw.close()

    return collect


def test_the_pages_a_member_reads_never_scan_the_forums_growing_tables(forum, client, sign_in, plans):
    thread = forum.thread(author=forum.member)
    post = forum.reply(thread, author=forum.other, body="@maria.lopez could you look at this?")
    notify.add(forum.facilitator, "mention", actor=forum.other, thread=thread, post=post)
    db.session.commit()
    sign_in(forum.facilitator)
    pages = ["/", "/notifications", f"/clusters/{forum.cluster.slug}", f"/t/{thread.id}",
             f"/people/{forum.other.handle}", "/people", "/clusters"]

    def fetch():
        for path in pages:
            assert client.get(path).status_code == 200, path

    found = plans(fetch)
    assert found, "the pages ran no statement"
    scans = {" ".join(statement.split())[-240:]: steps for statement, steps in found.items()
             if any(step.startswith(f"SCAN {table}") or step.startswith(f"SCAN {table}_")
                    for step in steps for table in GROWING)}
    assert scans == {}
