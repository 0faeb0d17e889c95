"""publications and press clippings: series, issue number, medium, tone... as asset columns

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 16:00:00.000000

The new PublicationKind value ``clipping`` and the Tone values need no schema change: both are
non-native enums (plain strings, no CHECK constraint).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TONE = sa.Enum("positive", "neutral", "negative", name="tone", native_enum=False, length=24)


def upgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("issue_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("publication_format", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("distribution", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("medium", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("section", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("clipping_page", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("web_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("captured_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("tone", TONE, nullable=True))
        batch_op.create_index("ix_assets_series_issue", ["series", "issue_number"], unique=False)
        batch_op.create_index("ix_assets_medium", ["medium"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_medium")
        batch_op.drop_index("ix_assets_series_issue")
        for name in ("tone", "captured_on", "web_url", "clipping_page", "section", "medium",
                     "distribution", "publication_format", "issue_number", "series"):
            batch_op.drop_column(name)
