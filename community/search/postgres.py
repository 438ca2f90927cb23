"""The search backend on PostgreSQL full-text search, shared by every node of a deployment.

The second backend of the one search interface (the first is the Whoosh index in `engine`): the
same sources, the same after-commit announcements, the same query language and the same
`Results`. Documents live in `search_documents` with a weighted `tsvector` (title A, summary and
tags B, text C) under a GIN index; the permission filter, the facets, the ranking, the snippets
(`ts_headline` over a stored first part of the text) and "did you mean" (pg_trgm over
`search_words`) are all SQL, so nothing a viewer may not see leaves the database.

User input never becomes SQL or tsquery syntax: every word goes in as a bound parameter to
`plainto_tsquery`/`phraseto_tsquery`, and the only tsquery text built here (prefixes, title
terms) is made of letters and digits joined by operators written in this module.

Writers take one transaction-level advisory lock and read the source inside it, so the last
writer indexes the latest committed state, as the Whoosh writer lock does.
"""
import logging
import math
import re
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import (Text, and_, cast, exists, false, func, literal, literal_column, not_, null, or_,
                        select, text, true, union_all)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..vocabulary import ACRONYMS
from .. import content
from ..extensions import db
from ..timeutil import utcnow
from .engine import (FACET_FIELDS, FACETS, SORTS, SUGGEST_BELOW, FacetValue, Hit,  # noqa: F401
                     IndexBusy, Results, SearchUnavailable, facet_label)
from .models import SearchDocument, SearchIndexState, SearchWord

log = logging.getLogger(__name__)

#: The text search configuration (stemming, stop words) for documents and queries alike.
LANGUAGE = literal_column("'english'::regconfig")
#: For prefixes: lower-cased, not stemmed.
_PLAIN = literal_column("'simple'::regconfig")
#: Key of the advisory lock every writer of the search tables holds ("search" in ASCII).
LOCK_KEY = 0x736561726368
#: Rows written per statement in a rebuild.
BATCH = 500
#: A query with more terms than this is refused as unreadable (it would only be slow).
MAX_TERMS = 64
#: Characters of the text that count towards ranking (all of it counts towards matching).
RANK_TEXT_CHARS = 500
#: Characters of the text kept for snippets (`ts_headline` reads only these).
SNIPPET_CHARS = 1500
#: Words shorter than this are never corrected: acronyms (SSN, WIC, ACL, TDM …) are short.
SUGGEST_MIN_LENGTH = 4

_docs = SearchDocument.__table__
_words = SearchWord.__table__
_state = SearchIndexState.__table__

# Highlight markers: control characters that stored text never contains (they are stripped).
_START, _STOP, _LT, _GT = "\x02", "\x03", "\x04", "\x05"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ANGLES = str.maketrans("<>", "  ")
_SNIPPET_OPTIONS = (f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, ShortWord=2, "
                    'MaxFragments=2, FragmentDelimiter=" … "')
_TITLE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"
#: Words for the suggestion vocabulary.
_WORD = re.compile(r"[^\W\d_]{3,40}")
#: The pieces of a word that may go into tsquery text: letters and digits only.
_PIECE = re.compile(r"[^\W_]+")


# -- writing -----------------------------------------------------------------------------------

@contextmanager
def writer_lock(timeout=None):
    """Hold the one advisory lock of search writers until the transaction ends; IndexBusy after
    `timeout` seconds (SEARCH_LOCK_TIMEOUT)."""
    timeout = current_app.config.get("SEARCH_LOCK_TIMEOUT", 30) if timeout is None else timeout
    session = db.session
    session.execute(select(func.set_config("lock_timeout", f"{max(1, int(timeout * 1000))}ms", True)))
    try:
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    except DBAPIError as error:
        session.rollback()
        raise IndexBusy(f"the search writer lock was held for {timeout}s") from error
    session.execute(select(func.set_config("lock_timeout", "0", True)))
    yield


def _clean(value, limit=None):
    value = _CONTROL.sub(" ", value or "")
    return value[:limit] if limit else value


