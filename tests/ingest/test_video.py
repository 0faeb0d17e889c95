"""Video probing and pictures: tags, rotation, HDR, the poster after a fade, the storyboard."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dam.config import Settings
from dam.enums import MediaType
from ingest.media.ffmpeg import pip_ffmpeg_path
from ingest.media.info import parse_iso6709, parse_tag_date, read_capture, rotation_from_matrix
from ingest.media.probe import probe_media
from ingest.video import analyse_video
from tests.conftest import FIXTURES

VIDEOS = FIXTURES / "video"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+19.3574-099.0671+2240.000/", (19.3574, -99.0671, 2240.0)),
        ("+40.6800-74.4999/", (40.68, -74.4999, None)),  # Android drops leading zeros
        ("+51.5932-0.2431/", (51.5932, -0.2431, None)),
        ("+1921.444-09904.026/", (19 + 21.444 / 60, -(99 + 4.026 / 60), None)),  # DDMM.MMM
        (
            "+192126.64-0990401.56/",
            (19 + 21 / 60 + 26.64 / 3600, -(99 + 4 / 60 + 1.56 / 3600), None),
        ),
        ("+00.0000+000.0000/", None),  # a phone without a fix: missing, not the Gulf of Guinea
        ("+95.0000+010.0000/", None),
        ("nowhere", None),
    ],
)
def test_iso6709_locations(text: str, expected: tuple | None) -> None:
    found = parse_iso6709(text)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected)


def test_creation_dates_keep_their_offset() -> None:
    assert parse_tag_date("2021-05-25T09:21:51-0700") == (dt.datetime(2021, 5, 25, 9, 21, 51), -420)
    assert parse_tag_date("2024-02-12T19:16:55.000000Z") == (
        dt.datetime(2024, 2, 12, 19, 16, 55),
        0,
    )
    assert parse_tag_date("2025-03-14") == (dt.datetime(2025, 3, 14), None)
    assert parse_tag_date("1904-01-01T00:00:00Z") is None  # an unset camera clock
    assert parse_tag_date("2024") is None  # a year is not a date
    # The QuickTime creation date (local, with offset) wins over the UTC creation_time.
    capture = read_capture(
        {
            "creation_time": "2021-05-25T16:21:51.000000Z",
            "com.apple.quicktime.creationdate": "2021-05-25T09:21:51-0700",
        }
    )
    assert (capture.taken_at, capture.taken_at_offset_minutes) == (
        dt.datetime(2021, 5, 25, 9, 21, 51),
        -420,
    )


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        ((1, 0, 0, 1), (0, False)),
        ((0, 1, -1, 0), (90, False)),
        ((-1, 0, 0, -1), (180, False)),
        ((0, -1, 1, 0), (270, False)),
        ((0, 1, 1, 0), (90, True)),  # rotated and mirrored, as some Android editors write
    ],
)
def test_display_matrix_rotation(matrix: tuple, expected: tuple) -> None:
    assert rotation_from_matrix(*matrix) == expected


def test_probe_reads_rotation_codecs_place_and_time() -> None:
    info = probe_media(VIDEOS / "fade_rotated.mp4")
    assert info.container == "mp4"
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 320, 240)
    assert info.video.rotation == 90 and info.video.display_size == (240, 320)
    assert (info.audio.codec, info.audio.channels, info.audio.sample_rate) == ("aac", 1, 44100)
    capture = read_capture(info.tags)
    assert (capture.taken_at, capture.taken_at_offset_minutes) == (
        dt.datetime(2025, 3, 14, 17, 30),
        0,
    )
    # FFmpeg's muxer stores the place in a 3GPP loci box (16.16 fixed point: ~1e-5 degrees)
    assert capture.latitude == pytest.approx(19.3574, abs=2e-5)
    assert capture.longitude == pytest.approx(-99.0671, abs=2e-5)
    assert capture.altitude == 2240.0


def test_iphone_hlg_clip() -> None:
    info = probe_media(VIDEOS / "hlg_iphone.mov")
    assert info.container == "mov"
    assert info.video is not None and info.video.codec == "hevc"
    assert info.video.hdr_transfer == "arib-std-b67"
    capture = read_capture(info.tags)
    assert (capture.make, capture.model) == ("Apple", "iPhone 15 Pro")
    assert (capture.taken_at, capture.taken_at_offset_minutes) == (
        dt.datetime(2025, 3, 14, 11, 30),
        -360,
    )


def _picture(analysis, kind: str) -> Image.Image:  # type: ignore[no-untyped-def]
    output = next(o for o in analysis.outputs if o.kind == kind)
    return Image.open(io.BytesIO(output.data))


def test_poster_is_not_the_black_start_of_a_fade_and_is_upright(settings: Settings) -> None:
    analysis = analyse_video(str(VIDEOS / "fade_rotated.mp4"), settings)
    assert analysis.failure is None and analysis.needs_proxy
    assert analysis.raw["poster"]["time"] >= 0.5  # the fade lasts 0.6 s
    kinds = {o.kind: (o.width, o.height) for o in analysis.outputs}
    # Stored 320x240, shown turned a quarter: every picture is portrait, never upscaled.
    assert kinds["preview"] == (240, 320) and kinds["poster"] == (240, 320)
    assert kinds["thumbnail"] == (240, 320)
    poster = np.asarray(_picture(analysis, "poster").convert("L"), dtype=np.float32)
    assert poster.mean() > 60  # testsrc2 is bright and colourful, the fade's start is black
    board = analysis.raw["storyboard"]
    assert len(board["times"]) >= 3 and board["times"] == sorted(board["times"])
    assert "storyboard" in kinds


def test_hdr_poster_is_mapped_to_sdr(settings: Settings) -> None:
    analysis = analyse_video(str(VIDEOS / "hlg_iphone.mov"), settings)
    assert analysis.failure is None
    preview = np.asarray(_picture(analysis, "preview").convert("RGB"), dtype=np.float32)
    # testsrc2's colour bars stay saturated: an HLG frame shown as SDR would be greyish.
    assert preview.mean() > 50
    assert float(np.percentile(preview.max(axis=2) - preview.min(axis=2), 90)) > 120


def test_audio_only_mp4_is_catalogued_as_audio(settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "only-sound.mp4"
    subprocess.run(
        [pip_ffmpeg_path() or "ffmpeg", "-v", "error", "-i", str(VIDEOS / "fade_rotated.mp4"),
         "-vn", "-c", "copy", "-f", "mp4", str(target)],
        check=True,
    )  # fmt: skip
    analysis = analyse_video(str(target), settings)
    assert analysis.media_type == MediaType.AUDIO
    assert {o.kind for o in analysis.outputs} == {"waveform", "thumbnail"}
