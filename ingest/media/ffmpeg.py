"""The FFmpeg program: finding one that can decode a file, building proxy commands, running them.

Proxies are made by the ``ffmpeg`` command (built with ffmpeg-python), not in-process: a
transcode runs for minutes, streams from file to file with bounded memory, and is easy to stop
and to limit (time, address space, killed with its worker). Which ``ffmpeg``: the
``ffmpeg_path`` setting if set; otherwise the one on the PATH (a distribution's, kept up to
date with the system) when it has a decoder for the file's codecs, else the static build that
the imageio-ffmpeg package ships, so that a machine with nothing but ``pip install`` can make
proxies. Debian 12's FFmpeg 5.1 cannot decode VVC, for example, while imageio-ffmpeg's can.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ffmpeg

from dam.errors import IngestError
from ingest.lifeline import die_with_parent
from ingest.media.info import MediaInfo

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 20  # seconds for `ffmpeg -decoders` and friends
MIB = 1024 * 1024
_CODEC_NOTE = re.compile(r"\(codec (\w+)\)")
# Sample rates AAC-LC handles and browsers play; others are resampled to 48 kHz.
AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})


@dataclass(frozen=True)
class FFmpegTool:
    """One ffmpeg executable and what it can do."""

    path: str
    origin: str  # "setting", "system" or "imageio-ffmpeg"
    version: str
    decoders: frozenset[str]
    encoders: frozenset[str]
    filters: frozenset[str]

    @property
    def label(self) -> str:
        return f"FFmpeg {self.version} ({self.origin})"

    def can_decode(self, codec: str | None) -> bool:
        return codec is None or codec in self.decoders


def pip_ffmpeg_path() -> str | None:
    """The ffmpeg binary shipped by the imageio-ffmpeg package, if installed."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError:
        return None


def candidate_paths(setting: str) -> list[tuple[str, str]]:
    """(path, origin) of the executables to consider, in order of preference."""
    if setting:
        return [(setting, "setting")]
    found = []
    system = shutil.which("ffmpeg")
    if system:
        found.append((system, "system"))
    bundled = pip_ffmpeg_path()
    if bundled and bundled != system:
        found.append((bundled, "imageio-ffmpeg"))
    return found


@lru_cache(maxsize=8)
def inspect_tool(path: str, origin: str) -> FFmpegTool | None:
    """What the ffmpeg at ``path`` can do; None if it does not run."""
    try:
        version = _run_capture([path, "-hide_banner", "-version"]).split()
        names = {
            kind: _names(_run_capture([path, "-hide_banner", f"-{kind}"]))
            for kind in ("decoders", "encoders", "filters")
        }
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("cannot run %s (%s): %s", path, origin, exc)
        return None
    return FFmpegTool(
        path=path,
        origin=origin,
        version=version[2] if len(version) > 2 else "unknown",
        decoders=names["decoders"],
        encoders=names["encoders"],
        filters=names["filters"],
    )


def _run_capture(args: list[str]) -> str:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=True, errors="replace"
    )
    return done.stdout


def _names(listing: str) -> frozenset[str]:
    """Names in an ``ffmpeg -decoders/-encoders/-filters`` listing, with their codec names."""
    names: set[str] = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) < 3 or parts[0].startswith(("-", "=")) or len(parts[0]) > 6:
            continue
        names.add(parts[1])
        names.update(_CODEC_NOTE.findall(line))
    return frozenset(names)


def available_tools(setting: str) -> list[FFmpegTool]:
    tools = [inspect_tool(path, origin) for path, origin in candidate_paths(setting)]
    return [t for t in tools if t is not None]


def choose_tool(setting: str, info: MediaInfo) -> FFmpegTool:
    """The first usable ffmpeg that decodes the file's streams and encodes H.264 and AAC."""
    tools = available_tools(setting)
    if not tools:
        where = setting or "the PATH or the imageio-ffmpeg package"
        raise IngestError(f"no working ffmpeg found in {where}")
    video = info.video.codec if info.video else None
    audio = info.audio.codec if info.audio and info.audio.can_decode else None
    for tool in tools:
        encodes = "aac" in tool.encoders and (video is None or "libx264" in tool.encoders)
        if encodes and tool.can_decode(video) and tool.can_decode(audio):
            return tool
    found = ", ".join(t.label for t in tools)
    raise IngestError(f"no ffmpeg here can decode {video or audio} and encode the proxy ({found})")


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def proxy_size(info: MediaInfo, long_edge: int) -> tuple[int, int]:
    """The proxy's width and height: upright, square pixels, even, never larger than shown."""
    assert info.video is not None
    width, height = info.video.display_size
    scale = min(1.0, long_edge / max(width, height))
    return _even(width * scale), _even(height * scale)