def _row(doc: content.SearchDocument):
    facets = doc.facets or {}
    tags = [t.strip().lower() for t in facets.get("tags", []) if t and t.strip()]
    when = doc.created_at or doc.updated_at or datetime(2000, 1, 1)
    text_ = _clean(doc.text)
    return {
        "kind": doc.kind, "ref": str(doc.id), "url": doc.url, "title": _clean(doc.title),
        "summary": _clean(doc.summary), "snippet_source": text_[:SNIPPET_CHARS],
        "visibility": doc.visibility, "cluster_ids": sorted(int(c) for c in doc.cluster_ids),
        "audience_county_id": doc.county_id,
        "created": when, "downloads": int(doc.downloads or 0),
        "county": (facets.get("county") or "").lower().replace(" ", "-"),
        "doc_type": (facets.get("doc_type") or "").lower(),
        "program": (facets.get("program") or "").lower(),
        "year": str(facets.get("year") or ""),
        "areas": [a.lower() for a in facets.get("toolkit_area") or []],
        "strategies": [s.lower() for s in facets.get("strategy") or []],
        "tags": tags,
        # PostgreSQL's parser drops <tag>-like text; Whoosh indexes the words inside: so do we.
        "title_words": _words_only(doc.title),
        "described": _words_only("\n".join([doc.summary or "", " ".join(tags)])),
        "body": _words_only(text_),
        "body_start": _words_only(text_[:RANK_TEXT_CHARS]),
    }


def _words_only(value):
    return _clean(value).translate(_ANGLES)


_UPSERT = text("""
INSERT INTO search_documents (kind, ref, url, title, summary, snippet_source, visibility, cluster_ids,
    audience_county_id, created, downloads, county, doc_type, program, year, areas, strategies, tags, tsv, rank_tsv)
VALUES (:kind, :ref, :url, :title, :summary, :snippet_source, :visibility,
    CAST(:cluster_ids AS integer[]), :audience_county_id, :created, :downloads, :county, :doc_type, :program, :year,
    CAST(:areas AS text[]), CAST(:strategies AS text[]), CAST(:tags AS text[]),
    setweight(to_tsvector('english', :title_words), 'A')
    || setweight(to_tsvector('english', :described), 'B')
    || setweight(to_tsvector('english', :body), 'C'),
    setweight(to_tsvector('english', :title_words), 'A')
    || setweight(to_tsvector('english', :described), 'B')
    || setweight(to_tsvector('english', :body_start), 'C'))
ON CONFLICT (kind, ref) DO UPDATE SET url = excluded.url, title = excluded.title,
    summary = excluded.summary, snippet_source = excluded.snippet_source,
    visibility = excluded.visibility, cluster_ids = excluded.cluster_ids,
    audience_county_id = excluded.audience_county_id, created = excluded.created,
    downloads = excluded.downloads, county = excluded.county, doc_type = excluded.doc_type,
    program = excluded.program, year = excluded.year, areas = excluded.areas,
    strategies = excluded.strategies, tags = excluded.tags, tsv = excluded.tsv,
    rank_tsv = excluded.rank_tsv
""")
_ADD_WORDS = text("""
INSERT INTO search_words (word)
SELECT word FROM unnest(CAST(:words AS text[])) AS word ORDER BY word
ON CONFLICT DO NOTHING
""")


def _write(docs):
    """Insert or replace these documents, and add their words to the vocabulary."""
    rows = [_row(doc) for doc in docs]
    if not rows:
        return 0
    db.session.execute(_UPSERT, rows)
    words = set()
    for row in rows:
        words.update(_WORD.findall(" ".join((row["title_words"], row["described"], row["body"])).lower()))
    if words:
        db.session.execute(_ADD_WORDS, {"words": sorted(words)})
    return len(rows)


def _built():
    return db.session.scalar(select(_state.c.built_at).where(_state.c.id == 1)) is not None


_PRUNE_WORDS = text("""
DELETE FROM search_words AS w
WHERE NOT EXISTS (SELECT 1 FROM search_documents AS d WHERE d.tsv @@ plainto_tsquery('english', w.word))
""")


