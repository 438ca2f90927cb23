"""The PostgreSQL backend keeps each search's results under the search tables' version.

A repeated search reads one row; any write to the documents or the word list — through the
index, in plain SQL from another connection, or in a transaction that rolls back — is seen at
the next search; what one viewer may see is never answered to another.
"""
import pytest
from sqlalchemy import create_engine, text

from community.extensions import db
from community.permissions import AccessFilter
from community.search import backend
from tests.support.queries import count_queries

VISITOR = AccessFilter(everything=False, members=False, cluster_ids=frozenset())
CLUSTER_SEVEN = AccessFilter(everything=False, members=True, cluster_ids=frozenset({7}))


@pytest.fixture
def indexed(app, notes, search_backend):
    if search_backend != "postgres":
        pytest.skip("results are kept only by the PostgreSQL backend")
    notes.add(1, "Shared release of information", "The shared release lets both workers plan.")
    notes.add(2, "Release timelines in Fresno", "Reunification timelines and the release form.",
              visibility="clusters", clusters=[7])
    backend.rebuild()
    db.session.commit()
    return notes


def _commit_elsewhere(app, statement):
    """Run `statement` on a connection of its own and commit it, as another node would."""
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as connection:
            connection.execute(text(statement))
    finally:
        other.dispose()


def _titles(found):
    return sorted(str(hit.title) for hit in found.hits)


def test_a_repeated_search_reads_one_row_and_each_caller_gets_its_own_copy(app, indexed):
    first = backend.search(VISITOR, "release")
    with count_queries(app) as statements:
        again = backend.search(VISITOR, "release", reread=False)
    assert len(statements) == 1 and "search_version" in statements[0]
    assert _titles(again) == _titles(first) and again.total == first.total == 1
    again.hits[0].title = "changed by a caller"
    again.hits.clear()
    assert _titles(backend.search(VISITOR, "release", reread=False)) == _titles(first)


def test_what_one_viewer_may_see_is_never_answered_to_another(app, indexed):
    member = backend.search(CLUSTER_SEVEN, "release")
    assert member.total == 2
    visitor = backend.search(VISITOR, "release")
    assert visitor.total == 1 and "Fresno" not in " ".join(_titles(visitor))
    assert visitor.facets["kind"][1][0].count == 1


def test_a_change_through_the_index_shows_at_the_next_search(app, indexed):
    assert backend.search(VISITOR, "timelines").total == 0
    indexed.add(3, "Timelines for teen parents", "Plan timelines together.")
    backend.apply_changes("note", ["3"])
    assert _titles(backend.search(VISITOR, "timelines")) == ["<mark class=\"hl\">Timelines</mark> for teen parents"]
    del indexed.docs["3"]
    backend.apply_changes("note", ["3"], removed=True)
    assert backend.search(VISITOR, "timelines").total == 0


def test_a_write_in_plain_sql_on_another_connection_shows_at_the_next_search(app, indexed):
    assert backend.search(VISITOR, "release").total == 1
    _commit_elsewhere(app, "UPDATE search_documents SET visibility = 'members' WHERE ref = '1'")
    db.session.commit()  # a new transaction, as the next request would have
    assert backend.search(VISITOR, "release").total == 0


def test_results_read_inside_a_transaction_that_rolls_back_are_never_answered_later(app, indexed):
    """A write takes a new number from a sequence; rolled back, that number is never given out
    again, so what was kept under it (the transaction's own view) cannot come back."""
    backend.on_content_narrowing("note", ["1"])  # drops the document in this transaction
    assert backend.search(VISITOR, "release", reread=False).total == 0
    db.session.rollback()
    indexed.add(4, "Co-location in Stanislaus", "Workers share an office.")
    backend.apply_changes("note", ["4"])  # another write commits: a new number
    assert backend.search(VISITOR, "release", reread=False).total == 1


def test_turned_off_every_search_runs_in_full(app, indexed):
    app.config["SEARCH_KEEP_RESULTS"] = False
    backend.search(VISITOR, "release")
    with count_queries(app) as statements:
        assert backend.search(VISITOR, "release", reread=False).total == 1
    assert any("search_documents" in statement for statement in statements)


def test_results_built_while_another_connection_commits_are_not_kept_under_the_older_number(
        app, indexed, monkeypatch):
    """The version is read, then the search runs in statements of its own: a write committed in
    between is in the results, which therefore must not be kept under the number read first."""
    from community import caching
    from community.search import postgres

    search_in_full = postgres._search

    def another_node_commits_meanwhile(*args):
        _commit_elsewhere(app, "UPDATE search_documents SET downloads = downloads + 1 WHERE ref = '1'")
        return search_in_full(*args)

    monkeypatch.setattr(postgres, "_search", another_node_commits_meanwhile)
    before = db.session.scalar(text("SELECT version FROM search_version WHERE id = 1"))
    assert backend.search(VISITOR, "release", reread=False).total == 1
    assert not [key for key in caching.kept("search.results") if key[0] == before]
