"""Scheduled fixity: a bounded share per housekeeping pass, repairs from the replica store."""

from __future__ import annotations

import shutil
from pathlib import Path

from dam.context import Context, open_context
from dam.fixity_schedule import due_per_pass, fixity_status, rolling_fixity
from dam.models import Asset, FixityCheck
from tests.conftest import init_catalog, make_settings
from tests.handover.archive import add_asset
from web.housekeeping import run_housekeeping


def test_a_pass_checks_enough_to_cover_the_store_in_a_cycle() -> None:
    assert due_per_pass(0, 90, 60) == 0
    assert due_per_pass(10_000, 90, 60) == 1  # at least one per pass
    assert due_per_pass(1_000_000, 90, 60) == 8  # 1e6 * 60 / (90 * 86400) = 7.7
    assert due_per_pass(500, 0, 60) == 0  # 0 days: no scheduled fixity
    assert 1_000_000 / due_per_pass(1_000_000, 90, 60) * 60 / 86_400 <= 90


def _archive(ctx: Context) -> list[int]:
    return [add_asset(ctx, f"picture {i}".encode() * 200, f"f{i}.jpg") for i in range(3)]


def test_housekeeping_checks_the_least_recently_checked_originals(ctx: Context) -> None:
    ids = _archive(ctx)
    seen = set()
    for _ in range(3):
        assert run_housekeeping(ctx).fixity_checked == 1
        with ctx.catalog.read() as s:
            seen |= {a for a in s.query(FixityCheck.asset_id)}
    assert {a for (a,) in seen} == set(ids)  # one each pass, the whole store in three
    status = fixity_status(ctx.catalog, 90)
    assert status["checked_this_cycle"] == 3 and status["damaged"] == []


def test_damage_is_restored_from_the_replica_else_reported(tmp_path: Path) -> None:
    replica_dir = tmp_path / "replica"
    settings = make_settings(tmp_path, replica_store_url=f"file://{replica_dir}")
    init_catalog(settings)
    ctx = open_context(settings)
    try:
        ids = _archive(ctx)
        shutil.copytree(Path(settings.data_dir) / "store", replica_dir)
        with ctx.catalog.read() as s:
            damaged, missing, lost = (s.get(Asset, i) for i in ids)
            s.expunge_all()
        good = ctx.store.read_bytes(damaged.original_key)
        ctx.store.put_bytes(damaged.original_key, b"bit rot" + good[7:])
        ctx.store.delete(missing.original_key)
        ctx.store.delete(lost.original_key)
        (replica_dir / lost.original_key).unlink()  # no second copy of this one
        report = rolling_fixity(ctx.catalog, ctx.store, settings, limit=10)
        assert report.checked == 3 and report.repaired == 2
        assert ctx.store.read_bytes(damaged.original_key) == good
        assert ctx.store.exists(missing.original_key)
        assert [p.asset_id for p in report.problems] == [lost.id]
        assert fixity_status(ctx.catalog, 90)["damaged"] == [lost.id]
        with ctx.catalog.read() as s:
            notes = {c.asset_id: c.detail for c in s.query(FixityCheck)}
        assert notes[damaged.id] == "restored from the replica store"
        assert "missing" in notes[lost.id]
    finally:
        ctx.close()
