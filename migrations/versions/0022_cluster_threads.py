"""forums: each cluster's thread count, kept by triggers on forum_threads

Revision ID: 0022_cluster_threads
Revises: 0021_latest_threads
Create Date: 2026-12-01 18:20:00

The cluster list read every thread of the forum to count them per cluster on each view. The
statements are those of `community.forums.models.cluster_threads_sql`, written out here as they
were when this migration was made.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_cluster_threads"
down_revision = "0021_latest_threads"
branch_labels = None
depends_on = None

ADD = ("INSERT INTO forum_cluster_threads (cluster_id, threads) VALUES ({}, 1) "
       "ON CONFLICT (cluster_id) DO UPDATE SET threads = forum_cluster_threads.threads + 1")
TAKE = "UPDATE forum_cluster_threads SET threads = threads - 1 WHERE cluster_id = {}"
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION count_forum_cluster_threads() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' THEN IF OLD.removed_at IS NULL THEN "
    f"{TAKE.format('OLD.cluster_id')}; END IF; END IF; "
    "IF TG_OP <> 'DELETE' THEN IF NEW.removed_at IS NULL THEN "
    f"{ADD.format('NEW.cluster_id')}; END IF; END IF; "
    "RETURN NULL; END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION clear_forum_cluster_threads() RETURNS trigger AS $$ BEGIN "
    "DELETE FROM forum_cluster_threads; RETURN NULL; END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE TRIGGER forum_cluster_threads AFTER INSERT OR DELETE OR UPDATE OF "
    "cluster_id, removed_at ON forum_threads FOR EACH ROW EXECUTE FUNCTION count_forum_cluster_threads()",
    "CREATE OR REPLACE TRIGGER forum_cluster_threads_truncate AFTER TRUNCATE ON forum_threads "
    "FOR EACH STATEMENT EXECUTE FUNCTION clear_forum_cluster_threads()",
]
SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS forum_cluster_threads_insert AFTER INSERT ON forum_threads "
    f"WHEN NEW.removed_at IS NULL BEGIN {ADD.format('NEW.cluster_id')}; END",
    "CREATE TRIGGER IF NOT EXISTS forum_cluster_threads_delete AFTER DELETE ON forum_threads "
    f"WHEN OLD.removed_at IS NULL BEGIN {TAKE.format('OLD.cluster_id')}; END",
    "CREATE TRIGGER IF NOT EXISTS forum_cluster_threads_update AFTER UPDATE OF cluster_id, removed_at "
    f"ON forum_threads BEGIN {TAKE.format('OLD.cluster_id')} AND OLD.removed_at IS NULL; "
    f"{ADD.replace('VALUES ({}, 1)', 'SELECT NEW.cluster_id, 1 WHERE NEW.removed_at IS NULL')}; END",
]


def upgrade():
    op.create_table(
        "forum_cluster_threads",
        sa.Column("cluster_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("threads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cluster_id", name=op.f("pk_forum_cluster_threads")),
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.execute("INSERT INTO forum_cluster_threads (cluster_id, threads) SELECT cluster_id, count(*) "
               "FROM forum_threads WHERE removed_at IS NULL GROUP BY cluster_id")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS forum_cluster_threads_truncate ON forum_threads")
        op.execute("DROP TRIGGER IF EXISTS forum_cluster_threads ON forum_threads")
        op.execute("DROP FUNCTION IF EXISTS clear_forum_cluster_threads()")
        op.execute("DROP FUNCTION IF EXISTS count_forum_cluster_threads()")
    else:
        for verb in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS forum_cluster_threads_{verb}")
    op.drop_table("forum_cluster_threads")
