"""The index under stress: several writing processes, a lost or corrupted index, a held lock.

Each test runs on every search backend it applies to (see conftest); the Whoosh files are
specific to Whoosh, the never-built tables to PostgreSQL.
"""
import logging
import multiprocessing
import shutil
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text

from community import content, create_app, jobs
from community.content import SearchDocument
from community.extensions import db
from community.permissions import AccessFilter
from community.search import backend as site_search
from community.search import engine, postgres

EVERYTHING = AccessFilter(everything=True, members=True, cluster_ids=frozenset())


def _bulk_source(ids=None):
    for ident in ids or []:
        yield SearchDocument(kind="bulk", id=str(ident), title=f"Bulk document {ident}",
                             text=f"marker{ident} concurrency check", url=f"/bulk/{ident}",
                             visibility="public")


def _write_from_another_process(config, ids):
    app = create_app(config)
    content.register_source(app, "bulk", "Bulk", _bulk_source)
    with app.app_context():
        for ident in ids:  # one commit per document: the most contention there can be
            site_search.apply_changes("bulk", [ident])


def test_writers_in_several_processes_lose_no_update_and_raise_no_lock_error(app):
    content.register_source(app, "bulk", "Bulk", _bulk_source)
    site_search.rebuild()
    db.session.remove()
    db.engine.dispose()  # the children must not share this process's connections
    config = {key: app.config[key] for key in (
        "INSTANCE_PATH", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR", "SEARCH_BACKEND")}
    context = multiprocessing.get_context("fork")
    chunks = [list(range(start, 120, 4)) for start in range(4)]
    processes = [context.Process(target=_write_from_another_process, args=(config, chunk)) for chunk in chunks]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    found = site_search.search(EVERYTHING, "concurrency", per_page=200)
    assert found.total == 120
    for ident in (0, 37, 119):
        assert site_search.search(EVERYTHING, f"marker{ident}").total == 1


@pytest.fixture
def indexed(app, notes):
    notes.add(1, "Kern joint case review protocol", "Joint case reviews every month.")
    site_search.rebuild()
    return notes


@pytest.fixture
def whoosh_only(search_backend):
    if search_backend != "whoosh":
        pytest.skip("about the Whoosh index files")


def _lose_the_index(path):
    if site_search.name() == "whoosh":
        shutil.rmtree(path)
    else:  # as on a database where the PostgreSQL backend was just chosen: never built
        db.session.execute(text("DELETE FROM search_documents"))
        db.session.execute(text("DELETE FROM search_index_state"))
        db.session.commit()


def _break_and_check(client, caplog, breaker):
    assert "case review protocol" in client.get("/search?q=joint").get_data(as_text=True)
    breaker(engine.index_dir())
    site_search.close_readers()
    with caplog.at_level(logging.ERROR):
        response = client.get("/search?q=joint")
    assert response.status_code == 503
    assert "Search is being rebuilt" in response.get_data(as_text=True)
    assert any("search unavailable" in r.getMessage() for r in caplog.records)
    assert client.get("/library/").status_code == 200
    assert client.get("/about").status_code == 200
    # The page queued a rebuild from the database; it ran after that request.
    assert "case review protocol" in client.get("/search?q=joint").get_data(as_text=True)


def test_a_lost_index_shows_a_message_keeps_the_site_up_and_is_rebuilt(indexed, client, caplog):
    _break_and_check(client, caplog, _lose_the_index)


def test_a_corrupted_index_shows_a_message_keeps_the_site_up_and_is_rebuilt(whoosh_only, indexed, client, caplog):
    def corrupt(path):
        for item in path.iterdir():
            item.write_bytes(b"\x00garbage" * 10)

    _break_and_check(client, caplog, corrupt)


@contextmanager
def _lock_held_by_another_writer(app):
    """The writer lock, held as another process (or node) would hold it."""
    if site_search.name() == "whoosh":
        with engine.writer_lock():
            yield
        return
    other = create_engine(db.engine.url)
    try:
        with other.connect() as connection:
            connection.execute(select(func.pg_advisory_lock(postgres.LOCK_KEY)))
            yield
            connection.execute(select(func.pg_advisory_unlock(postgres.LOCK_KEY)))
    finally:
        other.dispose()


def test_a_held_lock_delays_indexing_without_breaking_a_page(app, indexed, client, caplog):
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.2
    indexed.add(2, "Sonoma co-location guideline", "Co-located staff meet weekly.")
    with _lock_held_by_another_writer(app), caplog.at_level(logging.ERROR):
        content.announce_changed("note", [2])
        db.session.commit()
        assert jobs.run_ready() == 1  # the job failed and was logged (RQ would retry it)
        assert client.get("/search?q=co-located").status_code == 200
    assert any("failed" in r.getMessage() for r in caplog.records)
    site_search.apply_changes("note", [2])  # the retry, once the lock is free
    assert site_search.search(EVERYTHING, "co-located").total == 1


def test_reindex_command_rebuilds_from_every_registered_source(app, notes, runner):
    notes.add(1, "Tulare Linkages handbook", "For families.")
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 documents" in result.output and "note" in result.output
    assert site_search.search(EVERYTHING, "handbook").total == 1


def test_searching_while_another_process_commits_never_finds_the_index_unavailable(whoosh_only, app):
    """A reader that opens the index while a writer commits (and merges away the segments the
    reader's table of contents named) reads the new table instead of answering 503."""
    content.register_source(app, "bulk", "Bulk", _bulk_source)
    site_search.rebuild()
    db.session.remove()
    db.engine.dispose()
    config = {key: app.config[key] for key in (
        "INSTANCE_PATH", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR", "SEARCH_BACKEND")}
    writer = multiprocessing.get_context("fork").Process(target=_write_from_another_process,
                                                         args=(config, list(range(300))))
    writer.start()
    searches = 0
    try:
        while writer.is_alive() or searches < 50:
            site_search.close_readers()  # open the index afresh each time, as a new worker does
            site_search.search(EVERYTHING, "concurrency")
            searches += 1
    finally:
        writer.join(120)
    assert writer.exitcode == 0 and searches >= 50
    assert site_search.search(EVERYTHING, "concurrency", per_page=400).total == 300


def test_a_site_with_nothing_indexed_yet_answers_a_search_with_no_results(app, client):
    site_search.rebuild()  # a new site: no posts, resources or events
    response = client.get("/search?q=reunification")
    assert response.status_code == 200
    assert "0 results" in response.get_data(as_text=True)
