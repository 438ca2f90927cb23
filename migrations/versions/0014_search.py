"""Search finds technical-assistance requests (the county of a `county` document); their files.

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

    op.create_table('assistance_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('extraction_state', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('held_reason', sa.String(length=300), nullable=True),
    sa.Column('guard_confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_requests.id'], name=op.f('fk_assistance_attachments_request_id_assistance_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_assistance_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_assistance_attachments_stored_name'))
    )
    with op.batch_alter_table('assistance_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_attachments_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assistance_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_attachments_request_id'))
    op.drop_table('assistance_attachments')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_column('audience_county_id')
