"""upload parts: chunks of resumable uploads kept in the object store

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 16:10:00.000000

``uploads.state`` gains the value ``assembling``: a non-native enum without a CHECK
constraint, so no schema change is needed for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload_parts",
        sa.Column("upload_id", sa.String(32),
                  sa.ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.BigInteger(), primary_key=True),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("upload_parts")
