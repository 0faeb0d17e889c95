"""the search's synonym vocabulary, with the office's common groups to start from

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Admins edit these under Vocabularios → Sinónimos de la búsqueda; one group a line.
STARTER_GROUPS = (
    "sismo = temblor",
    "cubrebocas = tapabocas = mascarilla",
    "alcaldesa = titular",
    "DGODU = Dirección General de Obras y Desarrollo Urbano",
    "DGSU = Dirección General de Servicios Urbanos",
    "DGDS = Dirección General de Desarrollo Social",
    "DGPC = Dirección General de Protección Civil",
    "DGSC = Dirección General de Seguridad Ciudadana",
    "UH = unidad habitacional",
    "pipa = carro tanque",
)

_terms = sa.table(
    "vocabulary_terms",
    sa.column("vocabulary", sa.String),
    sa.column("label", sa.String),
    sa.column("active", sa.Boolean),
)


def upgrade() -> None:
    # The vocabulary column is a plain string (a non-native enum): "synonym" needs no DDL.
    existing = {row[0] for row in op.get_bind().execute(
        sa.select(_terms.c.label).where(_terms.c.vocabulary == "synonym"))}
    rows = [{"vocabulary": "synonym", "label": label, "active": True}
            for label in STARTER_GROUPS if label not in existing]
    if rows:
        op.bulk_insert(_terms, rows)


def downgrade() -> None:
    op.execute(_terms.delete().where(_terms.c.vocabulary == "synonym"))
