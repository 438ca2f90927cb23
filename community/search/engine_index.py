"""The Whoosh index on disk: its schema, where it lives, the one writer lock, and writing to it.

Writers from every process take one file lock (`<index dir>.lock`, outside the index directory so
it survives a deleted or corrupted index) and read the database *inside* it, so the last writer
always indexes the latest committed state and no update is lost. Readers never lock.
"""
import fcntl
import logging
import shutil
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import current_app
from whoosh import columns, index, qparser
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import Prefix, Term

from .. import content
from .results import FACET_FIELDS, IndexBusy, SearchUnavailable, field_value

log = logging.getLogger(__name__)

#: Characters of each document's text kept in the index for snippets (the whole text is searchable).
SNIPPET_SOURCE_CHARS = 3000


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
            except BlockingIOError as busy:
                if time.monotonic() > deadline:
                    raise IndexBusy(f"the search index lock {path} was held for {timeout}s") from busy
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


#: Tries at opening a searcher while a writer replaces the index's segments.
OPEN_TRIES = 5


def open_searcher():
    """A searcher of the index as it is now.

    A writer that commits between our reading the table of contents and opening the segments it
    names (a merge deletes the old ones) makes the open fail with a missing file: the table is
    read again, a few times, before the index is called unavailable.
    """
    for attempt in range(OPEN_TRIES):
        try:
            return _open_index().searcher()
        except (FileNotFoundError, SearchUnavailable) as error:
            missing = isinstance(error, FileNotFoundError) or isinstance(error.__cause__, FileNotFoundError)
            if not missing or attempt == OPEN_TRIES - 1:
                raise
        time.sleep(0.01 * (attempt + 1))


def parser():
    """The query parser of the site's search language (title and content by default)."""
    made = qparser.MultifieldParser(["title", "content"], SCHEMA)
    made.add_plugin(qparser.FieldAliasPlugin({"tag": ["tags"], "type": ["doctype"]}))
    return made


def parse(query):
    """`query` as Whoosh reads it, with facet values as people type them (`county:"Los Angeles"`,
    `type:MOU`: slugs or labels, any case) turned into the values the index holds."""
    return parser().parse(query).accept(_indexed_value)


def _indexed_value(node):
    if isinstance(node, (Term, Prefix)) and node.fieldname in FACET_FIELDS:
        text = node.text.decode("utf-8") if isinstance(node.text, bytes) else str(node.text)
        value = field_value(node.fieldname, text) if isinstance(node, Term) else text.lower().replace(" ", "-")
        return type(node)(node.fieldname, value, boost=node.boost)
    return node



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
        for _label, fetch in content.sources().values():
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

