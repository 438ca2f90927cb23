"""Events: who cancelled a registration (the person, an organizer, or access that ended).

Revision ID: 0016_convenings
Revises: 0015_checklist
Create Date: 2026-11-30 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_convenings'
down_revision = '0015_checklist'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=20), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.drop_column('cancelled_by')
