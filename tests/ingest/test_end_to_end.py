"""End to end: ingest a folder as a batch, run the real worker processes, check catalog, store."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from dam.catalog import BatchInfo, get_asset, summary
from dam.context import Context
from dam.enums import AssetState, IntakeOutcome, MediaType
from dam.models import IntakeItem
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from ingest.worker import run_workers
from tests.media import make_photo

INFO = BatchInfo(
    event="Inauguración del mercado",
    area="Dirección General de Obras",
    place="Santa Cruz Meyehualco",
    photographer="Ana Peña",
)


def build_folder(root: Path) -> dict[str, Path]:
    files = {
        "portrait": make_photo(
            root / "día uno" / "Peña ñandú 01.jpg",
            (1600, 1200),
            seed=1,
            orientation=6,
            gps=(19.3574, -99.0671),
        ),
        "landscape": make_photo(root / "día uno" / "b.jpg", (900, 600), seed=2, offset=None),
        "nested": make_photo(root / "día dos" / "sub" / "c.jpg", (640, 480), seed=3),
    }
    files["copy"] = root / "día dos" / "copia de b.jpg"
    shutil.copyfile(files["landscape"], files["copy"])
    files["empty"] = root / "vacío.jpg"
    files["empty"].write_bytes(b"")
    truncated = files["nested"].read_bytes()
    files["corrupt"] = root / "cortada.jpg"
    files["corrupt"].write_bytes(truncated[: len(truncated) // 2])
    files["unknown"] = root / "notas.xyz"
    files["unknown"].write_bytes(b"\x00\x01 not a photo " * 50)
    return files


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outcomes(report) -> dict[str, IntakeOutcome]:  # type: ignore[no-untyped-def]
    return {Path(r.source_path).name: r.outcome for r in report.results}


def test_folder_ingest_with_real_workers(any_ctx: Context, tmp_path: Path) -> None:
    ctx = any_ctx
    files = build_folder(tmp_path / "tarjeta")
    report = ingest_paths(ctx, [tmp_path / "tarjeta"], INFO, recursive=True)
    outcomes = _outcomes(report)
    pair = {outcomes["copia de b.jpg"], outcomes["b.jpg"]}
    assert pair == {IntakeOutcome.NEW, IntakeOutcome.DUPLICATE}
    assert outcomes["vacío.jpg"] == IntakeOutcome.FAILED
    assert report.count(IntakeOutcome.NEW) == 5  # three photos, the corrupt one, the unknown one
    empty = next(r for r in report.results if r.source_path.endswith("vacío.jpg"))
    assert "empty file" in empty.error

    assert run_workers(ctx.settings, 2, until_idle=True) == 0

    by_name = {}
    for result in report.results:
        if result.outcome == IntakeOutcome.NEW:
            asset = get_asset(ctx.catalog, result.asset_id)
            by_name[asset["original_filename"]] = asset
    portrait = by_name["Peña ñandú 01.jpg"]
    assert portrait["state"] == AssetState.READY
    assert portrait["sha256"] == _sha(files["portrait"])
    assert (portrait["width"], portrait["height"], portrait["orientation"]) == (1600, 1200, 6)
    assert portrait["gps_latitude"] == pytest.approx(19.3574, abs=1e-5)
    assert portrait["gps_longitude"] == pytest.approx(-99.0671, abs=1e-5)
    assert portrait["taken_at"] == "2025-03-14T11:30:00"
    assert portrait["taken_at_offset_minutes"] == -360
    assert portrait["camera_make"] == "Canon"
    # The batch fills what the file does not say.
    assert portrait["event"] == INFO.event and portrait["creator"] == "Ana Peña"
    assert portrait["area"] == INFO.area and portrait["sublocation"] == INFO.place
    assert portrait["phash"]

    # The original is stored bit-exact; renditions are portrait (orientation applied), sized.
    with ctx.store.open_read(portrait["original_key"]) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == portrait["sha256"]
    renditions = {r["kind"]: r for r in portrait["renditions"]}
    assert (renditions["preview"]["width"], renditions["preview"]["height"]) == (1080, 1440)
    assert (renditions["thumbnail"]["width"], renditions["thumbnail"]["height"]) == (300, 400)
    with Image.open(io.BytesIO(ctx.store.read_bytes(renditions["thumbnail"]["key"]))) as thumb:
        assert thumb.size == (300, 400) and thumb.format == "JPEG"

    corrupt = by_name["cortada.jpg"]
    assert corrupt["state"] == AssetState.FAILED and "truncated" in corrupt["error"].lower()
    assert ctx.store.exists(corrupt["original_key"])  # preserved even though it cannot be shown
    unknown = by_name["notas.xyz"]
    assert unknown["media_type"] == MediaType.OTHER and unknown["state"] == AssetState.READY
    assert unknown["renditions"] == []

    status = summary(ctx.catalog)
    assert status["by_state"] == {"ready": 4, "failed": 1}
    assert status["jobs"] == {"done": 5}
    assert {f["file"] for f in status["failed_assets"]} == {"cortada.jpg"}
    assert any(f["path"].endswith("vacío.jpg") for f in status["failed_intake"])


def test_second_ingest_of_the_same_card_stores_nothing_new(ctx: Context, tmp_path: Path) -> None:
    make_photo(tmp_path / "a.jpg", seed=5)
    first = ingest_paths(ctx, [tmp_path / "a.jpg"], INFO)
    second = ingest_paths(ctx, [tmp_path / "a.jpg"], INFO)
    assert _outcomes(second) == {"a.jpg": IntakeOutcome.DUPLICATE}
    assert second.results[0].asset_id == first.results[0].asset_id
    originals = list(ctx.store.list("originals/"))
    assert len(originals) == 1
    with ctx.catalog.read() as session:
        items = session.query(IntakeItem).order_by(IntakeItem.id).all()
        assert [i.outcome for i in items] == [IntakeOutcome.NEW, IntakeOutcome.DUPLICATE]
        assert items[1].asset_id == items[0].asset_id


def test_processing_is_idempotent(ctx: Context, tmp_path: Path) -> None:
    make_photo(tmp_path / "a.jpg", seed=6)
    report = ingest_paths(ctx, [tmp_path / "a.jpg"], INFO)
    asset_id = report.results[0].asset_id
    assert process_asset(ctx, asset_id) == AssetState.READY
    first = get_asset(ctx.catalog, asset_id)
    # A retried job (e.g. after its worker was killed) finds it done and changes nothing.
    assert process_asset(ctx, asset_id) == AssetState.READY
    assert get_asset(ctx.catalog, asset_id) == first
    keys = sorted(o.key for o in ctx.store.list("renditions/"))
    assert len(keys) == 2


def test_missing_and_unreadable_paths_are_reported_not_fatal(ctx: Context, tmp_path: Path) -> None:
    make_photo(tmp_path / "ok.jpg", seed=7)
    locked = make_photo(tmp_path / "locked.jpg", seed=8)
    locked.chmod(0)
    try:
        report = ingest_paths(ctx, [tmp_path / "ok.jpg", tmp_path / "nope.jpg", locked], INFO)
    finally:
        locked.chmod(0o644)
    outcomes = _outcomes(report)
    assert outcomes["ok.jpg"] == IntakeOutcome.NEW
    assert outcomes["nope.jpg"] == IntakeOutcome.FAILED
    if os.geteuid() != 0:  # root reads anything
        assert outcomes["locked.jpg"] == IntakeOutcome.FAILED


def test_symlink_loop_ends(ctx: Context, tmp_path: Path) -> None:
    root = tmp_path / "card"
    make_photo(root / "sub" / "a.jpg", seed=9)
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "alias.jpg").symlink_to(root / "sub" / "a.jpg")
    report = ingest_paths(ctx, [root], INFO, recursive=True)
    # The loop is entered once and the alias (same inode) is not taken a second time.
    assert len(report.results) == 1 and report.count(IntakeOutcome.NEW) == 1
