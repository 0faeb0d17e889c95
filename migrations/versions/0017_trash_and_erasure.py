"""trash and legal erasure: assets.trashed_at / trashed_by, erasures (tombstones)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 16:10:00.000000

Only plain ADD COLUMN on assets (no foreign key): on SQLite a batch rebuild of ``assets``
would drop the table, and with foreign keys on that would cascade to every dependent row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("assets", sa.Column("trashed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("assets", sa.Column("trashed_by", ID, nullable=True))
    op.create_index(op.f("ix_assets_trashed_at"), "assets", ["trashed_at"], unique=False)
    op.create_table(
        "erasures",
        sa.Column("id", ID, nullable=False),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("files_removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    op.create_index(op.f("ix_erasures_asset_id"), "erasures", ["asset_id"], unique=False)
    op.create_index(op.f("ix_erasures_sha256"), "erasures", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_erasures_sha256"), table_name="erasures")
    op.drop_index(op.f("ix_erasures_asset_id"), table_name="erasures")
    op.drop_table("erasures")
    op.drop_index(op.f("ix_assets_trashed_at"), table_name="assets")
    # Plain DROP COLUMN (SQLite 3.35+): never a rebuild of assets (see above).
    op.drop_column("assets", "trashed_by")
    op.drop_column("assets", "trashed_at")
