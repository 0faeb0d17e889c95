"""Legal erasure: admins only, with a reason; every store key goes (replica too); a tombstone
stays; the same file handed in again is refused; fixity is quiet about it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dam.catalog import BatchInfo
from dam.context import Context, open_context
from dam.curation import erasure
from dam.enums import IntakeOutcome
from dam.fixity import run_fixity
from dam.fixity_schedule import check_one, replica_store, rolling_fixity
from dam.models import Asset, AuditEntry, Erasure, FixityCheck
from ingest.batching import ingest_paths
from tests.changefeed_check import record_fixture_writes
from tests.conftest import init_catalog, make_settings
from tests.curation.conftest import make_actors
from tests.curation.test_trash import ingest_photos, stored
from tests.media import make_photo
from web.housekeeping import run_housekeeping

REASON = "Revocación de consentimiento, oficio DCS/123/2026"


def _sha(ctx: Context, asset_id: int) -> str:
    with ctx.catalog.read() as session:
        return session.get(Asset, asset_id).sha256


def test_only_admins_erase_and_only_with_a_written_reason(ctx: Context, tmp_path: Path) -> None:
    actors = make_actors(ctx)
    (only,) = ingest_photos(ctx, tmp_path, count=1)
    for who in ("foto1", "editora", "prensa"):
        with pytest.raises(erasure.ErasureError, match="only admins"):
            erasure.erase_asset(ctx.catalog, [ctx.store], actors[who], only, REASON)
    for reason in ("", "   ", "porque sí"):
        with pytest.raises(erasure.ErasureError, match="written reason"):
            erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], only, reason)
    with pytest.raises(erasure.ErasureError, match="does not exist"):
        erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], 999, REASON)
    with ctx.catalog.read() as session:
        assert session.get(Asset, only) is not None
        assert session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_erasure_removes_every_store_key_and_keeps_a_tombstone(any_ctx: Context,
                                                                tmp_path: Path) -> None:
    actors = make_actors(any_ctx)
    gone, kept = ingest_photos(any_ctx, tmp_path)
    sha, other = _sha(any_ctx, gone), _sha(any_ctx, kept)
    before = stored(any_ctx)
    mine = {k for k in before if sha in k}
    assert len(mine) >= 4  # original, thumbnail, preview, store record
    report = erasure.erase_asset(any_ctx.catalog, [any_ctx.store], actors["admin"], gone,
                                 f"  {REASON}\n")
    after = stored(any_ctx)
    assert not any(sha in key for key in after)  # the whole store listing
    assert before - after == mine
    assert any(other in key for key in after)
    assert sorted(report.removal.deleted) == sorted(mine)
    with any_ctx.catalog.read() as session:
        assert session.get(Asset, gone) is None
        tomb = session.scalars(select(Erasure)).one()
        assert (tomb.asset_id, tomb.sha256, tomb.reason, tomb.username) == (
            gone, sha, REASON, "admin")
        assert tomb.files_removed_at is not None
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).one()
        assert (entry.asset_id, entry.detail) == (gone, REASON)


def test_the_same_file_handed_in_again_is_refused_and_not_stored(ctx: Context,
                                                                  tmp_path: Path) -> None:
    actors = make_actors(ctx)
    (only,) = ingest_photos(ctx, tmp_path / "a", count=1, seed=70)
    sha = _sha(ctx, only)
    erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], only, REASON)
    again = make_photo(tmp_path / "b" / "otra.jpg", (320, 240),
                                                     seed=70)
    report = ingest_paths(ctx, [again], BatchInfo(event="Otra vez"))
    (result,) = report.results
    assert result.outcome is IntakeOutcome.FAILED and result.asset_id is None
    assert result.error.startswith("erased by legal mandate on ")
    assert REASON in result.error
    assert not any(sha in key for key in stored(ctx))


def test_fixity_is_quiet_about_erased_originals_and_never_restores_them(tmp_path: Path) -> None:
    replica_dir = tmp_path / "replica"
    settings = make_settings(tmp_path, replica_store_url=f"file://{replica_dir}")
    init_catalog(settings)
    ctx = open_context(settings)
    try:
        actors = make_actors(ctx)
        gone, _kept = ingest_photos(ctx, tmp_path / "card")
        shutil.copytree(Path(settings.data_dir) / "store", replica_dir)
        with ctx.catalog.read() as session:
            asset = session.get(Asset, gone)
            row = (asset.id, asset.sha256, asset.original_key, asset.byte_size, "x.jpg")
        # Erased from the store only (as if the replica's deletion had failed): a check that
        # read the row before the erasure must neither report nor bring the file back.
        erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], gone, REASON)
        assert check_one(ctx.store, replica_store(settings), row,
                         catalog=ctx.catalog) == (None, False)
        assert not ctx.store.exists(row[2])
        report = rolling_fixity(ctx.catalog, ctx.store, settings, limit=10)
        assert report.problems == [] and report.checked == 1
        assert run_fixity(ctx.catalog, ctx.store).problems == []
        with ctx.catalog.read() as session:
            assert session.scalar(select(func.count()).select_from(FixityCheck).where(
                FixityCheck.asset_id == gone)) == 0
    finally:
        ctx.close()


def test_erasure_deletes_from_the_replica_and_housekeeping_finishes_a_failed_one(
        tmp_path: Path) -> None:
    replica_dir = tmp_path / "replica"
    settings = make_settings(tmp_path, replica_store_url=f"file://{replica_dir}")
    init_catalog(settings)
    ctx = open_context(settings)
    try:
        actors = make_actors(ctx)
        gone, _kept = ingest_photos(ctx, tmp_path / "card")
        sha = _sha(ctx, gone)
        shutil.copytree(Path(settings.data_dir) / "store", replica_dir)
        replica = replica_store(settings)
        assert replica is not None
        erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], gone, REASON)
        with ctx.catalog.write() as session:  # as if the replica had refused
            session.scalars(select(Erasure)).one().files_removed_at = None
            record_fixture_writes(session)
        assert any(sha in i.key for i in replica.list(""))
        assert run_housekeeping(ctx).erasures_finished == 1
        assert not any(sha in i.key for i in replica.list(""))
        assert run_housekeeping(ctx).erasures_finished == 0
    finally:
        ctx.close()


def test_erasure_removes_the_pictures_xmp_sidecar_too(ctx: Context, tmp_path: Path) -> None:
    from tests.ingest.test_sidecars import SIDECAR

    actors = make_actors(ctx)
    make_photo(tmp_path / "IMG_0042.jpg", (300, 200))
    (tmp_path / "IMG_0042.xmp").write_bytes(SIDECAR)
    report = ingest_paths(ctx, [tmp_path], BatchInfo(event="becas"))
    picture = next(r.asset_id for r in report.results if r.outcome is IntakeOutcome.NEW)
    sidecars = {k for k in stored(ctx) if k.startswith("sidecars/")}
    assert len(sidecars) == 1
    erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], picture, REASON)
    assert not {k for k in stored(ctx) if k.startswith("sidecars/")}


def test_late_writes_after_an_erasure_are_removed(ctx: Context, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's rendition, or the store record being written while the erasure ran, is
    removed all the same (the record at once, a rendition by the next housekeeping pass)."""
    from dam import storemeta

    actors = make_actors(ctx)
    (only,) = ingest_photos(ctx, tmp_path, count=1)
    sha = _sha(ctx, only)
    real_put = ctx.store.put_bytes

    def put_during_erasure(key: str, data: bytes, **kw):  # type: ignore[no-untyped-def]
        if key == storemeta.meta_key(sha) and ctx.store.exists(key):
            erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], only, REASON)
        return real_put(key, data, **kw)

    monkeypatch.setattr(ctx.store, "put_bytes", put_during_erasure)
    storemeta.write_records(ctx.catalog, ctx.store, [only])  # read before, written after
    monkeypatch.undo()
    assert not any(sha in key for key in stored(ctx))
    ctx.store.put_bytes(f"renditions/{sha[:2]}/{sha[2:4]}/{sha}/preview.jpg", b"late")
    run_housekeeping(ctx)
    assert not any(sha in key for key in stored(ctx))
