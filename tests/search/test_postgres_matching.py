"""PostgreSQL matching: the shortcut for phrases and title terms finds exactly what matching the
whole `tsv` finds.

Phrases, multi-part prefixes and title terms are found through their loose form (the same words
anywhere, which the GIN index answers without reading rows) and then checked on the short
`rank_tsv` before the whole `tsv` (`postgres_query._match`). That is only right if `rank_tsv` is a
part of `tsv` at the same positions; these tests compare both ways of matching on documents whose
phrases fall before, across and after the part `rank_tsv` holds.
"""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from community import content
from community.caching import kept
from community.extensions import db
from community.permissions import AccessFilter
from community.search import postgres, postgres_index
from community.search.models import SearchDocument
from community.search.postgres_query import QueryError, compile_query

from .conftest import NoteSource

WORDS = ["shared", "release", "information", "family", "plan", "fiscal", "team", "co-location",
         "welfare-to-work", "reunification", "timelines", "of", "the", "joint", "case"]
FILLER = ["meets", "weekly", "with", "staff", "county", "parents", "review", "agreed"]


@pytest.fixture
def pg_app(app_factory, backend):
    if backend != "postgresql":
        pytest.skip("the PostgreSQL search backend needs PostgreSQL")
    application = app_factory(SEARCH_BACKEND="postgres")
    with application.app_context():
        yield application


@pytest.fixture
def documents(pg_app):
    """Forty notes of 800–1,400 characters, so the same phrase lies before, across and after the
    first RANK_TEXT_CHARS in different documents; titles from the same words; four visibilities."""
    rng = random.Random(13)
    source = NoteSource()
    for ident in range(40):
        words, text = [], ""
        while len(text) < rng.randint(800, 1400):
            words.append(rng.choice(WORDS if rng.random() < 0.6 else FILLER))
            text = " ".join(words)
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5)))
        # Seen by everyone, by members, by cluster 3's or cluster 7's members (matching ignores it).
        visibility, clusters = [("public", ()), ("members", ()), ("clusters", (3,)), ("clusters", (7,))][ident % 4]
        source.add(ident, title, text, visibility=visibility, clusters=clusters,
                   county=rng.choice(["Fresno", "Kern"]))
    content.register_source(pg_app, "note", "Field notes", source.fetch)
    postgres_index.rebuild()
    return source


def _found(query, shortcut):
    try:
        condition = compile_query(query, shortcut=shortcut).condition
    except QueryError as error:
        return f"unreadable: {error}"
    return set(db.session.scalars(select(SearchDocument.ref).where(condition)))


_word = st.sampled_from(WORDS + FILLER)
#: Anything a person may type (control characters never reach a search: `inputs` removes them).
_typed = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=10)
_atom = st.one_of(
    _word,
    _word.map(lambda w: w[: max(2, len(w) // 2)] + "*"),
    st.lists(_word, min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
    _word.map(lambda w: f"title:{w}"),
    st.lists(_word, min_size=2, max_size=3).map(lambda ws: 'title:"' + " ".join(ws) + '"'),
    st.lists(_word, min_size=2, max_size=3).map(lambda ws: 'content:"' + " ".join(ws) + '"'),
    st.sampled_from(["county:fresno", "county:kern", "co-loc*", "welfare-to*"]),
    _typed,
    st.lists(st.one_of(_word, _typed), min_size=2, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
    _typed.map(lambda w: f"title:{w}*"),
)
_query = st.recursive(
    _atom,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" ", " AND ", " OR "]), inner).map("".join),
        inner.map(lambda q: f"NOT {q}"),
        inner.map(lambda q: f"({q})"),
    ),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_query)
def test_the_shortcut_finds_what_matching_the_whole_text_finds(documents, query):
    assert _found(query, shortcut=True) == _found(query, shortcut=False)


@pytest.mark.parametrize("query", ['"shared release"', "co-loc*", 'title:"joint plan"', "title:fiscal", 'title:"co-location case"',
                                   '"joint case" AND NOT "shared release"', '"the family" OR title:"family plan"'])
def test_phrases_and_title_terms_are_found_before_across_and_after_the_ranked_part(documents, query):
    found = _found(query, shortcut=True)
    assert found == _found(query, shortcut=False)
    assert found, "the corpus holds each of these"


def test_a_word_cut_at_the_end_of_the_ranked_part_is_left_out_of_it(pg_app):
    """A phrase must not be found in `rank_tsv` through half a word: "releasexyz" cut after
    "release" would read as "shared release"."""
    source = NoteSource()
    start = postgres_index.RANK_TEXT_CHARS - len("shared release")
    text = ("staff meet " * 100)[:start - 1] + " " + "shared releasexyz of the records; their release was shared"
    assert text[start:postgres_index.RANK_TEXT_CHARS] == "shared release"
    source.add(1, "Records", text)
    content.register_source(pg_app, "note", "Field notes", source.fetch)
    postgres_index.rebuild()
    assert _found('"shared release"', shortcut=True) == set()
    assert _found('"shared releasexyz"', shortcut=True) == {"1"}


def _search_refs(query, allowed, filters=None, page=1):
    kept("search.results").clear()  # each search runs its statement
    found = postgres.search(allowed, query, filters or {}, "relevance", page, 5)
    return found.error or ([hit.ref for hit in found.hits], found.total,
                           {name: [(v.value, v.count) for v in values] for name, (_, values) in found.facets.items()})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_query, second=_query, same=st.booleans(), county=st.sampled_from(["", "fresno", "kern"]),
       page=st.integers(1, 3), members=st.booleans(), clusters=st.sampled_from([(), (3,), (3, 7)]))
