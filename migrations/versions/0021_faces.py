"""faces: face_groups, faces, assets.face_people, collections.blur_minors

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 16:10:00.000000

The ``find_faces`` job kind needs no schema change: jobs.kind is a plain string column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOW = sa.text("(CURRENT_TIMESTAMP)")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "face_groups",
        sa.Column("id", ID, nullable=False),
        sa.Column("person_term_id", ID, nullable=True),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
        sa.Column("face_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_term_id"], ["vocabulary_terms.id"],
            name=op.f("fk_face_groups_person_term_id_vocabulary_terms"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_groups")),
    )
    with op.batch_alter_table("face_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_groups_person_term_id"), ["person_term_id"])
        batch_op.create_index(batch_op.f("ix_face_groups_updated_at"), ["updated_at"])
    op.create_table(
        "faces",
        sa.Column("id", ID, nullable=False),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("left", sa.Float(), nullable=False),
        sa.Column("top", sa.Float(), nullable=False),
        sa.Column("right", sa.Float(), nullable=False),
        sa.Column("bottom", sa.Float(), nullable=False),
        sa.Column("descriptor", sa.LargeBinary(), nullable=False),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("source", sa.Enum("detected", "confirmed", "rejected", name="facesource",
                                    native_enum=False, length=24),
                  server_default="detected", nullable=False),
        sa.Column("minor", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"],
                                name=op.f("fk_faces_asset_id_assets"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["face_groups.id"],
                                name=op.f("fk_faces_group_id_face_groups"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faces")),
    )
    with op.batch_alter_table("faces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_faces_asset_id"), ["asset_id"])
        batch_op.create_index(batch_op.f("ix_faces_group_id"), ["group_id"])
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("face_people", JSON, server_default="[]", nullable=False))
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blur_minors", sa.Boolean(), server_default="0",
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_column("blur_minors")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("face_people")
    op.drop_table("faces")
    op.drop_table("face_groups")