def apply_changes(kind, ids, removed=False, purge=False):
    """(Re)index or remove these documents of one kind; rebuilds everything if never built.

    With `purge` (after a redaction) the suggestion vocabulary also loses every word no document
    holds any more, so the removed words leave no trace (a rare act: one scan of the word list).
    """
    ids = [str(i) for i in ids]
    try:
        with writer_lock():
            if not _built():
                log.info("the search tables were never filled; building them from every source")
                count = _rebuild_locked()
            else:
                source = content.sources().get(kind)
                docs = [] if removed or source is None else list(source[1](ids=ids))
                count = _write(docs)
                missing = set(ids) - {str(doc.id) for doc in docs}
                if missing:
                    db.session.execute(_docs.delete().where(_docs.c.kind == kind,
                                                            _docs.c.ref.in_(sorted(missing))))
                if purge:
                    db.session.execute(_PRUNE_WORDS)
        db.session.commit()
        return count
    except BaseException:
        db.session.rollback()
        raise


def rebuild():
    """Rebuild every document from every registered source in one transaction (readers see the
    old documents until it commits); returns the number of documents."""
    try:
        with writer_lock():
            count = _rebuild_locked()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    _vacuum()
    return count


def _vacuum():
    """Reclaim the rows a rebuild replaced (VACUUM runs outside a transaction; readers go on)."""
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM search_documents"))
    except SQLAlchemyError as error:
        log.warning("could not vacuum search_documents after a rebuild: %r", error)


def _rebuild_locked():
    db.session.execute(_docs.delete())
    count, batch = 0, []
    for kind, (label, fetch) in content.sources().items():
        for doc in fetch(ids=None):
            batch.append(doc)
            if len(batch) >= BATCH:
                count += _write(batch)
                batch = []
    count += _write(batch)
    now = utcnow()
    db.session.execute(pg_insert(_state).values(id=1, built_at=now, rebuild_requested_at=None)
                       .on_conflict_do_update(index_elements=[_state.c.id],
                                              set_={"built_at": now, "rebuild_requested_at": None}))
    db.session.execute(text("ANALYZE search_documents"))  # plans for the new contents
    log.info("search documents rebuilt: %d", count)
    return count


def request_rebuild():
    """Queue one rebuild, at most one a minute across every node however many pages ask."""
    from .. import jobs

    now = utcnow()
    stale = or_(_state.c.rebuild_requested_at.is_(None),
                _state.c.rebuild_requested_at < now - timedelta(minutes=1))
    try:
        claimed = db.session.execute(
            pg_insert(_state).values(id=1, built_at=None, rebuild_requested_at=now)
            .on_conflict_do_update(index_elements=[_state.c.id], set_={"rebuild_requested_at": now},
                                   where=stale)
            .returning(_state.c.id)).first()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("cannot queue a search rebuild: %r", error)
        return False
    if claimed is None:
        return False
    jobs.enqueue(rebuild_job)
    return True


def rebuild_job():
    rebuild()


# -- the query language -------------------------------------------------------------------------

class QueryError(Exception):
    """The search cannot be read; the message says why."""


_TOKENS = re.compile(r'''
    (?P<open>\() | (?P<close>\)) |
    (?P<field>[A-Za-z]+):(?:"(?P<fphrase>[^"]*)"?|(?P<fvalue>[^\s()"]+)) |
    "(?P<phrase>[^"]*)"? |
    (?P<word>[^\s()"]+)
''', re.VERBOSE)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT"}
_ALIASES = {"tags": "tag", "doctype": "type"}
#: Fields of the query language: facet fields, tags, and the two text fields.
_SCALAR_FIELDS = {"kind": "kind", "type": "doc_type", "county": "county", "program": "program", "year": "year"}
_LIST_FIELDS = {"area": "areas", "strategy": "strategies", "tag": "tags"}
_TEXT_FIELDS = {"title", "content"}


def _tokens(query):
    for match in _TOKENS.finditer(query):
        if match.group("open"):
            yield ("open", None)
        elif match.group("close"):
            yield ("close", None)
        elif match.group("field") is not None:
            name = _ALIASES.get(match.group("field").lower(), match.group("field").lower())
            phrase = match.group("fphrase") is not None
            value = match.group("fphrase") if phrase else match.group("fvalue")
            if name in _SCALAR_FIELDS or name in _LIST_FIELDS or name in _TEXT_FIELDS:
                yield ("field", (name, value, phrase))
            else:  # not a field: its words are searched, as Whoosh does
                yield ("word", match.group(0))
        elif match.group("phrase") is not None:
            yield ("phrase", match.group("phrase"))
        else:
            word = match.group("word")
            yield ("op", word) if word in _OPERATORS else ("word", word)