def test_a_statement_kept_for_one_search_answers_another_of_its_shape_with_its_own_values(
        documents, first, second, same, county, page, members, clusters):
    """The search statement is built once per shape (`postgres._statement_for`) and run with each
    search's values: whatever was asked before, and by whom, a search answers as if its statement
    were new."""
    second = first if same else second
    allowed = AccessFilter(everything=False, members=members, cluster_ids=frozenset(clusters))
    other = AccessFilter(everything=False, members=not members, cluster_ids=frozenset({3, 7} - set(clusters)))
    filters = {"county": county} if county else {}
    kept("search.statements").clear()
    fresh = _search_refs(second, allowed, filters, page)
    kept("search.statements").clear()
    _search_refs(first, other, filters, page)
    _search_refs(first, allowed, {"county": "kern"} if county != "kern" else {}, page + 1)
    assert _search_refs(second, allowed, filters, page) == fresh


def test_searches_of_one_shape_share_one_statement(documents):
    allowed = AccessFilter(everything=False, members=True, cluster_ids=frozenset({3, 5}), county_id=2)
    kept("search.statements").clear()
    for query in ("shared release", "fiscal plan", "joint case"):
        postgres.search(allowed, query, {"county": "kern"}, "relevance", 1, 5)
    assert len(kept("search.statements")) == 1
    postgres.search(allowed, '"fiscal plan"', {"county": "kern"}, "relevance", 1, 5)
    postgres.search(allowed, "fiscal plan", {}, "relevance", 1, 5)
    assert len(kept("search.statements")) == 3


def test_a_search_run_again_and_again_is_planned_for_its_own_words(documents):
    """psycopg prepares a statement it has run five times on a connection, and PostgreSQL then
    offers a generic plan, made without knowing how many documents the words match (a third
    slower on the benchmark's corpus). The search's statement is planned for each search's words
    however often it runs; the transaction's planner settings are as usual afterwards."""
    from sqlalchemy import text

    raw = db.session.connection().connection.dbapi_connection
    assert raw.prepare_threshold is not None  # the driver prepares repeated statements
    allowed = AccessFilter(everything=False, members=True, cluster_ids=frozenset({3}))
    for query in ["shared release", "fiscal plan", "joint case", "family team"] * 3:
        _search_refs(query, allowed)
    plans = db.session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%ts_headline%'")).all()
    assert plans and all(generic == 0 and custom > 0 for generic, custom in plans), plans
    assert db.session.execute(text("SELECT current_setting('plan_cache_mode'), "
                                   "current_setting('enable_seqscan')")).one() == ("auto", "on")


def _plan_of_search(query, allowed, filters=None):
    """The plan PostgreSQL makes for the statement a search runs (its own values, as the search
    plans it: `postgres._PLAN_FOR_THESE_WORDS`)."""
    from sqlalchemy import event

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "ts_headline" in statement:
            seen.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert _search_refs(query, allowed, filters)[1] > 0
    finally:
        event.remove(engine, "before_cursor_execute", record)
    statement, parameters = seen[-1]
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
    cursor.execute("EXPLAIN " + statement, parameters)
    return "\n".join(row[0] for row in cursor.fetchall())


def test_a_visitors_search_matches_through_the_index_of_public_documents(documents):
    """A visitor may see public documents only: their words are matched through the partial
    index of those (migration 0025), not by reading every matching row to drop the others."""
    visitor = AccessFilter(everything=False, members=False, cluster_ids=frozenset())
    plan = _plan_of_search("shared release", visitor)
    assert "ix_search_documents_public_tsv" in plan, plan


def test_a_county_chosen_among_the_facets_is_found_through_its_index(documents):
    """A county facet's rows are found through their index (migration 0025), alone or ANDed
    with the words' (on the benchmark's corpus: 280 pages read instead of 2,234), not by reading
    every row matching the words."""
    member = AccessFilter(everything=False, members=True, cluster_ids=frozenset({3}))
    plan = _plan_of_search("shared release", member, {"county": "kern"})
    assert "ix_search_documents_county" in plan, plan
