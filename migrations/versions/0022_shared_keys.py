"""shared keys: the fingerprint of each secret every node must hold the same copy of

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 16:10:00.000000

``dam init`` records the SHA-256 fingerprint (never the key) of the URL-signing key (the web
sessions' secret derives from it), the C2PA chain and key and the gallery manifest key; ``dam
check`` compares each node's copy with them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "shared_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("shared_keys")
