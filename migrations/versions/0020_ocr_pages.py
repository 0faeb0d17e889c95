"""OCR of scanned pages: ocr_pages (text, confidence, flag and word boxes per page)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 16:20:00.000000

The ``ocr_pages`` job kind needs no schema change: jobs.kind is a plain string column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ocr_pages",
        sa.Column("id", ID, nullable=False),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("state", sa.Enum("queued", "running", "done", "failed", name="ocrstate",
                                   native_enum=False, length=24), nullable=False),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("flagged", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("words", JSON, nullable=False),
        sa.Column("rotation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skew", sa.Float(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"],
                                name=op.f("fk_ocr_pages_asset_id_assets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocr_pages")),
        sa.UniqueConstraint("asset_id", "page", name="uq_ocr_pages_asset_page"),
    )
    with op.batch_alter_table("ocr_pages", schema=None) as batch_op:
        batch_op.create_index("ix_ocr_pages_flagged", ["flagged", "asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ocr_pages", schema=None) as batch_op:
        batch_op.drop_index("ix_ocr_pages_flagged")
    op.drop_table("ocr_pages")