def video_proxy_args(
    tool: FFmpegTool, source: Path, target: Path, info: MediaInfo, long_edge: int
) -> list[str]:
    """An ffmpeg command for an H.264/AAC MP4 at most ``long_edge`` px, rotation applied.

    FFmpeg turns the picture by the display matrix while decoding (``autorotate``), so the
    proxy needs no matrix. HDR is tone-mapped to BT.709 when this ffmpeg has zscale.
    """
    assert info.video is not None
    width, height = proxy_size(info, long_edge)
    source_input = ffmpeg.input(str(source))
    # Limited ("tv") range out, whatever the source: a full-range (yuvj) H.264 proxy is flagged
    # as such and some browsers show it washed out; FFmpeg 7+ would otherwise keep the range.
    video = source_input[str(info.video.index)].filter("scale", width, height, flags="bicubic",
                                                       out_range="tv")
    if info.video.hdr_transfer and {"zscale", "tonemap"} <= tool.filters:
        video = (
            video.filter("zscale", t="linear", npl=100)
            .filter("format", "gbrpf32le")
            .filter("zscale", p="bt709")
            .filter("tonemap", tonemap="hable", desat=0)
            .filter("zscale", t="bt709", m="bt709", r="tv")
        )
    video = video.filter("setsar", 1).filter("format", "yuv420p")
    streams = [video]
    options = {
        "vcodec": "libx264",
        "preset": "veryfast",
        "crf": 23,
        "profile:v": "high",
        "color_range": "tv",
        "force_key_frames": "expr:gte(t,n_forced*2)",
        "fpsmax": 60,
        "movflags": "+faststart",
        "map_metadata": -1,
        "map_chapters": -1,
        "f": "mp4",
    }
    if info.audio is not None and info.audio.can_decode:
        streams.append(source_input[str(info.audio.index)])
        options.update(_aac_options(info))
    return _compile(tool, ffmpeg.output(*streams, str(target), **options))


def audio_proxy_args(tool: FFmpegTool, source: Path, target: Path, info: MediaInfo) -> list[str]:
    """An ffmpeg command for an AAC-in-MP4 (M4A) copy of the main audio stream."""
    assert info.audio is not None
    stream = ffmpeg.input(str(source))[str(info.audio.index)]
    options = {"vn": None, "movflags": "+faststart", "map_metadata": -1, "f": "mp4"}
    options.update(_aac_options(info))
    return _compile(tool, ffmpeg.output(stream, str(target), **options))


def _aac_options(info: MediaInfo) -> dict[str, object]:
    assert info.audio is not None
    options: dict[str, object] = {"acodec": "aac", "b:a": "128k"}
    if (info.audio.channels or 2) > 2:
        options["ac"] = 2
    if info.audio.sample_rate not in AAC_RATES:
        options["ar"] = 48000
    return options


def _compile(tool: FFmpegTool, node: object) -> list[str]:
    args = ffmpeg.compile(node, cmd=tool.path)  # type: ignore[arg-type]
    # Global options belong before the first input; ffmpeg-python appends them at the end.
    return [args[0], "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args[1:]]


def _limit_child(memory_mb: int, parent: int) -> None:
    """In the ffmpeg child, before exec: cap its address space, die with the worker."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MIB, memory_mb * MIB))
    die_with_parent(parent)


def run_ffmpeg(args: list[str], *, timeout: float, memory_mb: int, log_path: Path) -> float:
    """Run an ffmpeg command; its duration in seconds, or IngestError with FFmpeg's reason."""
    started, parent = time.monotonic(), os.getpid()
    with open(log_path, "wb") as errors:
        try:
            done = subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                timeout=timeout,
                preexec_fn=lambda: _limit_child(memory_mb, parent),  # noqa: PLW1509
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise IngestError(f"ffmpeg took longer than {timeout:g} s and was stopped") from None
    if done.returncode != 0:
        raise IngestError(f"ffmpeg failed ({_status(done.returncode)}): {_tail(log_path)}")
    return time.monotonic() - started


def _status(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _tail(path: Path, limit: int = 1500) -> str:
    try:
        data = path.read_bytes()[-limit:]
    except OSError:
        return "no error output"
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return " | ".join(dict.fromkeys(lines[-6:])) or "no error output"
