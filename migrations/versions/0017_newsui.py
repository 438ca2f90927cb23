"""Newsletter topics: what subscribers choose to receive and what an issue is about (bit masks).

Revision ID: 0017_newsui
Revises: 0016_convenings
Create Date: 2026-11-30 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_newsui'
down_revision = '0016_convenings'
branch_labels = None
depends_on = None


def upgrade():
    # Everyone already on the list keeps receiving every topic (15: the four topics' bits).
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topics', sa.Integer(), server_default='15', nullable=False))
    # Issues already composed or sent were about everything.
    with op.batch_alter_table('newsletter_issues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topics', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('newsletter_issues', schema=None) as batch_op:
        batch_op.drop_column('topics')
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.drop_column('topics')
