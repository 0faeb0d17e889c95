"""initial catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:49:57.221978
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=500), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("area", sa.String(length=500), nullable=True),
        sa.Column("place", sa.String(length=500), nullable=True),
        sa.Column("photographer", sa.String(length=200), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "media_type",
            sa.Enum(
                "photo",
                "video",
                "audio",
                "document",
                "other",
                name="mediatype",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("original_filename", sa.String(length=1000), nullable=False),
        sa.Column("original_key", sa.String(length=300), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "processing",
                "ready",
                "failed",
                name="assetstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("orientation", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("taken_at_offset_minutes", sa.Integer(), nullable=True),
        sa.Column("camera_make", sa.String(length=200), nullable=True),
        sa.Column("camera_model", sa.String(length=200), nullable=True),
        sa.Column("lens_model", sa.String(length=200), nullable=True),
        sa.Column("camera_serial", sa.String(length=200), nullable=True),
        sa.Column("exposure_time", sa.Float(), nullable=True),
        sa.Column("f_number", sa.Float(), nullable=True),
        sa.Column("iso", sa.Integer(), nullable=True),
        sa.Column("focal_length", sa.Float(), nullable=True),
        sa.Column("gps_latitude", sa.Float(), nullable=True),
        sa.Column("gps_longitude", sa.Float(), nullable=True),
        sa.Column("gps_altitude", sa.Float(), nullable=True),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("creator", sa.String(length=500), nullable=True),
        sa.Column("credit", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("copyright_notice", sa.Text(), nullable=True),
        sa.Column("usage_terms", sa.Text(), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("sublocation", sa.String(length=500), nullable=True),
        sa.Column("state_province", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("country_code", sa.String(length=8), nullable=True),
        sa.Column("event", sa.String(length=500), nullable=True),
        sa.Column("area", sa.String(length=500), nullable=True),
        sa.Column(
            "persons_shown",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "metadata_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("phash", sa.String(length=32), nullable=True),
        sa.Column("fixity_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fixity_ok", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_assets_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("sha256", name=op.f("uq_assets_sha256")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assets_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_assets_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_phash"), ["phash"], unique=False)
        batch_op.create_index("ix_assets_state", ["state"], unique=False)
        batch_op.create_index("ix_assets_taken_at", ["taken_at"], unique=False)

    op.create_table(
        "fixity_checks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_fixity_checks_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixity_checks")),
    )
    with op.batch_alter_table("fixity_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fixity_checks_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "intake_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("original_filename", sa.String(length=1000), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "new", "duplicate", "failed", name="intakeoutcome", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_intake_items_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_intake_items_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_items")),
    )
    with op.batch_alter_table("intake_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_items_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intake_items_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("process_asset", name="jobkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "queued", "running", "done", "failed", name="jobstate", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_jobs_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_asset_id", ["asset_id"], unique=False)
        batch_op.create_index("ix_jobs_claim", ["state", "priority", "run_after"], unique=False)

    op.create_table(
        "renditions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("thumbnail", "preview", name="renditionkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_renditions_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("asset_id", "kind", name="uq_renditions_asset_kind"),
    )
    op.create_table(
        "watched_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("relative_path", sa.Text(), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column(
            "intake_item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_item_id"],
            ["intake_items.id"],
            name=op.f("fk_watched_files_intake_item_id_intake_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watched_files")),
        sa.UniqueConstraint(
            "folder", "relative_path", "byte_size", "mtime_ns", name="uq_watched_file"
        ),
    )


def downgrade() -> None:
    op.drop_table("watched_files")
    op.drop_table("renditions")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_claim")
        batch_op.drop_index("ix_jobs_asset_id")

    op.drop_table("jobs")
    with op.batch_alter_table("intake_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_items_batch_id"))
        batch_op.drop_index(batch_op.f("ix_intake_items_asset_id"))

    op.drop_table("intake_items")
    with op.batch_alter_table("fixity_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fixity_checks_asset_id"))

    op.drop_table("fixity_checks")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_taken_at")
        batch_op.drop_index("ix_assets_state")
        batch_op.drop_index(batch_op.f("ix_assets_phash"))
        batch_op.drop_index("ix_assets_created_at_id")
        batch_op.drop_index(batch_op.f("ix_assets_batch_id"))

    op.drop_table("assets")
    op.drop_table("batches")
