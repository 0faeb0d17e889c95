"""A damaged file is a permanent failure with its reason on the first try, never retried.

Only trouble with the machine (disk full, I/O errors, store or catalog away) is transient; a
decoder's complaint about the data (an OSError such as Pillow's "image file is truncated",
"cannot identify image file", "decoder error", or an errno like EINVAL from a bad offset) is not.
"""

from __future__ import annotations

import errno
import io
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, JobState
from dam.errors import IngestError
from dam.models import Asset, Job
from ingest import imaging
from ingest.batching import ingest_paths
from ingest.worker import LoopOptions, work_loop
from tests.conftest import CORPUS
from tests.media import make_photo, quadrant_image


def _encoded(fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    quadrant_image((320, 240)).save(buffer, fmt, **options)
    return buffer.getvalue()


def damaged_files(folder: Path) -> list[Path]:
    """Truncated and scrambled pictures of each common type (their headers still sniff right)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    made = {
        "cut.tif": _encoded("TIFF")[:900],
        "cut-lzw.tif": _encoded("TIFF", compression="tiff_lzw")[:700],
        "cut.png": _encoded("PNG")[:400],
        "cut.jpg": _encoded("JPEG")[:700],
        "cut.webp": _encoded("WEBP")[:300],
        "cut.gif": _encoded("GIF")[:200],
        "cut.heic": _encoded("HEIF")[:600],
    }
    tiff = bytearray(_encoded("TIFF", compression="tiff_lzw"))
    tiff[200:1200] = bytes(range(256)) * 3 + bytes(232)  # strips of garbage
    made["scrambled.tif"] = bytes(tiff)
    paths = []
    for name, data in made.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_decoder_os_errors_are_permanent_machine_errors_transient() -> None:
    for exc in (OSError(errno.EINVAL, "Invalid argument"), OSError("image file is truncated"),
                OSError("decoder error -2"), Image.UnidentifiedImageError("cannot identify")):
        with pytest.raises(IngestError) as caught, imaging.image_limits(10_000, "TIFF"):
            raise exc
        assert not caught.value.transient, exc
    for exc in (OSError(errno.EIO, "Input/output error"), OSError(errno.ENOSPC, "No space")):
        with pytest.raises(IngestError) as caught, imaging.image_limits(10_000, "TIFF"):
            raise exc
        assert caught.value.transient, exc


def test_damaged_pictures_fail_once_with_a_reason(ctx: Context, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    files = damaged_files(folder)
    bad_tiffs = sorted((CORPUS / "bad").rglob("*.tif")) if CORPUS.is_dir() else []
    report = ingest_paths(ctx, [*files, *bad_tiffs], BatchInfo(event="damaged"))
    assert len(report.results) == len(files) + len(bad_tiffs)
    work_loop(ctx, LoopOptions(until_idle=True), threading.Event())
    with ctx.catalog.read() as session:
        jobs = session.execute(select(Job.state, Job.attempts, Job.transient_retries, Job.asset_id)
                               ).all()
        assets = {a.id: a for a in session.scalars(select(Asset))}
        for job in jobs:
            asset = assets[job.asset_id]
            assert job.state in (JobState.DONE, JobState.FAILED), asset.original_filename
            assert job.attempts == 1 and job.transient_retries == 0, asset.original_filename
            if asset.state == AssetState.FAILED:
                assert asset.error, asset.original_filename
        failed = {a.original_filename for a in assets.values() if a.state == AssetState.FAILED}
    assert {p.name for p in files} <= failed


def _damaged_with_exif(folder: Path) -> list[Path]:
    """A JPEG cut before its frame header, one with a broken frame header, a WebP whose
    canvas header is garbage: Pillow refuses each, their EXIF is whole."""
    photo = make_photo(folder / "source.jpg", (200, 100), make="Nikon", model="Z 9")
    data = photo.read_bytes()
    sof = data.find(b"\xff\xc0")
    with Image.open(photo) as image:
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", exif=image.getexif().tobytes())
    webp = bytearray(buffer.getvalue())
    vp8 = webp.find(b"VP8")
    webp[vp8 + 8 : vp8 + 16] = b"\xff" * 8
    made = {"cut-header.jpg": data[:sof],
            "bad-frame.jpg": data[: sof + 4] + b"\0\0" + data[sof + 6 :],
            "bad-canvas.webp": bytes(webp)}
    photo.unlink()
    for name, blob in made.items():
        (folder / name).write_bytes(blob)
    return [folder / name for name in made]


def test_damaged_headers_keep_their_exif(ctx: Context, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    report = ingest_paths(ctx, _damaged_with_exif(folder), BatchInfo(event="damaged"))
    work_loop(ctx, LoopOptions(until_idle=True), threading.Event())
    for result in report.results:
        asset = get_asset(ctx.catalog, result.asset_id)
        assert asset["state"] == AssetState.FAILED and asset["error"], result.source_path
        assert (asset["camera_make"], asset["camera_model"]) == ("Nikon", "Z 9"), result.source_path
        assert str(asset["taken_at"]).startswith("2025-03-14")
