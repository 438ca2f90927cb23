"""Tables of the PostgreSQL search backend: one row per searchable document, the word list, its state.

They exist on every database so the schema is the same everywhere, but only the PostgreSQL
backend (`postgres.py`) writes them; on SQLite the PostgreSQL-only types fall back to plain ones.
"""
from datetime import datetime

from sqlalchemy import ARRAY, DDL, JSON, DateTime, ForeignKeyConstraint, Index, Integer, String, Text, event, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ..caching import VersionRow, counter_sql, with_create_all
from ..extensions import db

_INTEGERS = ARRAY(Integer).with_variant(JSON(), "sqlite")
_STRINGS = ARRAY(Text).with_variant(JSON(), "sqlite")


class SearchDocument(db.Model):
    """A document as the search matches, filters, counts and ranks it: what a source yielded,
    flattened to narrow rows (the words to show are in `SearchText`), so that matching and
    ranking thousands of rows reads few pages."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        # What a visitor may see, matched without reading the rows nobody else may see (the
        # search plans each statement for its values, so a visitor's `visibility = 'public'`
        # finds this index). On SQLite, whose table stays empty, an index like any other.
        Index("ix_search_documents_public_tsv", "tsv", postgresql_using="gin",
              postgresql_where=text("visibility = 'public'"), sqlite_where=text("visibility = 'public'")),
        # A county chosen among the facets: its documents' rows are ANDed with the words' in the
        # index, so only the rows of both are read.
        Index("ix_search_documents_county", "county"),
        Index("ix_search_documents_created", "created"),
    )

    #: The source's kind (resource, thread, post, event …) and its own id: the document's key.
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    ref: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: public, members, clusters or county; with clusters, the clusters whose members may see it.
    visibility: Mapped[str] = mapped_column(String(20))
    cluster_ids: Mapped[list] = mapped_column(_INTEGERS, default=list)
    #: With county, the county whose staff may see it (CFPIC staff see every county's).
    audience_county_id: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(DateTime)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    #: Facet values, normalized as the query language writes them (county "los-angeles").
    county: Mapped[str] = mapped_column(String(80), default="")
    doc_type: Mapped[str] = mapped_column(String(40), default="")
    program: Mapped[str] = mapped_column(String(40), default="")
    year: Mapped[str] = mapped_column(String(10), default="")
    areas: Mapped[list] = mapped_column(_STRINGS, default=list)
    strategies: Mapped[list] = mapped_column(_STRINGS, default=list)
    tags: Mapped[list] = mapped_column(_STRINGS, default=list)
    #: Title (weight A), summary and tags (B), the whole text (C); English stemming. Matched.
    tsv: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    #: The same over the title, summary, tags and the first RANK_TEXT_CHARS of the text (cut at a
    #: space): small enough to stay in the row, so ranking thousands of matches never unpacks
    #: their whole text; and a part of `tsv`, so a phrase found here is in `tsv` too.
    rank_tsv: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))


class SearchText(db.Model):
    """What a result shows of a document: read for the page's ten hits only, never while matching.
    Deleted with its document."""

    __tablename__ = "search_texts"
    __table_args__ = (
        ForeignKeyConstraint(["kind", "ref"], ["search_documents.kind", "search_documents.ref"],
                             ondelete="CASCADE"),
    )

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    ref: Mapped[str] = mapped_column(String(80), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    #: The first part of the text, the only part `ts_headline` reads for snippets.
    snippet_source: Mapped[str] = mapped_column(Text, default="")


class SearchWord(db.Model):
    """A word that occurs in some document: the vocabulary "did you mean" corrects towards.

    Words are added, never removed: a suggestion is offered only when the word matches a document
    the viewer may see *now*, so a stale word suggests nothing.
    """

    __tablename__ = "search_words"
    __table_args__ = (
        Index("ix_search_words_trigrams", "word", postgresql_using="gin",
              postgresql_ops={"word": "gin_trgm_ops"}),
    )

    word: Mapped[str] = mapped_column(String(60), primary_key=True)


class SearchIndexState(db.Model):
    """One row: when the documents table was last rebuilt from every source, and rebuild requests."""

    __tablename__ = "search_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: None until a full rebuild filled the table (the page says "being rebuilt" until then).
    built_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Pages that find the index unusable queue one rebuild a minute at most, across nodes.
    rebuild_requested_at: Mapped[datetime | None] = mapped_column(DateTime)


class SearchVersion(VersionRow, db.Model):
    """One row whose number changes with every write to the search tables (database triggers):
    what the PostgreSQL backend's kept results are keyed by (`postgres.search`)."""

    __tablename__ = "search_version"


#: The tables whose every write changes the search version.
VERSIONED_TABLES = ("search_documents", "search_texts", "search_words")


def search_version_sql(dialect):
    """The statements that make the version row and its triggers (idempotent; migration
    0020_search_version runs the same statements). On SQLite the tables are never written
    (the Whoosh backend keeps its index in a folder) and the row stays at 0."""
    return counter_sql(dialect, "search_version", VERSIONED_TABLES)


with_create_all(search_version_sql)


# The trigram index needs pg_trgm; `create_all` (tests) makes it as the migration does.
event.listen(SearchWord.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
