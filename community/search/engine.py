"""The Whoosh backend of the site-wide search: reading the index (queries, facets, snippets).

Feature areas never see this module: they register sources in `community.content` and announce
changes; `apply_changes` (run by a job after commit) and `rebuild` write (`engine_index`),
`search` reads, `engine_suggest` offers "did you mean". Anything wrong with the index on disk
raises `SearchUnavailable`, which the page turns into a message.
"""
import math
from collections import Counter
from itertools import chain
from datetime import datetime
from threading import local

from flask import current_app
from markupsafe import Markup
from whoosh import highlight, qparser, sorting
from whoosh.query import And, Every, Or, Term

from .. import content
from .engine_index import (  # noqa: F401
    SCHEMA,
    apply_changes,
    index_dir,
    open_searcher,
    parse,
    rebuild,
    rebuild_job,
    request_rebuild,
    writer_lock,
)
from .engine_index import parser as _parser  # noqa: F401  (bench/search.py)
from .engine_suggest import _suggestion
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

# The writing side is imported above for `backend`, which calls either backend module alike.


def _readers_of(app=None):
    """The app's searchers, one per thread: scoped to the app, never shared by two apps."""
    return (app or current_app).extensions.setdefault("community.search.readers", local())


def _searcher():
    """This thread's searcher, reopened when the index changed or was rebuilt."""
    path = index_dir()
    try:
        inode = path.stat().st_ino
    except OSError as error:
        raise SearchUnavailable(f"no search index in {path}") from error
    cached = getattr(_readers_of(), "by_path", {}).get(str(path))
    try:
        if cached and cached[0] == inode and cached[1].up_to_date():
            searcher = cached[1]
        else:
            # A fresh searcher, not Searcher.refresh(): reused segment readers miss new deletions.
            if cached:
                cached[1].close()
            searcher = open_searcher()
        _readers_of().__dict__.setdefault("by_path", {})[str(path)] = (inode, searcher)
        return searcher
    except SearchUnavailable:
        raise
    except Exception as error:
        _readers_of().__dict__.get("by_path", {}).pop(str(path), None)
        raise SearchUnavailable(f"cannot read the search index in {path}: {error!r}") from error


def permission_filter(allowed):
    """A Whoosh query for what an `AccessFilter` allows, or None for everything (admins)."""
    if allowed.everything:
        return None
    terms = [Term("visibility", "public")]
    if allowed.members:
        terms.append(Term("visibility", "members"))
    for cluster_id in sorted(allowed.cluster_ids):
        terms.append(And([Term("visibility", "clusters"), Term("clusters", str(cluster_id))]))
    if allowed.all_counties:
        terms.append(Term("visibility", "county"))
    elif allowed.county_id is not None:
        terms.append(And([Term("visibility", "county"), Term("audience_county", str(allowed.county_id))]))
    return Or(terms)


def search(allowed, query="", filters=None, sort="relevance", page=1, per_page=10):
    """Search what `allowed` (an AccessFilter) may see.

    :param filters: {facet field: value} chosen by clicking facets; narrows results and counts.
    :raises SearchUnavailable: when the index cannot be read.
    """
    filters = {k: v for k, v in (filters or {}).items() if k in FACET_FIELDS and v}
    query = (query or "").strip()[:500]
    kind_labels = {kind: label for kind, (label, _) in content.sources().items()}
    searcher = _searcher()
    try:
        parsed = parse(query) if query else Every()
        narrowing = [Term(name, value.lower() if name != "year" else value)
                     for name, value in sorted(filters.items())]
        whole = And([parsed, *narrowing]) if narrowing else parsed
        allowed_docs = _allowed_docs(searcher, permission_filter(allowed))
        options = {"filter": _as_filter(allowed_docs)}
        if sort == "newest" or (sort == "relevance" and not query):
            options.update(sortedby="created", reverse=True)
        elif sort == "downloads":
            options.update(sortedby=[sorting.FieldFacet("downloads", reverse=True),
                                     sorting.FieldFacet("created", reverse=True)])
        page = max(1, page)
        hits = searcher.search(whole, limit=page * per_page, **options)
        hits.formatter = highlight.HtmlFormatter(tagname="mark", classname="hl", between=" … ")
        matched = set(searcher.docs_for_query(whole))
        if allowed_docs is not None:
            matched &= allowed_docs
        total = len(matched)
        results = Results(query=query, total=total, page=page, per_page=per_page,
                          pages=max(1, math.ceil(total / per_page)))
        for hit in hits[(page - 1) * per_page: page * per_page]:
            results.hits.append(_hit(hit, bool(query), kind_labels))
        counts = _all_facet_counts(searcher, matched)
        for name, heading, _ in FACETS:
            results.facets[name] = (heading, facet_values(name, counts[name], filters, kind_labels))
        if query and total <= SUGGEST_BELOW:
            results.suggestion = _suggestion(searcher, query, options["filter"])
        return results
    except SearchUnavailable:
        raise
    except qparser.QueryParserError as error:
        return Results(query=query, error=f"That search could not be read: {error}")
    except Exception as error:
        _readers_of().__dict__.get("by_path", {}).pop(str(index_dir()), None)
        raise SearchUnavailable(f"search failed on the index: {error!r}") from error


