"""report rollup: material per day and grouped value, kept exact by marking changed days

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-05 19:00:00.000000

Reports (dam.reports.figures) on PostgreSQL sum ``report_day_counts`` over the period instead of
grouping every asset of it. Statement triggers on ``assets`` and ``batches`` only log the days
(Mexico City: the date taken's day, else the batch's event date) whose material changed in
``report_dirty_days`` (for a batch: its event date and the days of its assets, which inherit
its event, area, place and photographer when they lack them); a report, or housekeeping, counts
those days again from ``assets`` and replaces their rows (dam.reports.rollup). The triggers
write one row per statement and day to a table without a unique key, so writers never wait on
each other.

Also an index of the date of publication, by which the printed archive's charts read a period,
and the date indexes of 0023 carry ``batch_id`` and ``trashed_at`` too, so a recount reads the
index alone.

Nothing is counted here: every day that has material is logged dirty (one pass over the date
index), and the first report of a period, or the next housekeeping, counts it.

A new grouped column of assets needs its name in ASSET_COLUMNS (a change to it must mark the
day) and, if the rollup already holds days, every day marked again (MARK_EVERY_DAY).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns of assets a report counts by or dates by: a change to any marks the old and new day.
ASSET_COLUMNS = ("taken_at", "batch_id", "trashed_at", "event", "area", "programme", "campaign",
                 "sublocation", "creator", "workflow_state", "media_type")
# Columns of batches that material inherits when it lacks them (and dates undated material by).
BATCH_COLUMNS = ("event_date", "event", "area", "programme", "place", "photographer")

# The day a report dates an asset by: its own date taken (naive, Mexico City), else its batch's.
DAY_OF = "coalesce({row}.taken_at::date, {batch}.event_date)"

DATED_PIECE = sa.text("distribution_date IS NOT NULL")
PUBLISHED = sa.text("workflow_state = 'published'")
# The date indexes (0023) also carry what a recount reads, so it reads the index alone.
DATE_INDEXES = {"ix_assets_taken_at": None, "ix_assets_published_taken_at": PUBLISHED}
ALSO_INCLUDED = ["batch_id", "trashed_at"]

MARK_EVERY_DAY = """
INSERT INTO report_dirty_days (day)
SELECT day FROM (SELECT DISTINCT taken_at::date AS day FROM assets WHERE taken_at IS NOT NULL
                 UNION SELECT event_date FROM batches WHERE event_date IS NOT NULL) AS days
"""


def _rows_of(rows: str) -> str:
    """Mark the days of the inserted or deleted ``rows`` (a transition table)."""
    return f"""
INSERT INTO report_dirty_days (day)
SELECT DISTINCT {DAY_OF.format(row='r', batch='b')} AS day
FROM {rows} AS r LEFT JOIN batches AS b ON b.id = r.batch_id
WHERE {DAY_OF.format(row='r', batch='b')} IS NOT NULL"""


def _changed(columns: Sequence[str]) -> str:
    before = ", ".join(f"o.{c}" for c in columns)
    after = ", ".join(f"n.{c}" for c in columns)
    return f"({before}) IS DISTINCT FROM ({after})"


ASSETS_UPDATED = f"""
INSERT INTO report_dirty_days (day)
SELECT DISTINCT v.day
FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
LEFT JOIN batches AS bo ON bo.id = o.batch_id LEFT JOIN batches AS bn ON bn.id = n.batch_id
CROSS JOIN LATERAL (VALUES ({DAY_OF.format(row='o', batch='bo')}),
                           ({DAY_OF.format(row='n', batch='bn')})) AS v(day)
WHERE v.day IS NOT NULL AND {_changed(ASSET_COLUMNS)}"""

# Its assets inherit what they lack from their batch: a change marks the batch's old and new
# event date (its undated assets) and the days of its dated assets.
BATCHES_UPDATED = f"""
INSERT INTO report_dirty_days (day)
SELECT DISTINCT v.day
FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
CROSS JOIN LATERAL (SELECT o.event_date UNION SELECT n.event_date
                    UNION SELECT a.taken_at::date FROM assets AS a
                    WHERE a.batch_id = n.id AND a.taken_at IS NOT NULL) AS v(day)
WHERE v.day IS NOT NULL AND {_changed(BATCH_COLUMNS)}"""

BATCHES_DELETED = """
INSERT INTO report_dirty_days (day)
SELECT DISTINCT event_date FROM old_rows WHERE event_date IS NOT NULL"""

# Emptying assets (TRUNCATE, also through batches) empties what counted them.
TRUNCATED = "DELETE FROM report_day_counts; DELETE FROM report_dirty_days"

# (trigger and function name, table, event, transition tables, body)
TRIGGERS = (
    ("report_assets_inserted", "assets", "INSERT", "NEW TABLE AS new_rows",
     _rows_of("new_rows")),
    ("report_assets_updated", "assets", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     ASSETS_UPDATED),
    ("report_assets_deleted", "assets", "DELETE", "OLD TABLE AS old_rows",
     _rows_of("old_rows")),
    ("report_assets_truncated", "assets", "TRUNCATE", "", TRUNCATED),
    ("report_batches_updated", "batches", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows", BATCHES_UPDATED),
    ("report_batches_deleted", "batches", "DELETE", "OLD TABLE AS old_rows", BATCHES_DELETED),
)


def _rebuild_date_indexes(add: bool) -> None:
    """Each date index again with ALSO_INCLUDED added to (or taken from) what it carries now
    (read from the catalog, so columns a later migration added stay carried)."""
    found = {ix["name"]: ix for ix in sa.inspect(op.get_bind()).get_indexes("assets")}
    for name, where in DATE_INDEXES.items():
        carried = list(found[name]["dialect_options"].get("postgresql_include", []))
        wanted = ([*carried, *(c for c in ALSO_INCLUDED if c not in carried)] if add
                  else [c for c in carried if c not in ALSO_INCLUDED])
        if wanted == carried:
            continue
        op.drop_index(name, table_name="assets")
        op.create_index(name, "assets", ["taken_at"], postgresql_include=wanted,
                        postgresql_where=where)


def upgrade() -> None:
    op.create_table(
        "report_day_counts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("dimension", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text(), primary_key=True),
        sa.Column("material", sa.Integer(), nullable=False),
    )
    op.create_table(
        "report_dirty_days",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
    )
    op.create_index("ix_report_dirty_days_day", "report_dirty_days", ["day"])
    # The printed archive's charts read the period's publications, not every asset.
    op.create_index("ix_assets_distribution_date", "assets", ["distribution_date"],
                    postgresql_where=DATED_PIECE, sqlite_where=DATED_PIECE)
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite counts live (small archives): no rollup to keep
    _rebuild_date_indexes(add=True)
    # Both tables are rewritten a day at a time: vacuum them long before the default 20 % of
    # dead rows, so a year's sum does not wade through the days counted before.
    for table in ("report_day_counts", "report_dirty_days"):
        op.execute(f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.02, "
                   "autovacuum_analyze_scale_factor = 0.05)")
    for name, table, event, referencing, body in TRIGGERS:
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN\n{body};\nRETURN NULL;\nEND\n$$")
        transition = f"REFERENCING {referencing} " if referencing else ""
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} {transition}"
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    op.execute(MARK_EVERY_DAY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, *_rest in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        _rebuild_date_indexes(add=False)
    op.drop_index("ix_assets_distribution_date", table_name="assets")
    op.drop_index("ix_report_dirty_days_day", table_name="report_dirty_days")
    op.drop_table("report_dirty_days")
    op.drop_table("report_day_counts")