class _Parser:
    """The site's query language, read as Whoosh reads it: explicit AND/OR (AND first) bind
    tighter than words side by side, which all must match; NOT applies to what follows it;
    stray parentheses and operators are ignored."""

    def __init__(self, query):
        self.tokens = list(_tokens(query))
        self.position = 0
        self.terms = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.position += 1
        return token

    def parse(self):
        node = self.sequence(top=True)
        if self.terms > MAX_TERMS:
            raise QueryError(f"it has more than {MAX_TERMS} terms.")
        return node

    def sequence(self, top=False):
        items = []
        while True:
            kind, _ = self.peek()
            if kind is None:
                break
            if kind == "close":
                self.take()
                if top:
                    continue
                break
            node = self.disjunction()
            if node is not None:
                items.append(node)
        return _and(items)

    def disjunction(self):
        items = [self.conjunction()]
        while self.peek() == ("op", "OR"):
            self.take()
            items.append(self.conjunction())
        return _or([item for item in items if item is not None])

    def conjunction(self):
        items = [self.unary()]
        while self.peek()[0] == "op" and self.peek()[1] in ("AND", "ANDNOT"):
            _, operator = self.take()
            following = self.unary()
            items.append(("not", following) if operator == "ANDNOT" and following is not None else following)
        return _and([item for item in items if item is not None])

    def unary(self):
        kind, value = self.peek()
        if kind == "op":
            self.take()
            if value == "NOT":
                inner = self.unary()
                return ("not", inner) if inner is not None else None
            return None  # a stray AND/OR
        if kind == "open":
            self.take()
            return self.sequence()
        if kind is None or kind == "close":
            return None
        self.take()
        self.terms += 1
        return (kind, value)


def _and(items):
    items = [item for item in items if item is not None]
    return None if not items else items[0] if len(items) == 1 else ("and", items)


def _or(items):
    items = [item for item in items if item is not None]
    return None if not items else items[0] if len(items) == 1 else ("or", items)


class _TS:
    """A tsquery expression (combinable with other tsqueries) rather than a row condition."""

    def __init__(self, expression):
        self.expression = expression


def _pieces(value):
    return _PIECE.findall((value or "").lower())


def _word_query(word):
    if word.endswith("*") and len(word) > 1:
        # A prefix matches the indexed (stemmed) words as typed, unstemmed, as in Whoosh:
        # "reunif*" finds "reunification"; "coordinat*" does not find "coordinate" (coordin).
        pieces = _pieces(word[:-1])
        if not pieces:
            return None
        return func.to_tsquery(_PLAIN, " <-> ".join(pieces[:-1] + [pieces[-1] + ":*"]))
    return func.plainto_tsquery(LANGUAGE, word)


def _title_query(value, phrase):
    pieces = _pieces(value.rstrip("*"))
    if not pieces:
        return None
    prefix = value.endswith("*") and not phrase
    terms = [f"{piece}:A" for piece in pieces[:-1]] + [f"{pieces[-1]}:{'*' if prefix else ''}A"]
    return func.to_tsquery(_PLAIN if prefix else LANGUAGE,
                           (" <-> " if phrase or len(pieces) > 1 else " & ").join(terms))


def _field_condition(name, value, phrase):
    value = (value or "").strip().lower()
    if name in _TEXT_FIELDS:
        if name == "title":
            query = _title_query(value, phrase)
        else:
            query = func.phraseto_tsquery(LANGUAGE, value) if phrase else _word_query(value)
        return _TS(query) if query is not None else None
    if name == "county":
        value = value.replace(" ", "-")
    prefix = value.endswith("*") and not phrase
    value = value.rstrip("*") if prefix else value
    if name in _SCALAR_FIELDS:
        column = _docs.c[_SCALAR_FIELDS[name]]
        return column.startswith(value, autoescape=True) if prefix else column == value
    column = _docs.c[_LIST_FIELDS[name]]
    if prefix:
        each = func.unnest(column).table_valued("value").render_derived()
        return exists(select(1).select_from(each).where(each.c.value.startswith(value, autoescape=True)))
    return literal(value).op("=")(func.any(column))


