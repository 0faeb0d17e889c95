"""The hot folder takes files once they stop growing, once only, across restarts."""

from __future__ import annotations

from pathlib import Path

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import IntakeOutcome
from ingest.watch import HotFolder
from tests.media import make_photo

INFO = BatchInfo(source="watch", event="Conferencia de prensa", photographer="Rosa Ñúñez")


def test_growing_file_waits_then_is_taken_once(ctx: Context, tmp_path: Path) -> None:
    folder = tmp_path / "caliente"
    photo = make_photo(folder / "a.jpg", seed=1)
    data = photo.read_bytes()
    photo.write_bytes(data[:1000])  # still being copied
    hot = HotFolder(ctx, folder, INFO, settle_seconds=5)
    assert hot.scan_once(now=100) == []  # first sight
    photo.write_bytes(data)  # grew
    assert hot.scan_once(now=103) == []
    assert hot.scan_once(now=106) == []  # unchanged for 3 s only
    taken = hot.scan_once(now=109)
    assert [r.outcome for r in taken] == [IntakeOutcome.NEW]
    asset = get_asset(ctx.catalog, taken[0].asset_id)
    assert asset["byte_size"] == len(data)
    assert hot.scan_once(now=200) == []

    # A new watcher (a restart) does not take it again.
    again = HotFolder(ctx, folder, INFO, settle_seconds=5)
    again.scan_once(now=300)
    assert again.scan_once(now=400) == []


def test_new_files_in_subfolders_are_taken_with_the_folder_batch(
    ctx: Context, tmp_path: Path
) -> None:
    folder = tmp_path / "caliente"
    folder.mkdir()
    hot = HotFolder(ctx, folder, INFO, settle_seconds=1)
    assert hot.scan_once(now=0) == []
    make_photo(folder / "sub" / "b.jpg", seed=2)
    make_photo(folder / "c.jpg", seed=3)
    hot.scan_once(now=10)
    taken = hot.scan_once(now=12)
    assert sorted(Path(r.source_path).name for r in taken) == ["b.jpg", "c.jpg"]
    assert all(r.outcome == IntakeOutcome.NEW for r in taken)
    assert hot.batch_id is not None
