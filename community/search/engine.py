"""The Whoosh index behind the site-wide search: schema, writer, query parser, facets, snippets.

Feature areas never see this module: they register sources in `community.content` and announce
changes; `apply_changes` (run by a job after commit) and `rebuild` write, `search` reads.

Writers from every process take one file lock (`<index dir>.lock`, outside the index directory so
it survives a deleted or corrupted index) and read the database *inside* it, so the last writer
always indexes the latest committed state and no update is lost. Readers never lock. Anything
wrong with the index on disk raises `SearchUnavailable`, which the page turns into a message.
"""
import fcntl
import logging
import math
import os
import re
import shutil
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from threading import local

from flask import current_app
from markupsafe import Markup
from whoosh import columns, highlight, index, qparser, sorting
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import And, Every, Or, Term

from .. import content
from ..vocabulary import ACRONYMS, COUNTIES, DOCUMENT_TYPES, PROGRAMS, STRATEGIES, TOOLKIT_AREAS

log = logging.getLogger(__name__)

#: Characters of each document's text kept in the index for snippets (the whole text is searchable).
SNIPPET_SOURCE_CHARS = 3000
#: Facets shown with counts, in order: (field, heading, several values per document?).
FACETS = [
    ("kind", "Kind of content", False),
    ("type", "Document type", False),
    ("area", "Toolkit area", True),
    ("strategy", "Linkages strategy", True),
    ("county", "County", False),
    ("program", "Program", False),
    ("year", "Year", False),
]
#: Offer "did you mean" when a search finds this many results or fewer.
SUGGEST_BELOW = 3
FACET_FIELDS = {name for name, _, _ in FACETS}
SORTS = {"relevance": "Relevance", "newest": "Newest", "downloads": "Most downloaded"}

_county_names = {name.lower().replace(" ", "-"): name for name, _ in COUNTIES}
_vocabulary_labels = {
    "type": dict(DOCUMENT_TYPES), "area": dict(TOOLKIT_AREAS), "strategy": dict(STRATEGIES),
    "program": dict(PROGRAMS), "county": _county_names,
}


class SearchUnavailable(Exception):
    """The index is missing, locked or unreadable; the message is for the log, not for people."""


class IndexBusy(Exception):
    """Another writer held the index lock for longer than SEARCH_LOCK_TIMEOUT."""


class ListKeyword(KEYWORD):
    """Comma-separated values, also kept as a list column so facet counts read it cheaply."""

    def __init__(self, **kwargs):
        super().__init__(commas=True, lowercase=True, **kwargs)
        self.column_type = columns.VarBytesListColumn()

    def to_column_value(self, value):
        return [v.strip().lower().encode("utf-8") for v in (value or "").split(",") if v.strip()]


def make_schema():
    stem = StemmingAnalyzer()
    return Schema(
        key=ID(stored=True, unique=True),
        kind=ID(stored=True, sortable=True),
        ref=STORED(),
        url=STORED(),
        title=TEXT(stored=True, analyzer=stem, field_boost=3.0),
        summary=STORED(),
        #: Title, summary, tags and the whole text: what plain words search.
        content=TEXT(analyzer=stem),
        #: The words of `title` and of `content` as written (not stemmed), per document, so that
        #: "did you mean" offers only words a document the person may see holds.
        title_words=TEXT(analyzer=StandardAnalyzer(), phrase=False),
        words=TEXT(analyzer=StandardAnalyzer(), phrase=False),
        #: The first part of the text, for highlighted snippets.
        snippet_source=STORED(),
        visibility=ID(),
        clusters=KEYWORD(),
        #: With `county` visibility, the county whose staff may see it.
        audience_county=ID(),
        created=NUMERIC(stored=True, sortable=True, bits=64),
        downloads=NUMERIC(stored=True, sortable=True),
        county=ID(stored=True, sortable=True),
        type=ID(stored=True, sortable=True),
        area=ListKeyword(stored=True),
        strategy=ListKeyword(stored=True),
        program=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        tag=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
    )


SCHEMA = make_schema()


# -- where the index lives -------------------------------------------------------------------

def index_dir(app=None):
    app = app or current_app
    return Path(app.config.get("SEARCH_INDEX_DIR") or Path(app.instance_path) / "search-index")


