"""Writing the PostgreSQL search tables: documents from every source, the word list, rebuilds.

Writers take one transaction-level advisory lock and read the source inside it, so the last
writer indexes the latest committed state, as the Whoosh writer lock does.
"""
import logging
import re
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .. import content
from ..extensions import db
from ..timeutil import utcnow
from .models import SearchDocument, SearchIndexState, SearchText
from .results import IndexBusy

log = logging.getLogger(__name__)

#: Key of the advisory lock every writer of the search tables holds ("search" in ASCII).
LOCK_KEY = 0x736561726368
#: Rows written per statement in a rebuild.
BATCH = 500
#: A query with more terms than this is refused as unreadable (it would only be slow).
#: Characters of the text that count towards ranking (all of it counts towards matching).
RANK_TEXT_CHARS = 500
#: Characters of the text kept for snippets (`ts_headline` reads only these).
SNIPPET_CHARS = 1500

_docs = SearchDocument.__table__
_texts = SearchText.__table__
_state = SearchIndexState.__table__
#: Control characters never stored: the reading side uses some as highlight markers.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ANGLES = str.maketrans("<>", "  ")
#: Words for the suggestion vocabulary.
_WORD = re.compile(r"[^\W\d_]{3,40}")


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
        "body_start": _words_only(_start_of(text_)),
    }


def _start_of(text_):
    """The first RANK_TEXT_CHARS of the text, cut at a space so that no word is cut in two: the
    words of `rank_tsv` are then the first words of `tsv` at the same positions, and a phrase
    found in `rank_tsv` is in `tsv` too (what `postgres_query` relies on to check phrases)."""
    if len(text_) <= RANK_TEXT_CHARS:
        return text_
    cut = text_[:RANK_TEXT_CHARS + 1]
    space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"), cut.rfind("\r"))
    return cut[:space] if space > 0 else ""


def _words_only(value):
    return _clean(value).translate(_ANGLES)


_UPSERT = text("""
INSERT INTO search_documents (kind, ref, visibility, cluster_ids, audience_county_id, created, downloads,
    county, doc_type, program, year, areas, strategies, tags, tsv, rank_tsv)
VALUES (:kind, :ref, :visibility, CAST(:cluster_ids AS integer[]), :audience_county_id, :created, :downloads,
    :county, :doc_type, :program, :year,
    CAST(:areas AS text[]), CAST(:strategies AS text[]), CAST(:tags AS text[]),
    setweight(to_tsvector('english', :title_words), 'A')
    || setweight(to_tsvector('english', :described), 'B')
    || setweight(to_tsvector('english', :body), 'C'),
    setweight(to_tsvector('english', :title_words), 'A')
    || setweight(to_tsvector('english', :described), 'B')
    || setweight(to_tsvector('english', :body_start), 'C'))
ON CONFLICT (kind, ref) DO UPDATE SET
    visibility = excluded.visibility, cluster_ids = excluded.cluster_ids,
    audience_county_id = excluded.audience_county_id, created = excluded.created,
    downloads = excluded.downloads, county = excluded.county, doc_type = excluded.doc_type,
    program = excluded.program, year = excluded.year, areas = excluded.areas,
    strategies = excluded.strategies, tags = excluded.tags, tsv = excluded.tsv,
    rank_tsv = excluded.rank_tsv
""")
_UPSERT_TEXT = text("""
INSERT INTO search_texts (kind, ref, url, title, summary, snippet_source)
VALUES (:kind, :ref, :url, :title, :summary, :snippet_source)
ON CONFLICT (kind, ref) DO UPDATE SET url = excluded.url, title = excluded.title,
    summary = excluded.summary, snippet_source = excluded.snippet_source
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
    db.session.execute(_UPSERT_TEXT, rows)
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


def forget(kind, ids):
    """Drop these documents in the current transaction (see `backend.on_content_narrowing`)."""
    if ids:
        db.session.execute(_docs.delete().where(_docs.c.kind == kind, _docs.c.ref.in_([str(i) for i in ids])))


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
            connection.execute(text("VACUUM search_documents, search_texts"))
    except SQLAlchemyError as error:
        log.warning("could not vacuum search_documents after a rebuild: %r", error)


def _rebuild_locked():
    db.session.execute(_texts.delete())  # not one cascaded delete per document
    db.session.execute(_docs.delete())
    count, batch = 0, []
    for _label, fetch in content.sources().values():
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
    db.session.execute(text("ANALYZE search_documents, search_texts"))  # plans for the new contents
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

