"""Which ffmpeg makes proxies: the system's or the pip-installed one; both paths are tested."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from dam.context import Context
from dam.enums import MediaType
from dam.errors import IngestError
from ingest.media import ffmpeg
from ingest.media.ffmpeg import FFmpegTool, choose_tool, inspect_tool, pip_ffmpeg_path
from ingest.media.probe import describe_proxy, probe_media
from ingest.proxy import transcode
from tests.conftest import FIXTURES

VIDEOS = FIXTURES / "video"


def _executable(origin: str) -> str:
    if origin == "system":
        path = shutil.which("ffmpeg")
        if path is None:
            pytest.skip("no ffmpeg on the PATH (CI installs Debian's with apt)")
        return path
    path = pip_ffmpeg_path()
    if path is None:
        pytest.skip("the imageio-ffmpeg package is not installed")
    return path


@pytest.mark.parametrize("origin", ["system", "imageio-ffmpeg"])
@pytest.mark.parametrize("clip", ["fade_rotated.mp4", "hlg_iphone.mov"])
def test_proxy_with_each_ffmpeg(ctx: Context, tmp_path: Path, origin: str, clip: str) -> None:
    ctx.settings = ctx.settings.replace(ffmpeg_path=_executable(origin))
    proxy = transcode(ctx, VIDEOS / clip, tmp_path, MediaType.VIDEO)
    facts = describe_proxy(proxy.path)
    assert (facts["video_codec"], facts["audio_codec"], facts["pixel_format"]) == (
        "h264",
        "aac",
        "yuv420p",
    )
    assert facts["faststart"] and proxy.mime_type == "video/mp4"
    source = probe_media(VIDEOS / clip)
    assert source.video is not None
    assert (proxy.width, proxy.height) == source.video.display_size  # upright, not upscaled
    assert facts["duration"] == pytest.approx(source.duration, abs=0.15)
    assert proxy.report["tool"].endswith("(setting)")


def _tool(origin: str, decoders: set[str]) -> FFmpegTool:
    return FFmpegTool(
        path=f"/opt/{origin}/ffmpeg",
        origin=origin,
        version="x",
        decoders=frozenset(decoders),
        encoders=frozenset({"libx264", "aac"}),
        filters=frozenset(),
    )


def test_auto_prefers_the_system_ffmpeg_when_it_can_decode(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    system = _tool("system", {"h264", "hevc", "aac"})  # FFmpeg 5.1: no VVC decoder
    bundled = _tool("imageio-ffmpeg", {"h264", "hevc", "vvc", "aac"})
    monkeypatch.setattr(ffmpeg, "available_tools", lambda setting: [system, bundled])
    h264 = probe_media(VIDEOS / "fade_rotated.mp4")
    assert choose_tool("", h264) is system
    assert h264.video is not None
    vvc = dataclasses.replace(h264, video=dataclasses.replace(h264.video, codec="vvc"))
    assert choose_tool("", vvc) is bundled
    monkeypatch.setattr(ffmpeg, "available_tools", lambda setting: [system])
    with pytest.raises(IngestError, match="no ffmpeg here can decode vvc"):
        choose_tool("", vvc)


def test_the_pip_ffmpeg_is_found_without_a_system_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ffmpeg.shutil, "which", lambda name: None)
    found = ffmpeg.candidate_paths("")
    bundled = pip_ffmpeg_path()
    assert found == ([(bundled, "imageio-ffmpeg")] if bundled else [])
    if bundled:
        tool = inspect_tool(bundled, "imageio-ffmpeg")
        assert tool is not None and {"libx264", "aac"} <= tool.encoders
        assert {"h264", "hevc"} <= tool.decoders