@contextmanager
def writer_lock(timeout=None):
    """Hold the one cross-process writer lock; raise IndexBusy after `timeout` seconds."""
    timeout = current_app.config.get("SEARCH_LOCK_TIMEOUT", 30) if timeout is None else timeout
    path = index_dir().with_name(index_dir().name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexBusy(f"the search index lock {path} was held for {timeout}s")
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _open_index():
    path = index_dir()
    try:
        if not index.exists_in(str(path)):
            raise SearchUnavailable(f"no search index in {path}")
        return index.open_dir(str(path), schema=SCHEMA)
    except SearchUnavailable:
        raise
    except Exception as error:  # Whoosh raises many kinds of errors on damaged files
        raise SearchUnavailable(f"cannot open the search index in {path}: {error!r}") from error


# -- writing -----------------------------------------------------------------------------------

def _fields(doc: content.SearchDocument):
    facets = doc.facets or {}
    county = facets.get("county") or ""
    when = doc.updated_at or doc.created_at or datetime(2000, 1, 1)
    tags = [t for t in facets.get("tags", []) if t]
    text = doc.text or ""
    words = "\n".join([doc.title, doc.summary or "", " ".join(tags), text])
    return {
        "key": f"{doc.kind}:{doc.id}",
        "kind": doc.kind,
        "ref": str(doc.id),
        "url": doc.url,
        "title": doc.title,
        "summary": doc.summary or "",
        "content": words,
        "title_words": doc.title,
        "words": words,
        "snippet_source": text[:SNIPPET_SOURCE_CHARS],
        "visibility": doc.visibility,
        "clusters": " ".join(str(c) for c in sorted(doc.cluster_ids)) or "none",
        "audience_county": str(doc.county_id) if doc.county_id is not None else "none",
        "created": int((doc.created_at or when).timestamp()),
        "downloads": int(doc.downloads or 0),
        "county": county.lower().replace(" ", "-"),
        "type": (facets.get("doc_type") or "").lower(),
        "area": ",".join(facets.get("toolkit_area") or []),
        "strategy": ",".join(facets.get("strategy") or []),
        "program": (facets.get("program") or "").lower(),
        "year": str(facets.get("year") or ""),
        "tag": ",".join(tags),
    }


def apply_changes(kind, ids, removed=False, purge=False):
    """(Re)index or remove these documents of one kind; rebuilds everything if the index is broken.

    Reads the source inside the writer lock, so whichever writer runs last indexes what the
    database holds now. With `purge` (after a redaction) the index is also optimized: Whoosh
    keeps a replaced document's words in its segment files, and in "did you mean" suggestions,
    until the segments are merged.
    """
    ids = [str(i) for i in ids]
    with writer_lock():
        try:
            ix = _open_index()
        except SearchUnavailable as problem:
            if index_dir().exists():
                log.warning("search index unusable while indexing %s %s (%s); rebuilding", kind, ids, problem)
            else:
                log.info("no search index yet; building it from every source")
            return _rebuild_locked()
        source = content.sources().get(kind)
        docs = [] if removed or source is None else list(source[1](ids=ids))
        writer = ix.writer()
        try:
            for doc in docs:
                writer.update_document(**_fields(doc))
            for missing in set(ids) - {str(doc.id) for doc in docs}:
                writer.delete_by_term("key", f"{kind}:{missing}")
            writer.commit(optimize=purge)
        except BaseException:
            writer.cancel()
            raise
        finally:
            ix.close()
        return len(docs)


def rebuild():
    """Rebuild the whole index from every registered source; returns the number of documents."""
    with writer_lock():
        return _rebuild_locked()


def _rebuild_locked():
    path = index_dir()
    fresh = path.with_name(f"{path.name}.new-{uuid.uuid4().hex[:8]}")
    fresh.mkdir(parents=True)
    count = 0
    try:
        ix = index.create_in(str(fresh), SCHEMA)
        writer = ix.writer(limitmb=128, **_bulk_options())
        for kind, (label, fetch) in content.sources().items():
            for doc in fetch(ids=None):
                writer.add_document(**_fields(doc))
                count += 1
        writer.commit()
        ix.close()
        old = path.with_name(f"{path.name}.old-{uuid.uuid4().hex[:8]}")
        if path.exists():
            path.rename(old)
        fresh.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    _rebuild_marker().unlink(missing_ok=True)
    log.info("search index rebuilt with %d documents", count)
    return count


def _bulk_options():
    """Several writer processes for a rebuild when SEARCH_INDEX_PROCS > 1 (one segment each)."""
    procs = int(current_app.config.get("SEARCH_INDEX_PROCS", 1))
    return {"procs": procs, "multisegment": True} if procs > 1 else {}


def _rebuild_marker():
    return index_dir().with_name(index_dir().name + ".rebuild-requested")


def request_rebuild():
    """Queue one rebuild (not more than one a minute however many pages notice the problem)."""
    from .. import jobs

    marker = _rebuild_marker()
    if marker.exists() and time.time() - marker.stat().st_mtime < 60:
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    jobs.enqueue(rebuild_job)
    return True


def rebuild_job():
    rebuild()


def on_content_changed(kind, ids, removed):
    """Receiver of `content.content_changed` (sent by a job after commit)."""
    apply_changes(kind, ids, removed)


def on_content_purged(kind, ids):
    """Receiver of `content.content_purged`: reindex and merge away the old text's traces."""
    apply_changes(kind, ids, purge=True)


# -- reading -----------------------------------------------------------------------------------

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
            searcher = _open_index().searcher()
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


def _parser():
    parser = qparser.MultifieldParser(["title", "content"], SCHEMA)
    parser.add_plugin(qparser.FieldAliasPlugin({"tag": ["tags"], "type": ["doctype"]}))
    return parser


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Hit:
    kind: str
    kind_label: str
    title: Markup
    url: str
    snippet: Markup
    created: datetime | None
    meta: list
    downloads: int


@dataclass
class Results:
    query: str
    hits: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    per_page: int = 10
    facets: dict = field(default_factory=dict)
    suggestion: str = ""
    error: str = ""


def facet_label(name, value, kind_labels):
    if name == "kind":
        return kind_labels.get(value, value.title())
    return _vocabulary_labels.get(name, {}).get(value, value)


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
        parsed = _parser().parse(query) if query else Every()
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
        for name, heading, _ in FACETS:
            counts = _facet_counts(searcher, name, matched)
            values = [FacetValue(value, facet_label(name, value, kind_labels), count,
                                 filters.get(name) == value)
                      for value, count in counts.items() if value not in ("", "none")]
            if name == "year":
                values.sort(key=lambda v: v.value, reverse=True)
            else:
                values.sort(key=lambda v: (-v.count, v.label))
            results.facets[name] = (heading, values)
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


def _facet_counts(searcher, name, docs):
    """{value: count} of a facet over these documents, from the field's column (read once)."""
    cache = _cache(searcher)
    if ("facet", name) not in cache:
        reader = searcher.reader()
        several = SCHEMA[name].column_type.stores_lists()
        column = reader.column_reader(name, translate=not several)
        size = reader.doc_count_all()
        if several:
            cache[("facet", name)] = [[v.decode("utf-8") for v in column[d]] for d in range(size)]
        else:
            cache[("facet", name)] = [[column[d]] if column[d] else [] for d in range(size)]
    values = cache[("facet", name)]
    counts = Counter()
    for doc in docs:
        counts.update(values[doc])
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
               created=created, meta=meta, downloads=fields.get("downloads") or 0)


