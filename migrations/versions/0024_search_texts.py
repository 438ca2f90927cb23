"""search: what a result shows moves to search_texts, so search_documents holds narrow rows

Revision ID: 0024_search_texts
Revises: 0023_events_version
Create Date: 2026-12-01 20:40:00

Matching and ranking a common word reads thousands of `search_documents` rows; with the url,
title, summary and snippet text in them, a row took 1.8 kB and such a search read most of the
table's pages. Those four columns move to `search_texts` (read for the ten hits of a page; its
rows are deleted with their document), and `search_documents` is rewritten without them
(CLUSTER on PostgreSQL). Its version trigger is that of
`community.caching.counter_sql`, written out here as it was when this migration was made.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024_search_texts"
down_revision = "0023_events_version"
branch_labels = None
depends_on = None

MOVED = ("url", "title", "summary", "snippet_source")


def upgrade():
    op.create_table(
        "search_texts",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("snippet_source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["kind", "ref"], ["search_documents.kind", "search_documents.ref"],
                                name=op.f("fk_search_texts_kind_search_documents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("kind", "ref", name=op.f("pk_search_texts")),
    )
    op.execute("INSERT INTO search_texts (kind, ref, url, title, summary, snippet_source) "
               "SELECT kind, ref, url, title, summary, snippet_source FROM search_documents")
    for column in MOVED:
        op.drop_column("search_documents", column)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CLUSTER search_documents USING pk_search_documents")  # the rows without the columns
        op.execute("CREATE OR REPLACE TRIGGER search_version_search_texts AFTER INSERT OR UPDATE OR DELETE "
                   "OR TRUNCATE ON search_texts FOR EACH STATEMENT EXECUTE FUNCTION bump_search_version()")
    else:
        for verb in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS search_version_search_texts_{verb.lower()} AFTER {verb} "
                       "ON search_texts BEGIN UPDATE search_version SET version = version + 1 WHERE id = 1; END")


def downgrade():
    op.add_column("search_documents", sa.Column("url", sa.String(length=500), nullable=False, server_default=""))
    for column in MOVED[1:]:
        op.add_column("search_documents", sa.Column(column, sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE search_documents SET url = t.url, title = t.title, summary = t.summary, "
               "snippet_source = t.snippet_source FROM search_texts AS t "
               "WHERE t.kind = search_documents.kind AND t.ref = search_documents.ref")
    if op.get_bind().dialect.name == "postgresql":  # SQLite keeps the (harmless) defaults
        for column in MOVED:
            op.alter_column("search_documents", column, server_default=None)
    op.drop_table("search_texts")
