"""several machines: PostgreSQL search tables, file chunks in the database

Revision ID: 0012_scale
Revises: 0011_assistance
Create Date: 2026-11-24 09:00:00

The search tables exist on every database (so the schema is one); their PostgreSQL-only parts
(tsvector, arrays, GIN and trigram indexes, the pg_trgm extension) are made only on PostgreSQL,
and SQLite gets plain columns the PostgreSQL backend never uses there.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0012_scale"
down_revision = "0011_assistance"
branch_labels = None
depends_on = None


def upgrade():
    on_postgres = op.get_bind().dialect.name == "postgresql"
    if on_postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        integers, strings, tsvector = postgresql.ARRAY(sa.Integer()), postgresql.ARRAY(sa.Text()), postgresql.TSVECTOR()
    else:
        integers, strings, tsvector = sa.JSON(), sa.JSON(), sa.Text()

    op.create_table(
        "search_documents",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("snippet_source", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("cluster_ids", integers, nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("county", sa.String(length=80), nullable=False),
        sa.Column("doc_type", sa.String(length=40), nullable=False),
        sa.Column("program", sa.String(length=40), nullable=False),
        sa.Column("year", sa.String(length=10), nullable=False),
        sa.Column("areas", strings, nullable=False),
        sa.Column("strategies", strings, nullable=False),
        sa.Column("tags", strings, nullable=False),
        sa.Column("tsv", tsvector, nullable=False),
        sa.Column("rank_tsv", tsvector, nullable=False),
        sa.PrimaryKeyConstraint("kind", "ref", name=op.f("pk_search_documents")),
    )
    op.create_index("ix_search_documents_created", "search_documents", ["created"], unique=False)
    op.create_index("ix_search_documents_tsv", "search_documents", ["tsv"], unique=False,
                    postgresql_using="gin")
    op.create_table(
        "search_words",
        sa.Column("word", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
    )
    op.create_index("ix_search_words_trigrams", "search_words", ["word"], unique=False,
                    postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"})
    op.create_table(
        "search_index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=True),
        sa.Column("rebuild_requested_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_index_state")),
    )
    op.create_table(
        "file_chunks",
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("stored_name", "seq", name=op.f("pk_file_chunks")),
    )


def downgrade():
    op.drop_table("file_chunks")
    op.drop_table("search_index_state")
    op.drop_index("ix_search_words_trigrams", table_name="search_words")
    op.drop_table("search_words")
    op.drop_index("ix_search_documents_tsv", table_name="search_documents")
    op.drop_index("ix_search_documents_created", table_name="search_documents")
    op.drop_table("search_documents")