class _Compiled:
    """What a parsed query becomes: a row condition, and the tsquery that ranks and highlights."""

    def __init__(self, condition, ranking):
        self.condition = condition
        self.ranking = ranking


def _match(ts):
    return _docs.c.tsv.op("@@")(ts.expression)


def _compile_node(node, positive, ranking):
    kind, value = node
    if kind in ("word", "phrase"):
        query = _word_query(value) if kind == "word" else func.phraseto_tsquery(LANGUAGE, value)
        if query is None:
            return None
        if positive:
            ranking.append(query)
        return _TS(query)
    if kind == "field":
        compiled = _field_condition(*value)
        if isinstance(compiled, _TS) and positive:
            ranking.append(compiled.expression)
        return compiled
    if kind == "not":
        inner = _compile_node(value, not positive, ranking)
        if inner is None:
            return None
        return _TS(func.tsquery_not(inner.expression)) if isinstance(inner, _TS) else not_(inner)
    parts = [part for part in (_compile_node(child, positive, ranking) for child in value) if part is not None]
    if not parts:
        return None
    combine_ts = func.tsquery_and if kind == "and" else func.tsquery_or
    if all(isinstance(part, _TS) for part in parts):
        expression = parts[0].expression
        for part in parts[1:]:
            expression = combine_ts(expression, part.expression)
        return _TS(expression)
    conditions = [_match(part) if isinstance(part, _TS) else part for part in parts]
    return and_(*conditions) if kind == "and" else or_(*conditions)


def compile_query(query):
    """A query in the site's language as a SQL condition on `search_documents` (None: all)."""
    node = _Parser(query).parse()
    if node is None:  # only operators or stop words: nothing, as Whoosh finds
        return _Compiled(false(), None)
    ranking = []
    compiled = _compile_node(node, True, ranking)
    condition = _match(compiled) if isinstance(compiled, _TS) else compiled
    ranked = None
    for part in ranking:
        ranked = part if ranked is None else func.tsquery_or(ranked, part)
    return _Compiled(condition if condition is not None else false(), ranked)


# -- reading -----------------------------------------------------------------------------------

def permission_filter(allowed):
    """The SQL condition for what an `AccessFilter` allows, or None for everything (admins)."""
    if allowed.everything:
        return None
    parts = [_docs.c.visibility == "public"]
    if allowed.members:
        parts.append(_docs.c.visibility == "members")
    if allowed.cluster_ids:
        parts.append(and_(_docs.c.visibility == "clusters",
                          _docs.c.cluster_ids.op("&&")(literal(sorted(allowed.cluster_ids),
                                                               _docs.c.cluster_ids.type))))
    if allowed.all_counties:
        parts.append(_docs.c.visibility == "county")
    elif allowed.county_id is not None:
        parts.append(and_(_docs.c.visibility == "county", _docs.c.audience_county_id == allowed.county_id))
    return or_(*parts)


def _filter_conditions(filters):
    conditions = []
    for name, value in sorted(filters.items()):
        if name in _SCALAR_FIELDS:
            conditions.append(_docs.c[_SCALAR_FIELDS[name]] == (value.lower() if name != "year" else value))
        elif name in _LIST_FIELDS:
            conditions.append(literal(value.lower()).op("=")(func.any(_docs.c[_LIST_FIELDS[name]])))
    return conditions


def _headline(column, query, options):
    return func.ts_headline(LANGUAGE, func.translate(column, "<>", _LT + _GT), query, options)


def _marked(value):
    """ts_headline output, escaped, with its markers turned into <mark> and the angle brackets back."""
    html = str(escape(value or ""))
    html = html.replace(_START, '<mark class="hl">').replace(_STOP, "</mark>")
    return Markup(html.replace(_LT, "&lt;").replace(_GT, "&gt;"))


