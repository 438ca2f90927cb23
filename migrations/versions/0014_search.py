"""Search: the county a `county`-visibility document belongs to (technical-assistance requests).

Revision ID: 0014_search
Revises: 0013_reply_mail
Create Date: 2026-11-30 22:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_search'
down_revision = '0013_reply_mail'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience_county_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_column('audience_county_id')
