"""report indexes: the date index carries what reports count by; undated material; audit actions

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 16:20:00.000000

Reports (dam.reports.figures) count material by date taken, grouped by area, event, colonia...
On PostgreSQL ``ix_assets_taken_at`` now INCLUDEs those columns, so each chart is an index-only
scan of the period; material without its own date is found through its batch's event date.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORT_COLUMNS = ["id", "event", "area", "campaign", "sublocation", "creator", "workflow_state",
                  "media_type", "internal_only", "contains_minors", "embargo_until"]
UNDATED = sa.text("taken_at IS NULL")
PUBLISHED = sa.text("workflow_state = 'published'")


def upgrade() -> None:
    op.drop_index("ix_assets_taken_at", table_name="assets")
    op.create_index("ix_assets_taken_at", "assets", ["taken_at"],
                    postgresql_include=REPORT_COLUMNS)
    op.create_index("ix_assets_published_taken_at", "assets", ["taken_at"],
                    postgresql_include=REPORT_COLUMNS, postgresql_where=PUBLISHED,
                    sqlite_where=PUBLISHED)
    op.create_index("ix_assets_undated_batch", "assets", ["batch_id"],
                    postgresql_where=UNDATED, sqlite_where=UNDATED)
    op.create_index("ix_batches_event_date", "batches", ["event_date"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.drop_index("ix_batches_event_date", table_name="batches")
    op.drop_index("ix_assets_undated_batch", table_name="assets")
    op.drop_index("ix_assets_published_taken_at", table_name="assets")
    op.drop_index("ix_assets_taken_at", table_name="assets")
    op.create_index("ix_assets_taken_at", "assets", ["taken_at"])
