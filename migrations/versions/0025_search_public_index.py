"""search: a GIN index of the public documents' words (visitors' searches), and one of counties

Revision ID: 0025_search_public_index
Revises: 0024_search_texts
Create Date: 2026-12-02 08:20:00

A visitor's search matched its words through the index of every document and then read every
matching row to keep the public ones: on the benchmark's corpus 4,168 rows on 2,254 pages for
`reunification timelines`, of which 1,757 were public. A partial index of the public documents
finds those alone (1,295 pages). The search plans its statement for each search's values
(`postgres._PLAN_FOR_THESE_WORDS`), so the planner sees `visibility = 'public'` and uses it.
(On SQLite, which never fills the table, it is an index like any other.)

A search with a county chosen among the facets read every row matching its words and kept the
county's: for a member's `"shared release"` in Fresno 4,154 rows on 2,234 pages for 243. With an
index of the county, PostgreSQL ANDs both indexes' bitmaps and reads 280 pages.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0025_search_public_index"
down_revision = "0024_search_texts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_search_documents_public_tsv", "search_documents", ["tsv"], postgresql_using="gin",
                    postgresql_where=sa.text("visibility = 'public'"), sqlite_where=sa.text("visibility = 'public'"))
    op.create_index("ix_search_documents_county", "search_documents", ["county"])


def downgrade():
    op.drop_index("ix_search_documents_county", table_name="search_documents")
    op.drop_index("ix_search_documents_public_tsv", table_name="search_documents")
