"""library: each toolkit area names the organizer who curates it

Revision ID: 0018_library
Revises: 0017_newsui
Create Date: 2026-11-30 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018_library"
down_revision = "0017_newsui"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("toolkit_areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("curator_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_toolkit_areas_curator_id_users"),
                                    "users", ["curator_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("toolkit_areas", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_toolkit_areas_curator_id_users"), type_="foreignkey")
        batch_op.drop_column("curator_id")
