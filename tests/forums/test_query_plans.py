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


def _statement_of(app, client, path, marker):
    """The statement (and its values) that a GET of `path` runs whose SQL holds `marker`."""
    found = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if marker in statement:
            found.append((statement, parameters))

    app.config["KEEP_WHOLE_PAGES"] = False
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(found) == 1, found
    return found[0]


def _plan(statement, parameters):
    """The plan as text lines: SQLite's `EXPLAIN QUERY PLAN` (the statement's own steps, not its
    correlated subqueries': "0:" before a step of the statement itself); PostgreSQL's `EXPLAIN` with sorts
    and whole-table scans priced out, so that any order an index cannot give shows as a Sort
    whatever the statistics of this small test database say."""
    raw = db.engine.raw_connection()
    try:
        if db.engine.dialect.name == "sqlite":
            return [f"{row[1]}:{row[3]}" for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        cursor = raw.cursor()
        cursor.execute("SET enable_sort = off")
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN {statement}", parameters)
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.execute("RESET enable_sort")
            cursor.execute("RESET enable_seqscan")
    finally:
        raw.close()


def test_a_cluster_page_reads_its_rows_in_the_order_of_an_index(forum, client, sign_in):
    """Pinned first, then latest activity, then id: an index gives the whole order, so the page
    stops after its 30 rows (PostgreSQL once read and sorted all 5,002 threads of a cluster)."""
    for n in range(3):
        forum.thread(title=f"Warm handoffs between programs, part {n}")
    sign_in(forum.member)
    plan = _plan(*_statement_of(client.application, client, f"/clusters/{forum.cluster.slug}", "is_pinned DESC"))
    text = "\n".join(plan)
    assert "ix_forum_threads_cluster_listing" in text, text
    if db.engine.dialect.name == "sqlite":
        assert "0:USE TEMP B-TREE FOR ORDER BY" not in plan, text
    else:
        assert not [line for line in plan if "Sort Key: forum_threads" in line], text


def test_a_thread_page_reads_its_posts_as_a_range_of_numbers(forum, client, sign_in):
    """Page n of a thread reads posts n·20−19 … n·20 from the (thread, number) index, not every
    post before them (an OFFSET: page 20 of a 400-post thread cost 19 ms on PostgreSQL)."""
    thread = forum.thread()
    sign_in(forum.member)
    statement, parameters = _statement_of(client.application, client, f"/t/{thread.id}?page=1",
                                          "ORDER BY forum_posts.number")
    assert "OFFSET" not in statement.upper()
    text = "\n".join(_plan(statement, parameters))
    if db.engine.dialect.name == "sqlite":
        assert "SEARCH forum_posts USING INDEX" in text and "(thread_id=? AND number>? AND number<?)" in text, text
    else:
        assert "uq_forum_posts_thread_id" in text and "number >" in text.split("uq_forum_posts_thread_id", 1)[1], text
