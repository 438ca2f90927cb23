"""convenings: a version row that every write to what calendars show changes (triggers)

Revision ID: 0023_events_version
Revises: 0022_cluster_threads
Create Date: 2026-12-01 18:40:00

The calendar's kept listings, pages and feeds are keyed by this number instead of an aggregate
over every event (whose cost grew with the calendar, and which missed an edit stamped before
another that committed first). The statements are those of
`community.convenings.models.events_version_sql` (`community.caching.counter_sql`), written out
here as they were when this migration was made.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_events_version"
down_revision = "0022_cluster_threads"
branch_labels = None
depends_on = None

TABLES = ("events", "event_exceptions", "event_sessions", "clusters")


def upgrade():
    op.create_table(
        "events_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_version")),
    )
    op.execute("INSERT INTO events_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS events_version_numbers")
        op.execute("CREATE OR REPLACE FUNCTION bump_events_version() RETURNS trigger AS $$ BEGIN UPDATE "
                   "events_version SET version = nextval('events_version_numbers') WHERE id = 1; RETURN NULL; "
                   "END; $$ LANGUAGE plpgsql")
        for table in TABLES:
            op.execute(f"CREATE OR REPLACE TRIGGER events_version_{table} AFTER INSERT OR UPDATE OR DELETE "
                       f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_events_version()")
    else:
        for table in TABLES:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER IF NOT EXISTS events_version_{table}_{verb.lower()} AFTER {verb} "
                           f"ON {table} BEGIN UPDATE events_version SET version = version + 1 WHERE id = 1; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS events_version_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_events_version()")
        op.execute("DROP SEQUENCE IF EXISTS events_version_numbers")
    else:
        for table in TABLES:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS events_version_{table}_{verb}")
    op.drop_table("events_version")
