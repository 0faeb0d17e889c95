"""Video through `dam ingest` and the real workers: catalog fields, renditions, the proxy job."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from dam import queue
from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, IntakeOutcome, JobKind, JobState, MediaType
from dam.errors import IngestError
from dam.models import Job
from ingest.batching import ingest_paths
from ingest.media.probe import describe_proxy
from ingest.pipeline import process_asset
from ingest.proxy import make_proxy
from ingest.timebased import PROXY_PRIORITY
from ingest.worker import run_workers
from tests.conftest import FIXTURES
from tests.media import make_photo

VIDEOS = FIXTURES / "video"
# An ffmpeg that lists what a real one would, then fails every transcode.
FAILING_FFMPEG = """#!/bin/sh
case "$*" in
  *-version*) echo "ffmpeg version 0.0-test" ;;
  *-decoders*) printf ' V....D h264 H.264\n A....D aac AAC\n' ;;
  *-encoders*) printf ' V....D libx264 H.264\n A....D aac AAC\n' ;;
  *-filters*) ;;
  *) echo "Error writing trailer: No space left on device" >&2; exit 1 ;;
esac
"""


def _unknown_codec(source: Path, target: Path) -> Path:
    """The clip with its video sample entry renamed to a fourcc no decoder knows."""
    data = source.read_bytes()
    assert data.count(b"avc1") >= 1
    target.write_bytes(data.replace(b"avc1", b"zzz1"))
    return target


def build_card(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True)
    files = {
        "rotated": Path(shutil.copy(VIDEOS / "fade_rotated.mp4", root / "evento.mp4")),
        "hlg": Path(shutil.copy(VIDEOS / "hlg_iphone.mov", root / "IMG_0001.MOV")),
        "photo": make_photo(root / "foto.jpg", (900, 600), seed=4),
    }
    whole = files["rotated"].read_bytes()
    files["empty"] = root / "vacío.mp4"
    files["empty"].write_bytes(b"")
    files["no_moov"] = root / "sin-moov.mp4"  # the moov box (at the front) cut away
    files["no_moov"].write_bytes(whole[:32] + whole[whole.index(b"mdat") - 4 :])
    files["unknown"] = _unknown_codec(files["rotated"], root / "códec-raro.mp4")
    return files


def _by_name(ctx: Context, report) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    found = {}
    for result in report.results:
        if result.outcome == IntakeOutcome.NEW:
            asset = get_asset(ctx.catalog, result.asset_id)
            found[asset["original_filename"]] = asset
    return found


def test_videos_through_ingest_and_workers(any_ctx: Context, tmp_path: Path) -> None:
    ctx = any_ctx
    build_card(tmp_path / "tarjeta")
    info = BatchInfo(event="Jornada de salud", photographer="Luis Gómez")
    report = ingest_paths(ctx, [tmp_path / "tarjeta"], info, recursive=True)
    assert {Path(r.source_path).name: r.outcome for r in report.results}["vacío.mp4"] == (
        IntakeOutcome.FAILED
    )
    assert run_workers(ctx.settings, 2, until_idle=True) == 0
    assets = _by_name(ctx, report)

    video = assets["evento.mp4"]
    assert (video["media_type"], video["state"]) == (MediaType.VIDEO, AssetState.READY)
    assert video["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert (video["video_codec"], video["audio_codec"], video["container"]) == (
        "h264",
        "aac",
        "mp4",
    )
    assert (video["width"], video["height"], video["rotation"]) == (320, 240, 90)
    assert (video["frame_rate"], video["audio_channels"], video["sample_rate"]) == (25.0, 1, 44100)
    assert video["taken_at"] == "2025-03-14T17:30:00" and video["taken_at_offset_minutes"] == 0
    assert video["gps_latitude"] == pytest.approx(19.3574) and video["gps_altitude"] == 2240.0
    assert video["creator"] == "Luis Gómez" and video["event"] == "Jornada de salud"
    renditions = {r["kind"]: r for r in video["renditions"]}
    assert set(renditions) == {"thumbnail", "preview", "poster", "storyboard", "proxy"}
    assert (renditions["preview"]["width"], renditions["preview"]["height"]) == (240, 320)
    proxy = renditions["proxy"]
    assert proxy["mime_type"] == "video/mp4" and video["metadata_json"]["proxy"]["state"] == "ready"
    with ctx.store.local_path(proxy["key"]) as path:
        facts = describe_proxy(path)
    # H.264 + AAC in MP4 with the index in front: plays in every browser; turned upright.
    assert (facts["video_codec"], facts["audio_codec"], facts["pixel_format"]) == (
        "h264",
        "aac",
        "yuv420p",
    )
    assert facts["faststart"] and (facts["width"], facts["height"]) == (240, 320)

    hlg = assets["IMG_0001.MOV"]
    assert hlg["state"] == AssetState.READY and hlg["hdr_transfer"] == "arib-std-b67"
    assert (hlg["camera_make"], hlg["camera_model"]) == ("Apple", "iPhone 15 Pro")
    assert hlg["taken_at_offset_minutes"] == -360

    no_moov = assets["sin-moov.mp4"]
    assert no_moov["state"] == AssetState.FAILED and "moov" in no_moov["error"]
    unknown = assets["códec-raro.mp4"]
    assert unknown["state"] == AssetState.FAILED and "no decoder" in unknown["error"]
    assert unknown["duration_seconds"] == pytest.approx(2.0, abs=0.1)  # the probe is kept
    assert assets["foto.jpg"]["state"] == AssetState.READY

    with ctx.catalog.read() as session:
        proxies = session.execute(
            select(Job.priority, Job.state).where(Job.kind == JobKind.MAKE_PROXY)
        ).all()
    assert sorted(proxies) == [(PROXY_PRIORITY, JobState.DONE)] * 2


def test_proxy_jobs_wait_for_every_processing_job(ctx: Context) -> None:
    with ctx.catalog.write() as session:
        queue.enqueue(session, JobKind.MAKE_PROXY, None, priority=PROXY_PRIORITY)
        queue.enqueue(session, JobKind.PROCESS_ASSET, None)
    first = queue.claim(ctx.catalog, "test", 30)
    assert first is not None and first.kind == JobKind.PROCESS_ASSET


def _ingest_one(ctx: Context, path: Path) -> int:
    report = ingest_paths(ctx, [path], BatchInfo())
    asset_id = report.results[0].asset_id
    assert asset_id is not None
    assert process_asset(ctx, asset_id) == AssetState.READY
    return asset_id


def test_proxy_is_idempotent(ctx: Context) -> None:
    asset_id = _ingest_one(ctx, VIDEOS / "fade_rotated.mp4")
    assert make_proxy(ctx, asset_id) is True
    keys = sorted(o.key for o in ctx.store.list("renditions/"))
    assert make_proxy(ctx, asset_id) is False  # a retried job finds the proxy made
    assert sorted(o.key for o in ctx.store.list("renditions/")) == keys


def test_a_failed_proxy_leaves_the_video_ready(ctx: Context, tmp_path: Path) -> None:
    broken = tmp_path / "ffmpeg"
    broken.write_text(FAILING_FFMPEG)
    broken.chmod(0o755)
    ctx.settings = ctx.settings.replace(ffmpeg_path=str(broken))
    asset_id = _ingest_one(ctx, VIDEOS / "fade_rotated.mp4")
    with pytest.raises(IngestError, match="No space left on device"):
        make_proxy(ctx, asset_id)
    asset = get_asset(ctx.catalog, asset_id)
    assert asset["state"] == AssetState.READY
    assert asset["metadata_json"]["proxy"]["state"] == "failed"
    assert "exit status 1" in asset["metadata_json"]["proxy"]["error"]
    assert "proxy" not in {r["kind"] for r in asset["renditions"]}
