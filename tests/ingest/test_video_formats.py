"""Camera video that used to fail: a lone keyframe at the start, full-range (yuvj) H.264."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from dam.context import Context
from dam.enums import MediaType
from ingest.media.avchd import MDPM_UUID, parse_mdpm
from ingest.media.info import parse_iso6709, read_capture
from ingest.media.isobmff import loci_location
from ingest.media.probe import describe_proxy, probe_media
from ingest.proxy import transcode
from ingest.video import analyse_video
from tests.conftest import require_corpus
from tests.ingest.test_video_ffmpeg import _executable

FFMPEG = shutil.which("ffmpeg")
pytestmark = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")


def _clip(path: Path, *options: str, seconds: float = 3) -> Path:
    assert FFMPEG is not None
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine",
                    "-t", str(seconds), *options, str(path)], check=True)
    return path


@pytest.mark.parametrize(("name", "options"), [
    ("lone.ts", ("-c:v", "libx264", "-g", "1000", "-c:a", "aac", "-f", "mpegts")),
    ("lone.mts", ("-c:v", "libx264", "-g", "1000", "-c:a", "ac3", "-f", "mpegts",
                  "-mpegts_m2ts_mode", "1")),
    ("lone.mp4", ("-c:v", "libx264", "-g", "1000", "-c:a", "aac")),
])
def test_poster_when_the_only_keyframe_is_at_the_start(ctx: Context, tmp_path: Path, name: str,
                                                       options: tuple[str, ...]) -> None:
    clip = _clip(tmp_path / name, *options)
    analysis = analyse_video(str(clip), ctx.settings)
    assert analysis.failure is None
    assert {"poster", "preview", "thumbnail"} <= {output.kind for output in analysis.outputs}


@pytest.mark.parametrize("origin", ["system", "imageio-ffmpeg"])
@pytest.mark.parametrize("pixels", ["yuvj420p", "yuv420p"])
def test_full_range_h264_gets_a_limited_range_proxy(ctx: Context, tmp_path: Path, origin: str,
                                                    pixels: str) -> None:
    ctx.settings = ctx.settings.replace(ffmpeg_path=_executable(origin))
    clip = _clip(tmp_path / "full.mp4", "-c:v", "libx264", "-pix_fmt", pixels,
                 "-color_range", "pc", "-c:a", "aac", seconds=1)
    proxy = transcode(ctx, clip, tmp_path, MediaType.VIDEO)
    facts = describe_proxy(proxy.path)
    assert facts["video_codec"] == "h264" and facts["pixel_format"] == "yuv420p"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_loci_position_keeps_its_precision(tmp_path: Path) -> None:
    """Android's 3GPP loci box: 16.16 fixed point, which FFmpeg rounds to 4 decimals."""
    fixed = [round(v * 65536) for v in (-99.06713, 19.35742, 2240.5)]  # longitude first
    loci = b"\x00" * 4 + b"\x15\xc7" + b"Zocalo\x00" + b"\x00" + struct.pack(">iii", *fixed)
    moov = _box(b"moov", _box(b"udta", _box(b"loci", loci + b"\x00\x00")))
    path = tmp_path / "loci.mp4"
    path.write_bytes(_box(b"ftyp", b"isom\x00\x00\x00\x00") + moov)
    with open(path, "rb") as handle:
        text = loci_location(handle)
    assert text is not None
    lat, lon, alt = parse_iso6709(text)  # type: ignore[misc]
    assert lat == pytest.approx(19.35742, abs=2e-5) and lon == pytest.approx(-99.06713, abs=2e-5)
    assert alt == pytest.approx(2240.5)


@pytest.mark.corpus
def test_video_gps_agrees_with_exiftool_to_5_decimals() -> None:
    corpus = require_corpus()
    reference = {e["SourceFile"]: e for e in json.loads((corpus / "exiftool.json").read_text())}
    checked = 0
    for name, facts in reference.items():
        lat = facts.get("Composite:GPSLatitude")
        if not name.startswith("videos/") or lat is None:
            continue
        capture = read_capture(probe_media(corpus / name).tags)
        assert capture.latitude is not None, name
        assert capture.latitude == pytest.approx(lat, abs=1e-5), name
        assert capture.longitude == pytest.approx(facts["Composite:GPSLongitude"], abs=1e-5)
        checked += 1
    assert checked


MDPM = b"MDPM" + bytes([2, 0x18, 0x8C, 0x20, 0x25, 0x03, 0x19, 0x14, 0x11, 0x30, 0x45])


def _avchd_clip(path: Path, mdpm: bytes) -> Path:
    """An AVCHD-like clip (H.264 in M2TS) whose SEI carries ``mdpm``, as the cameras write it."""
    assert FFMPEG is not None
    bsf = b"h264_metadata=sei_user_data=17ee8c60-f84d-11d9-8cd6-0800200c9a66+" + mdpm
    subprocess.run([FFMPEG.encode(), b"-v", b"error", b"-y", b"-f", b"lavfi", b"-i",
                    b"testsrc=size=320x240:rate=25", b"-t", b"1", b"-c:v", b"libx264",
                    b"-bsf:v", bsf, b"-f", b"mpegts", b"-mpegts_m2ts_mode", b"1",
                    str(path).encode()], check=True)
    return path


def test_avchd_capture_date_from_the_h264_mdpm_block(tmp_path: Path) -> None:
    """An AVCHD camera's clip: the date is in the H.264 SEI (MDPM), not in the container."""
    capture = read_capture(probe_media(_avchd_clip(tmp_path / "00001.MTS", MDPM)).tags)
    assert capture.taken_at == dt.datetime(2025, 3, 14, 11, 30, 45)
    assert capture.taken_at_offset_minutes is None  # zone byte 0x8c: the unused bit, no zone
    assert parse_mdpm(b"junk" + MDPM_UUID + MDPM[4:5] + b"\x18\x00\x20\x2a") is None  # cut, bad BCD


@pytest.mark.parametrize(("zone", "offset"), [
    (0x2C, -360),  # west, 6 hours: Mexico City
    (0x6C, -300),  # west, 6 hours, daylight saving in force
    (0x0B, 330),  # east, 5 hours and a half
    (0x12, 540),  # east, 9 hours
    (0x00, None),  # no zone set: the office's local time, like a photo without an offset
    (0xFF, None),  # the unused bit set: not a zone
])
def test_avchd_zone_gives_the_offset_or_local_time(tmp_path: Path, zone: int,
                                                   offset: int | None) -> None:
    clip = _avchd_clip(tmp_path / "00002.MTS", MDPM)
    # The zone is patched in afterwards: bytes such as "," cannot pass through ffmpeg's option.
    written = MDPM_UUID + MDPM[4:7]
    data = clip.read_bytes()
    assert data.count(written) >= 1
    clip.write_bytes(data.replace(written, written[:-1] + bytes([zone])))
    capture = read_capture(probe_media(clip).tags)
    assert capture.taken_at == dt.datetime(2025, 3, 14, 11, 30, 45)  # the camera's wall clock
    assert capture.taken_at_offset_minutes == offset
