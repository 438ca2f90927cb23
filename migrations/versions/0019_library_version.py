"""library: a version row that every write to the library's tables raises (triggers)

Revision ID: 0019_library_version
Revises: 0018_library
Create Date: 2026-12-01 02:40:00

The library's kept pages are keyed by this number instead of an aggregate over every resource
(whose cost grew with the library). The statements are those of
`community.resources.models.library_version_sql`, written out here as they were when this
migration was made.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_library_version"
down_revision = "0018_library"
branch_labels = None
depends_on = None

TABLES = ("resources", "resource_versions", "resource_clusters")
BUMP = "UPDATE library_version SET version = version + 1 WHERE id = 1"


def upgrade():
    op.create_table(
        "library_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_version")),
    )
    op.execute("INSERT INTO library_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION bump_library_version() RETURNS trigger AS $$ "
                   f"BEGIN {BUMP}; RETURN NULL; END; $$ LANGUAGE plpgsql")
        for table in TABLES:
            op.execute(f"CREATE OR REPLACE TRIGGER library_version_{table} AFTER INSERT OR UPDATE OR DELETE "
                       f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_library_version()")
    else:
        for table in TABLES:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER IF NOT EXISTS library_version_{table}_{verb.lower()} AFTER {verb} "
                           f"ON {table} BEGIN {BUMP}; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS library_version_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_library_version()")
    else:
        for table in TABLES:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS library_version_{table}_{verb}")
    op.drop_table("library_version")
