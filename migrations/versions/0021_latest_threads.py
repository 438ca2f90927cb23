"""forums: each cluster's latest threads, pinned or not, in one index

Revision ID: 0021_latest_threads
Revises: 0020_search_version
Create Date: 2026-12-01 17:50:00

The home page's "Latest in your clusters" merges each cluster's latest threads, read backwards
from this index, instead of sorting every thread of every cluster the person is in.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021_latest_threads"
down_revision = "0020_search_version"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("forum_threads", schema=None) as batch_op:
        batch_op.create_index("ix_forum_threads_cluster_latest", ["cluster_id", "last_posted_at", "id"],
                              unique=False, sqlite_where=sa.text("removed_at IS NULL"),
                              postgresql_where=sa.text("removed_at IS NULL"))


def downgrade():
    with op.batch_alter_table("forum_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_threads_cluster_latest", sqlite_where=sa.text("removed_at IS NULL"),
                            postgresql_where=sa.text("removed_at IS NULL"))
