"""redaction: digests are rendered when sent, from the notifications they carry

Revision ID: 0006_redact
Revises: 0005_newsletters
Create Date: 2026-11-30 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_redact"
down_revision = "0005_newsletters"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("forum_digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("forum_notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_forum_notifications_digest_id"), ["digest_id"],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_forum_notifications_digest_id_forum_digests"),
                                    "forum_digests", ["digest_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("forum_notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_forum_notifications_digest_id_forum_digests"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_forum_notifications_digest_id"))
        batch_op.drop_column("digest_id")
    with op.batch_alter_table("forum_digests", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
