"""programme: the government programme (programa) an asset documents, and its batch's

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 19:00:00.000000

``assets.programme`` and ``batches.programme`` (nullable, like ``campaign`` and ``area``).
Reports count material by programme, so on PostgreSQL the two date indexes of 0023 INCLUDE it
too (a report stays an index-only scan); SQLite's indexes carry no INCLUDE and stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ["id", "event", "area", "campaign", "sublocation", "creator", "workflow_state",
          "media_type", "internal_only", "contains_minors", "embargo_until"]
AFTER = ["id", "event", "area", "programme", "campaign", "sublocation", "creator",
         "workflow_state", "media_type", "internal_only", "contains_minors", "embargo_until"]
PUBLISHED = sa.text("workflow_state = 'published'")


def _date_indexes(include: list[str]) -> None:
    """Rebuild the report indexes with ``include`` (PostgreSQL only: nothing changes on SQLite)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_assets_published_taken_at", table_name="assets")
    op.drop_index("ix_assets_taken_at", table_name="assets")
    op.create_index("ix_assets_taken_at", "assets", ["taken_at"], postgresql_include=include)
    op.create_index("ix_assets_published_taken_at", "assets", ["taken_at"],
                    postgresql_include=include, postgresql_where=PUBLISHED)


def upgrade() -> None:
    op.add_column("assets", sa.Column("programme", sa.String(length=500), nullable=True))
    op.add_column("batches", sa.Column("programme", sa.String(length=500), nullable=True))
    _date_indexes(AFTER)


def downgrade() -> None:
    _date_indexes(BEFORE)
    with op.batch_alter_table("batches") as batch_op:
        batch_op.drop_column("programme")
    with op.batch_alter_table("assets") as batch_op:
        batch_op.drop_column("programme")