def _cache(searcher):
    """Per-searcher memo (a searcher sees one fixed version of the index)."""
    cache = getattr(searcher, "_community_cache", None)
    if cache is None:
        cache = searcher._community_cache = {}
    return cache


def _allowed_docs(searcher, allowed_query):
    """The set of document numbers a permission filter lets through (None: everything)."""
    if allowed_query is None:
        return None
    cache = _cache(searcher)
    key = ("allowed", repr(allowed_query))
    if key not in cache:
        cache[key] = set(searcher.docs_for_query(allowed_query))
    return cache[key]


def _as_filter(allowed_docs):
    """Whoosh reads an empty filter as no filter at all: a viewer allowed nothing must find nothing."""
    if allowed_docs is None or allowed_docs:
        return allowed_docs
    return {-1}


def _column_values(searcher, name):
    """(several values per document?, [value(s) of each document]) of a facet's column, read once
    per searcher (a searcher sees one fixed version of the index)."""
    cache = _cache(searcher)
    if ("facet", name) not in cache:
        reader = searcher.reader()
        several = SCHEMA[name].column_type.stores_lists()
        size = reader.doc_count_all()
        if not size:  # an empty index has no columns to read
            values = []
        else:
            column = reader.column_reader(name, translate=not several)
            values = ([tuple(v.decode("utf-8") for v in column[d]) for d in range(size)] if several
                      else [column[d] or None for d in range(size)])
        cache[("facet", name)] = (several, values)
    return cache[("facet", name)]


def _facet_counts(searcher, name, docs):
    """{value: count} of one facet over these documents, counted in one pass of `Counter` (what
    the benchmark's raw Whoosh counts two facets with; the page counts all of them at once)."""
    several, values = _column_values(searcher, name)
    found = map(values.__getitem__, docs)
    counts = Counter(chain.from_iterable(found) if several else found)
    counts.pop(None, None)
    return counts


def _all_facet_counts(searcher, docs):
    """{facet: {value: count}} of every facet over these documents, in one pass: each document's
    (facet, value) pairs are numbered once per searcher, so counting is one `Counter` over small
    integers rather than one pass per facet. Numbering costs one pass over every document's
    columns, paid by the first search of each searcher (a new one after every index change)."""
    cache = _cache(searcher)
    if "facet pairs" not in cache:
        numbers, per_doc = {}, []
        columns = [(name, *_column_values(searcher, name)) for name, _, _ in FACETS]
        size = searcher.reader().doc_count_all()
        for d in range(size):
            mine = []
            for name, several, values in columns:
                for value in (values[d] if several else (values[d],)):
                    if value is not None:
                        mine.append(numbers.setdefault((name, value), len(numbers)))
            per_doc.append(tuple(mine))
        cache["facet pairs"] = (per_doc, list(numbers))
    per_doc, pairs = cache["facet pairs"]
    counts = {name: {} for name, _, _ in FACETS}
    for number, count in Counter(chain.from_iterable(map(per_doc.__getitem__, docs))).items():
        name, value = pairs[number]
        counts[name][value] = count
    return counts


def _hit(hit, with_snippet, kind_labels):
    fields = hit.fields()
    snippet = ""
    if with_snippet:
        # Whole titles; a few short passages of the text.
        hit.results.fragmenter = highlight.WholeFragmenter()
        title = hit.highlights("title", top=1) or Markup.escape(fields["title"])
        hit.results.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=70)
        snippet = hit.highlights("content", text=fields.get("snippet_source") or "", top=2)
    else:
        title = Markup.escape(fields["title"])
    meta = [facet_label(name, fields.get(name), kind_labels)
            for name in ("type", "county", "year") if fields.get(name)]
    created = datetime.fromtimestamp(fields["created"]) if fields.get("created") else None
    return Hit(kind=fields["kind"], kind_label=kind_labels.get(fields["kind"], fields["kind"]),
               title=Markup(title), url=fields["url"],
               snippet=Markup(snippet) if snippet else Markup.escape(fields.get("summary", "")[:300]),
               created=created, meta=meta, downloads=fields.get("downloads") or 0, ref=fields.get("ref", ""))


def close_readers():
    for _, searcher in getattr(_readers_of(), "by_path", {}).values():
        searcher.close()
    _readers_of().__dict__["by_path"] = {}