def _one_pass(where, compiled, sort, query, page, per_page):
    """Facet counts over every match and the page of hits, from one scan of the matches.

    Returns ({facet: {value: count}}, [hit rows]); snippets are made for the page's rows only.
    """
    ranked = compiled.ranking is not None and sort == "relevance"
    rank = func.ts_rank(_docs.c.rank_tsv, compiled.ranking) if ranked else literal(0.0)
    matches = (select(_docs.c.kind, _docs.c.ref, _docs.c.doc_type, _docs.c.county, _docs.c.program,
                      _docs.c.year, _docs.c.areas, _docs.c.strategies, _docs.c.created, _docs.c.downloads,
                      rank.label("rank"))
               .where(*where).cte("matches").prefix_with("MATERIALIZED"))
    parts = [select(literal(name).label("name"), matches.c[column].label("value"), func.count().label("count"))
             .group_by(matches.c[column])
             for name, column in (("kind", "kind"), ("type", "doc_type"), ("county", "county"),
                                  ("program", "program"), ("year", "year"))]
    for name, column in (("area", "areas"), ("strategy", "strategies")):
        each = func.unnest(matches.c[column]).table_valued("value").render_derived()
        parts.append(select(literal(name), each.c.value, func.count())
                     .select_from(matches).join(each, true()).group_by(each.c.value))
    counted = union_all(*parts).subquery("counted")
    facets = select(func.json_agg(func.json_build_array(counted.c.name, counted.c.value, counted.c.count))
                    ).scalar_subquery()

    if sort == "downloads":
        order = [matches.c.downloads.desc(), matches.c.created.desc()]
    elif ranked:
        order = [matches.c.rank.desc(), matches.c.created.desc()]
    else:
        order = [matches.c.created.desc()]
    order += [matches.c.kind, matches.c.ref]
    shown = (select(matches.c.kind, matches.c.ref, func.row_number().over(order_by=order).label("position"))
             .order_by(*order).limit(per_page).offset((page - 1) * per_page).subquery("shown"))
    if query and compiled.ranking is not None:
        snippet = _headline(_docs.c.snippet_source, compiled.ranking, _SNIPPET_OPTIONS)
        title = _headline(_docs.c.title, compiled.ranking, _TITLE_OPTIONS)
    else:
        snippet, title = literal("", Text), cast(null(), Text)
    fields = {"kind": _docs.c.kind, "url": _docs.c.url, "title": _docs.c.title, "summary": _docs.c.summary,
              "created": _docs.c.created, "downloads": _docs.c.downloads, "county": _docs.c.county,
              "doc_type": _docs.c.doc_type, "year": _docs.c.year, "title_marked": title,
              "snippet_marked": snippet}
    row = func.json_build_object(*[part for key, value in fields.items() for part in (literal(key, Text), value)])
    hits = (select(func.json_agg(aggregate_order_by(row, shown.c.position)))
            .select_from(shown.join(_docs, and_(_docs.c.kind == shown.c.kind, _docs.c.ref == shown.c.ref)))
            .scalar_subquery())
    facet_rows, hit_rows = db.session.execute(select(facets, hits)).one()
    counts = {name: {} for name, _, _ in FACETS}
    for name, value, count in facet_rows or []:
        counts[name][value] = count
    for hit in hit_rows or []:
        hit["created"] = datetime.fromisoformat(hit["created"]) if hit["created"] else None
    return counts, hit_rows or []


def _hit(row, with_snippet, kind_labels):
    snippet = row["snippet_marked"] if with_snippet else ""
    title = _marked(row["title_marked"]) if row["title_marked"] else escape(row["title"])
    meta = [facet_label(name, row[column], kind_labels)
            for name, column in (("type", "doc_type"), ("county", "county"), ("year", "year")) if row[column]]
    return Hit(kind=row["kind"], kind_label=kind_labels.get(row["kind"], row["kind"]), title=Markup(title),
               url=row["url"],
               snippet=_marked(snippet) if snippet and _START in snippet else escape((row["summary"] or "")[:300]),
               created=row["created"], meta=meta, downloads=row["downloads"] or 0)


