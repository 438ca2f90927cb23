"""The confidentiality guard holds an uploaded file whose text looks like client data.

Revision ID: 0007_guard
Revises: 0006_redact
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007_guard"
down_revision = "0006_redact"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resource_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("guard_confirmed_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("resource_versions", schema=None) as batch_op:
        batch_op.drop_column("guard_confirmed_at")
        batch_op.drop_column("held_reason")
