"""Camera video that used to fail: a lone keyframe at the start, full-range (yuvj) H.264."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dam.context import Context
from dam.enums import MediaType
from ingest.media.probe import describe_proxy
from ingest.proxy import transcode
from ingest.video import analyse_video
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