def search(allowed, query="", filters=None, sort="relevance", page=1, per_page=10):
    """Search what `allowed` (an AccessFilter) may see; the same contract as `engine.search`.

    :raises SearchUnavailable: when the search tables cannot be read or were never filled.
    """
    filters = {k: v for k, v in (filters or {}).items() if k in FACET_FIELDS and v}
    query = (query or "").strip()[:500]
    kind_labels = {kind: label for kind, (label, _) in content.sources().items()}
    try:
        compiled = compile_query(query) if query else _Compiled(None, None)
    except QueryError as error:
        return Results(query=query, error=f"That search could not be read: {error}")
    if sort == "relevance" and not query:
        sort = "newest"
    page = max(1, page)
    permitted = permission_filter(allowed)
    where = [c for c in (compiled.condition, permitted, *_filter_conditions(filters)) if c is not None]
    try:
        if not _built():
            raise SearchUnavailable("the search documents were never built")
        # Matching goes through the GIN index, never a scan that unpacks every row's tsvector
        # (the planner does not know how costly that is when a query matches a third of them).
        if compiled.ranking is not None:
            db.session.execute(select(func.set_config("enable_seqscan", "off", True)))
        counts, rows = _one_pass(where, compiled, sort, query, page, per_page)
        total = sum(counts["kind"].values())
        results = Results(query=query, total=total, page=page, per_page=per_page,
                          pages=max(1, math.ceil(total / per_page)))
        for row in rows:
            results.hits.append(_hit(row, bool(query), kind_labels))
        for name, heading, _ in FACETS:
            values = [FacetValue(value, facet_label(name, value, kind_labels), count, filters.get(name) == value)
                      for value, count in counts[name].items() if value not in ("", "none", None)]
            if name == "year":
                values.sort(key=lambda v: v.value, reverse=True)
            else:
                values.sort(key=lambda v: (-v.count, v.label))
            results.facets[name] = (heading, values)
        if query and total <= SUGGEST_BELOW:
            results.suggestion = _suggestion(query, permitted)
        if compiled.ranking is not None:
            db.session.execute(select(func.set_config("enable_seqscan", "on", True)))
        return results
    except SearchUnavailable:
        raise
    except SQLAlchemyError as error:
        db.session.rollback()
        raise SearchUnavailable(f"search failed on PostgreSQL: {error!r}") from error


def _visible_match(query, permitted):
    return exists(select(1).select_from(_docs).where(
        _docs.c.tsv.op("@@")(query), *([permitted] if permitted is not None else [])))


def _correction(word, permitted):
    """The nearest word of the vocabulary that matches a document the viewer may see, if any."""
    lowered = word.lower()
    own = func.plainto_tsquery(LANGUAGE, lowered)
    known, lexemes = db.session.execute(select(_visible_match(own, permitted), func.numnode(own))).one()
    if known or not lexemes:  # found as typed, or a stop word
        return None
    candidate = _words.c.word
    rows = db.session.scalars(
        select(candidate)
        .where(candidate.op("%")(lowered), func.left(candidate, 1) == lowered[:1], candidate != lowered,
               _visible_match(func.plainto_tsquery(LANGUAGE, candidate), permitted))
        .order_by(func.similarity(candidate, lowered).desc(), candidate).limit(10)).all()
    return next((row for row in rows if _distance(row, lowered) <= 2), None)


#: The field's acronyms (SSN, WIC, TDM…) are never "corrected" (the same list as Whoosh's).
_ACRONYMS = frozenset(word.lower() for word in ACRONYMS)


def _suggestion(query, permitted):
    """A corrected query, offered only if it finds something the viewer may see.

    A plain word is corrected only when no visible document contains it, and only to a word that
    occurs in a visible document (checked in the same SQL as the permission filter), so no word
    of a hidden document is ever suggested. Short words and words typed in capitals (acronyms)
    are left alone; fielded terms, phrases, prefixes and operators too.
    """
    changed, words = False, []
    for word in query.split():
        if (word.isalpha() and word.upper() not in _OPERATORS and len(word) >= SUGGEST_MIN_LENGTH
                and not word.isupper() and word.lower() not in _ACRONYMS):
            corrected = _correction(word, permitted)
            if corrected:
                word, changed = corrected, True
        words.append(word)
    if not changed:
        return ""
    corrected = " ".join(words)
    condition = compile_query(corrected).condition
    where = [c for c in (condition, permitted) if c is not None]
    found = db.session.scalar(select(exists(select(1).select_from(_docs).where(*where))))
    return corrected if found else ""


def _distance(a, b):
    """Levenshtein distance (words are short)."""
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def document_count():
    """How many documents the search holds (for the CLI and health checks)."""
    return db.session.scalar(select(func.count()).select_from(_docs))


def close_readers():
    """Nothing to close: readers are database sessions."""