#: Plain or fielded words "did you mean" may correct: (leading marks, field, word, closing marks).
_CORRECTABLE = re.compile(r"^([(+-]*)(?:([a-z]+):)?([^\W\d_]+)(\)*)$", re.IGNORECASE)
#: The fields a fielded word may be corrected in, by the names people type.
_SPELLING_FIELDS = {"": "words", "content": "words", "title": "title_words", "tag": "tag", "tags": "tag"}
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
#: Words never corrected, however few documents hold them.
KEEP_AS_TYPED = frozenset(word.lower() for word in ACRONYMS)


def _suggestion(searcher, query, allowed):
    """A corrected query built only from words of documents this person may see, or "".

    Each plain word (or `title:`, `content:`, `tag:` word) that no visible document holds is
    replaced by the nearest word, same first letter, that a visible document holds: candidates
    come from the unstemmed `words` (or `title_words`, `tag`) field and each is kept only if it
    occurs in a document the permission filter lets through, so a word that only content the
    person may not see contains is never offered. Phrases, prefixes,
    other fields, operators and acronyms (`KEEP_AS_TYPED`) are left as typed.

    :param allowed: the set of document numbers the person may see, or None for everything.
    """
    changed, words = False, []
    for token in query.split():
        match = _CORRECTABLE.match(token)
        if match and match[3].upper() not in _OPERATORS and (match[2] or "").lower() in _SPELLING_FIELDS:
            lead, field_name, word, trail = match.groups()
            better = _visible_correction(searcher, _SPELLING_FIELDS[(field_name or "").lower()],
                                         word.lower(), allowed)
            if better:
                token, changed = f"{lead}{field_name + ':' if field_name else ''}{better}{trail}", True
        words.append(token)
    if not changed:
        return ""
    corrected = " ".join(words)
    found = searcher.search(_parser().parse(corrected), limit=1, filter=allowed)
    return corrected if len(found) else ""


def _visible_correction(searcher, field_name, word, allowed):
    """The word within two edits of `word` that most visible documents hold; None when `word`
    itself is in a visible document, is kept as typed, or nothing visible is close."""
    if word in KEEP_AS_TYPED:
        return None
    if _visible_documents(searcher, field_name, word, allowed):
        return None
    for distance in (1, 2):
        ranked = []
        for candidate in searcher.reader().terms_within(field_name, word, distance, prefix=1):
            count = _visible_documents(searcher, field_name, candidate, allowed)
            if count:
                ranked.append((-count, candidate))
        if ranked:
            return min(ranked)[1]
    return None


def _visible_documents(searcher, field_name, word, allowed):
    """How many live documents this person may see hold `word` in `field_name`."""
    return sum(1 for doc in searcher.docs_for_query(Term(field_name, word))
               if allowed is None or doc in allowed)


def document_count():
    """How many documents the index holds (for the CLI and health checks)."""
    return _searcher().doc_count()


def close_readers():
    for _, searcher in getattr(_readers_of(), "by_path", {}).values():
        searcher.close()
    _readers_of().__dict__["by_path"] = {}


def is_index_dir(path):
    return os.path.isdir(path) and index.exists_in(str(path))
