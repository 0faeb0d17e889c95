"""A catalog rebuilt from the store keeps the trash as it was, never brings back what was purged
or erased, and keeps the tombstones, so an erased file is still refused."""

from __future__ import annotations

from pathlib import Path

from dam.catalog import BatchInfo
from dam.context import Context, open_context
from dam.curation.actor import SYSTEM
from dam.curation.erasure import erase_asset
from dam.curation.trash import empty_trash, trash_assets
from dam.enums import IntakeOutcome
from dam.models import Asset, Erasure
from dam.rebuild import rebuild_from_store
from ingest.batching import ingest_paths
from tests.conftest import init_catalog, make_settings
from tests.curation.test_trash import ingest_photos
from tests.media import make_photo
from web.housekeeping import run_housekeeping


def test_rebuild_keeps_trash_and_tombstones_and_forgets_what_was_removed(
        ctx: Context, tmp_path: Path) -> None:
    trashed, purged, erased, kept = ingest_photos(ctx, tmp_path / "card", count=4, seed=90)
    with ctx.catalog.write() as session:
        trash_assets(session, SYSTEM, [trashed, purged])
    empty_trash(ctx.catalog, [ctx.store], SYSTEM, [purged])
    erase_asset(ctx.catalog, [ctx.store], SYSTEM, erased, "Mandato del INFO CDMX 88/2026")
    run_housekeeping(ctx)
    settings = make_settings(tmp_path / "new", store_url=ctx.settings.store_url)
    init_catalog(settings)
    rebuilt = open_context(settings)
    try:
        rebuild_from_store(rebuilt.catalog, rebuilt.store)
        with rebuilt.catalog.read() as session:
            assert sorted(session.query(Asset.id)) == [(trashed,), (kept,)]
            assert session.get(Asset, trashed).trashed_at is not None
            assert [e.asset_id for e in session.query(Erasure)] == [erased]
        again = make_photo(tmp_path / "again" / "x.jpg", (320, 240), seed=92)  # the erased one
        (result,) = ingest_paths(rebuilt, [again], BatchInfo(event="x")).results
        assert result.outcome is IntakeOutcome.FAILED and "legal mandate" in result.error
    finally:
        rebuilt.close()
