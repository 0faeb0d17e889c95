"""RAW files: an empty sensor (pruned or truncated DNG) never gives an all-black ready preview."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
import rawpy
from PIL import Image

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState
from dam.errors import IngestError
from ingest.batching import ingest_paths
from ingest.imaging import developed_size
from ingest.renditions import make_photo_renditions
from ingest.worker import LoopOptions, work_loop
from tests.conftest import require_corpus
from tests.media import write_dng


def test_whole_dng_develops_to_a_picture(tmp_path: Path) -> None:
    result = make_photo_renditions(write_dng(tmp_path / "a.dng"), "image/x-adobe-dng",
                                   {"preview": 400})
    pixels = np.asarray(Image.open(io.BytesIO(result.images[0].data)))
    assert pixels.max() > 100
    assert (result.source_width, result.source_height) == (256, 192)


def test_dng_without_sensor_data_fails_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no image data") as caught:
        make_photo_renditions(write_dng(tmp_path / "pruned.dng", empty=True),
                              "image/x-adobe-dng", {"preview": 400})
    assert not caught.value.transient


def _ingest(ctx: Context, paths: list[Path]) -> list[dict]:
    report = ingest_paths(ctx, paths, BatchInfo(event="raw"))
    work_loop(ctx, LoopOptions(until_idle=True), threading.Event())
    return [get_asset(ctx.catalog, result.asset_id) for result in report.results]


def test_pruned_dng_is_a_failed_asset_not_a_black_one(ctx: Context, tmp_path: Path) -> None:
    (asset,) = _ingest(ctx, [write_dng(tmp_path / "pruned.dng", empty=True)])
    assert asset["state"] == AssetState.FAILED and "no image data" in asset["error"]


@pytest.mark.corpus
def test_raw_size_is_the_developed_pictures(ctx: Context) -> None:
    raws = [p for p in (require_corpus() / "photos").rglob("*")
            if p.suffix.lower() in {".dng", ".arw", ".cr2", ".cr3", ".nef", ".raf", ".orf", ".rw2"}]
    for path, asset in zip(raws, _ingest(ctx, raws), strict=True):
        try:
            with rawpy.imread(str(path)) as raw:
                expected = developed_size(raw.sizes)
        except rawpy.LibRawError:  # a sample LibRaw cannot open (an 8 KB ARW)
            assert asset["state"] == AssetState.FAILED and asset["error"], path.name
            continue
        assert (asset["width"], asset["height"]) == expected, path.name
