"""The search backend on PostgreSQL full-text search, shared by every node of a deployment.

The second backend of the one search interface (the first is the Whoosh index in `engine`): the
same sources, the same after-commit announcements, the same query language and the same
`Results`. Documents live in `search_documents` with a weighted `tsvector` (title A, summary and
tags B, text C) under a GIN index; the permission filter, the facets, the ranking, the snippets
(`ts_headline` over a stored first part of the text) and "did you mean" (pg_trgm over
`search_words`) are all SQL, so nothing a viewer may not see leaves the database.

This module reads; `postgres_index` writes, `postgres_query` compiles the query language and
`postgres_suggest` offers "did you mean".
"""
import math
from dataclasses import replace
from datetime import datetime

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import (
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import SQLAlchemyError

from .. import content
from ..caching import remember
from ..extensions import db
from .models import SearchDocument, SearchIndexState, SearchText, SearchVersion
from .postgres_index import (  # noqa: F401
    LOCK_KEY,
    apply_changes,
    forget,
    rebuild,
    rebuild_job,
    request_rebuild,
    writer_lock,
)
from .postgres_query import (
    _LIST_FIELDS,
    _SCALAR_FIELDS,
    LANGUAGE,
    QueryError,
    _Compiled,
    compile_query,
)
from .postgres_suggest import _suggestion
from .results import (  # noqa: F401
    FACET_FIELDS,
    FACETS,
    SORTS,
    SUGGEST_BELOW,
    Hit,
    IndexBusy,
    Results,
    SearchUnavailable,
    facet_label,
    facet_values,
)

_docs = SearchDocument.__table__
_texts = SearchText.__table__
_state = SearchIndexState.__table__
_version = SearchVersion.__table__

# Highlight markers: control characters that stored text never contains (they are stripped).
_START, _STOP, _LT, _GT = "\x02", "\x03", "\x04", "\x05"
_SNIPPET_OPTIONS = (f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, ShortWord=2, "
                    'MaxFragments=2, FragmentDelimiter=" … "')
_TITLE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"
#: Facets with one value per document, and with a list of values, by their column (the query
#: language's fields that are facets: not tags).
_SCALAR_FACETS = tuple((name, column) for name, column in _SCALAR_FIELDS.items() if name in FACET_FIELDS)
_LIST_FACETS = tuple((name, column) for name, column in _LIST_FIELDS.items() if name in FACET_FIELDS)


def permission_filter(allowed):
    """The SQL condition for what an `AccessFilter` allows, or None for everything (admins).

    Its values are bound by name (`_permission_values`), so its form depends only on
    `_permission_shape(allowed)`."""
    if allowed.everything:
        return None
    values = _permission_values(allowed)
    parts = [_docs.c.visibility == "public"]
    if allowed.members:
        parts.append(_docs.c.visibility == "members")
    if allowed.cluster_ids:
        parts.append(and_(_docs.c.visibility == "clusters", _docs.c.cluster_ids.op("&&")(
            bindparam("p_clusters", values["p_clusters"], type_=_docs.c.cluster_ids.type))))
    if allowed.all_counties:
        parts.append(_docs.c.visibility == "county")
    elif allowed.county_id is not None:
        parts.append(and_(_docs.c.visibility == "county",
                          _docs.c.audience_county_id == bindparam("p_county", values["p_county"])))
    return or_(*parts)


def _permission_shape(allowed):
    return (allowed.everything, allowed.members, bool(allowed.cluster_ids), allowed.all_counties,
            allowed.county_id is not None)


def _permission_values(allowed):
    return {"p_clusters": sorted(allowed.cluster_ids), "p_county": allowed.county_id}


def _filter_conditions(filters):
    """The facet filters' conditions, their values bound by name (`_filter_values`)."""
    values = _filter_values(filters)
    conditions = []
    for name in sorted(filters):
        if name in _SCALAR_FIELDS:
            conditions.append(_docs.c[_SCALAR_FIELDS[name]] == bindparam(f"f_{name}", values[f"f_{name}"]))
        elif name in _LIST_FIELDS:
            conditions.append(bindparam(f"f_{name}", values[f"f_{name}"]).op("=")(
                func.any(_docs.c[_LIST_FIELDS[name]])))
    return conditions


def _filter_values(filters):
    return {f"f_{name}": value if name == "year" else value.lower() for name, value in filters.items()
            if name in _SCALAR_FIELDS or name in _LIST_FIELDS}


def _headline(column, query, options):
    return func.ts_headline(LANGUAGE, func.translate(column, "<>", _LT + _GT), query, options)


def _marked(value):
    """ts_headline output, escaped, with its markers turned into <mark> and the angle brackets back."""
    html = str(escape(value or ""))
    html = html.replace(_START, '<mark class="hl">').replace(_STOP, "</mark>")
    return Markup(html.replace(_LT, "&lt;").replace(_GT, "&gt;"))


def _one_pass(statement, values):
    """Facet counts over every match and the page of hits, from one scan of the matches
    (`_statement`, run with `values`).

    Returns ({facet: {value: count}}, [hit rows]); what a hit shows (`search_texts`) and its
    snippets are read for the page's rows only.
    """
    facet_rows, hit_rows = db.session.execute(statement, values).one()
    counts = {name: {} for name, _, _ in FACETS}
    for name, value, count in facet_rows or []:
        counts[name][value] = count
    for hit in hit_rows or []:
        hit["created"] = datetime.fromisoformat(hit["created"]) if hit["created"] else None
    return counts, hit_rows or []


def _statement(where, compiled, sort, query, per_page):
    """The one statement `_one_pass` runs: the matches materialized once, counted into the facets
    and sorted for the page, whose rows alone are joined to `search_texts` and highlighted.
    The page's first row is the parameter `p_offset`."""
    ranked = compiled.ranking is not None and sort == "relevance"
    rank = func.ts_rank(_docs.c.rank_tsv, compiled.ranking) if ranked else literal(0.0)
    matches = (select(_docs.c.kind, _docs.c.ref, _docs.c.doc_type, _docs.c.county, _docs.c.program,
                      _docs.c.year, _docs.c.areas, _docs.c.strategies, _docs.c.created, _docs.c.downloads,
                      rank.label("rank"))
               .where(*where).cte("matches").prefix_with("MATERIALIZED"))
    # The five one-value facets in one grouping of the matches, the two lists in another.
    grouped = [(name, matches.c[column]) for name, column in _SCALAR_FACETS]
    scalars = select(case(*[(func.grouping(column) == 0, literal(name)) for name, column in grouped]).label("name"),
                     case(*[(func.grouping(column) == 0, column) for _, column in grouped]).label("value"),
                     func.count().label("count")
                     ).group_by(func.grouping_sets(*[column for _, column in grouped]))
    listed = union_all(*[select(literal(name).label("name"), func.unnest(matches.c[column]).label("value"))
                         for name, column in _LIST_FACETS]).subquery("listed")
    lists = select(listed.c.name, listed.c.value, func.count()).group_by(listed.c.name, listed.c.value)
    counted = union_all(scalars, lists).subquery("counted")
    facets = select(func.json_agg(func.json_build_array(counted.c.name, counted.c.value, counted.c.count))
                    ).scalar_subquery()

    def order_of(rows):
        if sort == "downloads":
            order = [rows.c.downloads.desc(), rows.c.created.desc()]
        elif ranked:
            order = [rows.c.rank.desc(), rows.c.created.desc()]
        else:
            order = [rows.c.created.desc()]
        return order + [rows.c.kind, rows.c.ref]

    shown = (select(matches.c.kind, matches.c.ref, matches.c.rank, matches.c.created, matches.c.downloads,
                    matches.c.county, matches.c.doc_type, matches.c.year)
             .order_by(*order_of(matches)).limit(per_page).offset(bindparam("p_offset", 0))
             .subquery("shown"))
    if query and compiled.ranking is not None:
        snippet = _headline(_texts.c.snippet_source, compiled.ranking, _SNIPPET_OPTIONS)
        title = _headline(_texts.c.title, compiled.ranking, _TITLE_OPTIONS)
    else:
        snippet, title = literal("", Text), cast(null(), Text)
    fields = {"kind": shown.c.kind, "ref": shown.c.ref, "url": _texts.c.url, "title": _texts.c.title,
              "summary": _texts.c.summary, "created": shown.c.created, "downloads": shown.c.downloads,
              "county": shown.c.county, "doc_type": shown.c.doc_type, "year": shown.c.year,
              "title_marked": title, "snippet_marked": snippet}
    row = func.json_build_object(*[part for key, value in fields.items() for part in (literal(key, Text), value)])
    hits = (select(func.json_agg(aggregate_order_by(row, *order_of(shown))))
            .select_from(shown.join(_texts, and_(_texts.c.kind == shown.c.kind, _texts.c.ref == shown.c.ref)))
            .scalar_subquery())
    return select(facets, hits)


def _hit(row, with_snippet, kind_labels):
    snippet = row["snippet_marked"] if with_snippet else ""
    title = _marked(row["title_marked"]) if row["title_marked"] else escape(row["title"])
    meta = [facet_label(name, row[column], kind_labels)
            for name, column in (("type", "doc_type"), ("county", "county"), ("year", "year")) if row[column]]
    return Hit(kind=row["kind"], kind_label=kind_labels.get(row["kind"], row["kind"]), title=Markup(title),
               url=row["url"],
               snippet=_marked(snippet) if snippet and _START in snippet else escape((row["summary"] or "")[:300]),
               created=row["created"], meta=meta, downloads=row["downloads"] or 0, ref=row["ref"])


#: Searches kept per process (a page of results with its facets is a few kB).
KEPT_RESULTS = 500
#: Search statements kept per process, one per shape of search (`_statement_for`).
KEPT_STATEMENTS = 256
#: The search tables' version; with whether the documents were ever built, in one statement.
_VERSION = select(_version.c.version).where(_version.c.id == 1)
_STATE = select(_state.c.built_at, _VERSION.scalar_subquery()).where(_state.c.id == 1)
#: The planner's settings for a search's statement (for this transaction), and back.
_PLAN_FOR_THESE_WORDS = select(func.set_config("enable_seqscan", "off", True),
                               func.set_config("plan_cache_mode", "force_custom_plan", True))
_PLAN_AS_USUAL = select(func.set_config("enable_seqscan", "on", True),
                        func.set_config("plan_cache_mode", "auto", True))


def search(allowed, query="", filters=None, sort="relevance", page=1, per_page=10):
    """Search what `allowed` (an AccessFilter) may see; the same contract as `engine.search`.

    The results are kept per app (`caching.remember`) under the search tables' version (renumbered
    by database triggers on every write to them, by any process or machine), what the viewer may
    see and the whole request; each caller gets its own copy of the kept results.

    :raises SearchUnavailable: when the search tables cannot be read or were never filled.
    """
    filters = {k: v for k, v in (filters or {}).items() if k in FACET_FIELDS and v}
    query = (query or "").strip()[:500]
    page = max(1, page)
    try:
        built, version = db.session.execute(_STATE).one_or_none() or (None, None)
    except SQLAlchemyError as error:
        db.session.rollback()
        raise SearchUnavailable(f"search failed on PostgreSQL: {error!r}") from error
    if built is None:
        raise SearchUnavailable("the search documents were never built")
    if version is None or not current_app.config["SEARCH_KEEP_RESULTS"]:
        return _search(allowed, query, filters, sort, page, per_page)
    # The whole (frozen) filter: whatever it learns to hold is part of the key.
    key = (version, allowed, query, tuple(sorted(filters.items())), sort, page, per_page)
    found = remember("search.results", key, lambda: _search(allowed, query, filters, sort, page, per_page),
                     KEPT_RESULTS, still=lambda: _version_now() == version)
    return replace(found, hits=[replace(hit) for hit in found.hits])


def _version_now():
    """The version again after a search was run: a write committed between the first reading
    and the search's own statements would otherwise be kept under the older number."""
    return db.session.scalar(_VERSION)


def _search(allowed, query, filters, sort, page, per_page):
    kind_labels = {kind: label for kind, (label, _) in content.sources().items()}
    try:
        compiled = compile_query(query) if query else _Compiled(None, None)
    except QueryError as error:
        return Results(query=query, error=f"That search could not be read: {error}")
    if sort == "relevance" and not query:
        sort = "newest"
    statement = _statement_for(allowed, compiled, filters, sort, query, per_page)
    values = {**compiled.values, **_permission_values(allowed), **_filter_values(filters),
              "p_offset": (page - 1) * per_page}
    try:
        # Matching goes through the GIN index, never a scan that unpacks every row's tsvector
        # (the planner does not know how costly that is when a query matches a third of them);
        # and the statement is planned for this search's words: a driver that prepares a
        # statement it has run five times (psycopg) would otherwise be given PostgreSQL's
        # generic plan, made without knowing how many documents the words match, and a third
        # slower (docs/performance.md, "Eleventh round").
        if compiled.ranking is not None:
            db.session.execute(_PLAN_FOR_THESE_WORDS)
        counts, rows = _one_pass(statement, values)
        total = sum(counts["kind"].values())
        results = Results(query=query, total=total, page=page, per_page=per_page,
                          pages=max(1, math.ceil(total / per_page)))
        for row in rows:
            results.hits.append(_hit(row, bool(query), kind_labels))
        for name, heading, _ in FACETS:
            results.facets[name] = (heading, facet_values(name, counts[name], filters, kind_labels))
        if query and total <= SUGGEST_BELOW:
            results.suggestion = _suggestion(query, permission_filter(allowed))
        if compiled.ranking is not None:
            db.session.execute(_PLAN_AS_USUAL)
        return results
    except SQLAlchemyError as error:
        db.session.rollback()
        raise SearchUnavailable(f"search failed on PostgreSQL: {error!r}") from error


def _statement_for(allowed, compiled, filters, sort, query, per_page):
    """The search statement for this shape of search, built once per app and shape: two searches
    whose conditions differ only in their bound values (the query's words, the viewer's clusters
    and county, the facets chosen, the page) share one statement, run with their own values.
    Building it (and its cache key) was a quarter of a new search's Python."""
    def build():
        # The text condition last: of conditions that cost the same, PostgreSQL checks the first first.
        where = [c for c in (*_filter_conditions(filters), permission_filter(allowed), compiled.condition)
                 if c is not None]
        return _statement(where, compiled, sort, query, per_page)

    shape = [_shape_of(compiled.condition), _shape_of(compiled.ranking)]
    if None in shape:  # an expression SQLAlchemy cannot key: built for this search alone
        return build()
    key = (*shape, _permission_shape(allowed), tuple(sorted(filters)), sort, bool(query), per_page)
    return remember("search.statements", key, build, KEPT_STATEMENTS)


def _shape_of(expression):
    """What SQLAlchemy's statement cache knows an expression by: its form, without the values of
    its parameters (those of a compiled query are named by place: `postgres_query`). "none" for
    no expression; None when it cannot be keyed."""
    if expression is None:
        return "none"
    key = expression._generate_cache_key()
    return None if key is None else key.key


def close_readers():
    """Nothing to close: readers are database sessions."""
