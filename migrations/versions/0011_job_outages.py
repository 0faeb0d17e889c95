"""jobs: transient retries and their latest reason (outages do not use up tries)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 13:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transient_retries", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("transient_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("transient_error")
        batch_op.drop_column("transient_retries")
