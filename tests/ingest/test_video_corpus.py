"""The shared corpus's videos through the real workers, against ffprobe's and exiftool's values."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, IntakeOutcome
from dam.models import Job
from ingest.batching import ingest_paths
from ingest.media.probe import describe_proxy
from ingest.worker import run_workers
from tests.conftest import require_corpus

# Where we differ from the reference tools, and why (checked by hand).
KNOWN = {
    # ffprobe 5.1 does not know VVC (it reports no codec); FFmpeg 8 in PyAV decodes it.
    "sample_vvc.mp4": {"codec"},
}


def _reference(corpus: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    ffprobe = json.loads((corpus / "ffprobe.json").read_text())
    exiftool = {o["SourceFile"]: o for o in json.loads((corpus / "exiftool.json").read_text())}
    return ffprobe, exiftool


def _utc(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


def _asset_utc(asset: dict[str, Any]) -> dt.datetime | None:
    if asset["taken_at"] is None:
        return None
    when = dt.datetime.fromisoformat(asset["taken_at"])
    return when - dt.timedelta(minutes=asset["taken_at_offset_minutes"] or 0)


def _check(asset: dict[str, Any], probe: dict[str, Any], exif: dict[str, Any]) -> list[str]:
    name = Path(asset["original_filename"]).name
    known = KNOWN.get(name, set())
    problems = []
    stream = probe["streams"][asset["metadata_json"]["media"]["video"]["index"]]
    expected = {
        "duration": float(probe["format"]["duration"]),
        "size": (stream["width"], stream["height"]),
        "codec": stream.get("codec_name"),
        "rotation": next(
            (
                -round(s["rotation"]) % 360
                for s in stream.get("side_data_list", [])
                if "rotation" in s
            ),
            0,
        ),
    }
    if abs(asset["duration_seconds"] - expected["duration"]) > 0.1:
        problems.append(f"duration {asset['duration_seconds']} != {expected['duration']}")
    if (asset["width"], asset["height"]) != expected["size"]:
        problems.append(f"size {asset['width']}x{asset['height']} != {expected['size']}")
    if "codec" not in known and asset["video_codec"] != expected["codec"]:
        problems.append(f"codec {asset['video_codec']} != {expected['codec']}")
    audio = next((s for s in probe["streams"] if s.get("codec_type") == "audio"), None)
    audio_codec = audio.get("codec_name") if audio else None
    if asset["audio_codec"] != audio_codec:
        problems.append(f"audio codec {asset['audio_codec']} != {audio_codec}")
    if asset["rotation"] != expected["rotation"] or asset["rotation"] != exif["Composite:Rotation"]:
        problems.append(f"rotation {asset['rotation']} != {expected['rotation']}")
    problems += _check_time_and_place(asset, probe, exif)
    return [f"{name}: {p}" for p in problems]


def _check_time_and_place(
    asset: dict[str, Any], probe: dict[str, Any], exif: dict[str, Any]
) -> list[str]:
    problems = []
    local = exif.get("Keys:CreationDate")  # QuickTime's start of recording, local with offset
    if local:
        when = dt.datetime.strptime(local[:19], "%Y:%m:%d %H:%M:%S").isoformat()
        if asset["taken_at"] != when:
            problems.append(f"local time {asset['taken_at']} != {local}")
    else:  # the MP4 creation time, UTC by the specification
        created = _utc(probe["format"].get("tags", {}).get("creation_time"))
        if _asset_utc(asset) != created:
            problems.append(
                f"taken {asset['taken_at']} ({asset['taken_at_offset_minutes']}) != {created}"
            )
    lat, lon = exif.get("Composite:GPSLatitude"), exif.get("Composite:GPSLongitude")
    if lat is None:
        if asset["gps_latitude"] is not None:
            problems.append(f"GPS {asset['gps_latitude']} where exiftool has none")
    elif asset["gps_latitude"] is None or (
        abs(asset["gps_latitude"] - lat) > 1e-4 or abs(asset["gps_longitude"] - lon) > 1e-4
    ):
        problems.append(f"GPS {asset['gps_latitude']},{asset['gps_longitude']} != {lat},{lon}")
    for field, key in (("camera_make", "Keys:Make"), ("camera_model", "Keys:Model")):
        if exif.get(key) and asset[field] != exif[key]:
            problems.append(f"{field} {asset[field]} != {exif[key]}")
    return problems


def _check_renditions(ctx: Context, asset: dict[str, Any]) -> list[str]:
    kinds = {r["kind"]: r for r in asset["renditions"]}
    missing = {"poster", "preview", "thumbnail", "proxy"} - set(kinds)
    if missing:
        return [f"{asset['original_filename']}: no {sorted(missing)}"]
    with ctx.store.local_path(kinds["proxy"]["key"]) as path:
        facts = describe_proxy(path)
    playable = facts["container"] == "mp4" and facts["video_codec"] == "h264" and facts["faststart"]
    playable = playable and facts["pixel_format"] == "yuv420p"
    return [] if playable else [f"{asset['original_filename']}: proxy {facts}"]


@pytest.mark.corpus
def test_corpus_videos_agree_with_ffprobe_and_exiftool(ctx: Context) -> None:
    corpus = require_corpus()
    folder = corpus / "videos"
    ffprobe, exiftool = _reference(corpus)
    report = ingest_paths(ctx, [folder], BatchInfo(event="corpus"), recursive=True)
    # A lease long enough that a busy CI machine does not hand a job to a second worker.
    assert run_workers(ctx.settings.replace(job_lease_seconds=30), 2, until_idle=True) == 0
    problems = []
    for result in report.results:
        assert result.outcome == IntakeOutcome.NEW, result
        relative = Path(result.source_path).relative_to(corpus).as_posix()
        asset = get_asset(ctx.catalog, result.asset_id)
        if asset["state"] != AssetState.READY:
            problems.append(f"{relative}: {asset['state']} {asset['error']}")
            continue
        problems += _check(asset, ffprobe[relative]["ffprobe"], exiftool[relative])
        problems += _check_renditions(ctx, asset)
    assert len(report.results) >= 20
    assert not problems, "\n".join(problems)
    with ctx.catalog.read() as session:
        retried = session.execute(
            select(Job.id, Job.kind, Job.attempts).where(Job.attempts > 1)
        ).all()
    assert not retried, f"jobs run more than once: {retried}"
