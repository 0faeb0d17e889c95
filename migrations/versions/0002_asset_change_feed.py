"""asset change feed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 13:57:40.933989
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_asset_changes")),
    )
    with op.batch_alter_table("asset_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_changes_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_changes_asset_id"))

    op.drop_table("asset_changes")
