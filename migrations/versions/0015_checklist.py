"""The getting-started checklist on the home page can be hidden.

Revision ID: 0015_checklist
Revises: 0014_search
Create Date: 2026-11-30 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_checklist'
down_revision = '0014_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checklist_hidden_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('checklist_hidden_at')
