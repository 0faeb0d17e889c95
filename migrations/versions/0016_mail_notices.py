"""mail queue and notices: mail_messages, users.notices_off, saved_searches.digest_at

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-05 14:40:00.000000

The ``send_mail`` job kind needs no schema change: jobs.kind is a plain string column
(non-native enum, no CHECK constraint).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOW = sa.text("(CURRENT_TIMESTAMP)")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mail_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("job_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("to_addr", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"],
                                name=op.f("fk_mail_messages_job_id_jobs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_mail_messages_user_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_messages_dedupe_key")),
    )
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_messages_job_id"), ["job_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notices_off", JSON, server_default="[]", nullable=False))
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.drop_column("digest_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notices_off")
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_messages_job_id"))
    op.drop_table("mail_messages")
