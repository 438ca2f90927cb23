"""search: a version row that every write to the search tables changes; counters from sequences

Revision ID: 0020_search_version
Revises: 0019_library_version
Create Date: 2026-12-01 16:00:00

The PostgreSQL backend keeps each search's results under this number. On PostgreSQL both
counters (this one and the library's) now take their numbers from a sequence, so a number is
never given out twice: a transaction that rolled back leaves none that a later commit could
reuse. The statements are those of `community.caching.counter_sql`, written out here as they
were when this migration was made.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_search_version"
down_revision = "0019_library_version"
branch_labels = None
depends_on = None

COUNTERS = {"library_version": ("resources", "resource_versions", "resource_clusters"),
            "search_version": ("search_documents", "search_words")}


def upgrade():
    op.create_table(
        "search_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_version")),
    )
    op.execute("INSERT INTO search_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        for counter, tables in COUNTERS.items():
            op.execute(f"CREATE SEQUENCE IF NOT EXISTS {counter}_numbers")
            op.execute(f"SELECT setval('{counter}_numbers', GREATEST((SELECT version FROM {counter} WHERE id = 1) "
                       f"+ 1, (SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM {counter}_numbers), "
                       "1), false)")
            op.execute(f"CREATE OR REPLACE FUNCTION bump_{counter}() RETURNS trigger AS $$ BEGIN UPDATE "
                       f"{counter} SET version = nextval('{counter}_numbers') WHERE id = 1; RETURN NULL; END; "
                       "$$ LANGUAGE plpgsql")
            for table in tables:
                op.execute(f"CREATE OR REPLACE TRIGGER {counter}_{table} AFTER INSERT OR UPDATE OR DELETE "
                           f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_{counter}()")
    else:
        for table in COUNTERS["search_version"]:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER IF NOT EXISTS search_version_{table}_{verb.lower()} AFTER {verb} "
                           f"ON {table} BEGIN UPDATE search_version SET version = version + 1 WHERE id = 1; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in COUNTERS["search_version"]:
            op.execute(f"DROP TRIGGER IF EXISTS search_version_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_search_version()")
        op.execute("CREATE OR REPLACE FUNCTION bump_library_version() RETURNS trigger AS $$ BEGIN UPDATE "
                   "library_version SET version = version + 1 WHERE id = 1; RETURN NULL; END; $$ LANGUAGE plpgsql")
        for counter in COUNTERS:
            op.execute(f"DROP SEQUENCE IF EXISTS {counter}_numbers")
    else:
        for table in COUNTERS["search_version"]:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS search_version_{table}_{verb}")
    op.drop_table("search_version")
