"""Probing video and audio files in-process with PyAV (FFmpeg's libraries), into a MediaInfo.

Why PyAV and not an ffprobe subprocess: PyAV's wheels bundle FFmpeg's libraries, so probing is
a library call, ~10 ms a file here, against ~110 ms for starting ``ffprobe`` and parsing its
JSON; and the pip-installed FFmpeg (imageio-ffmpeg) ships no ffprobe at all. The display matrix
is read from the MP4/QuickTime track header (``tkhd``) by ``ingest.media.isobmff``, because
PyAV exposes a stream's display matrix only on decoded frames.
"""

from __future__ import annotations

import datetime as dt
import logging
import struct
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.logging

from dam.errors import IngestError
from ingest.media.avchd import avchd_capture_time
from ingest.media.info import AudioInfo, MediaInfo, VideoInfo, rotation_from_matrix, short_container
from ingest.media.isobmff import loci_location, top_level_boxes, track_matrices

log = logging.getLogger(__name__)

# FFmpeg's names of the colour enums (libavutil/pixfmt.h); "unspecified" and unknown: None.
COLOR_NAMES: dict[str, dict[int, str]] = {
    "color_trc": {
        1: "bt709",
        4: "gamma22",
        5: "gamma28",
        6: "smpte170m",
        7: "smpte240m",
        8: "linear",
        11: "iec61966-2-4",
        13: "iec61966-2-1",
        14: "bt2020-10",
        15: "bt2020-12",
        16: "smpte2084",
        17: "smpte428",
        18: "arib-std-b67",
    },
    "color_primaries": {
        1: "bt709",
        4: "bt470m",
        5: "bt470bg",
        6: "smpte170m",
        7: "smpte240m",
        9: "bt2020",
        11: "smpte431",
        12: "smpte432",
    },
    "colorspace": {
        0: "gbr",
        1: "bt709",
        5: "bt470bg",
        6: "smpte170m",
        7: "smpte240m",
        9: "bt2020nc",
        10: "bt2020c",
        14: "ictcp",
    },
}

# Open without decoding: FFmpeg's stream analysis otherwise decodes the first frames of H.264
# (seven of them, to learn the reordering depth), ~350 ms for a 4K phone clip against ~3 ms.
# What only decoding tells (H.264's pixel format and colour) is filled in from the poster.
OPEN_OPTIONS = {"skip_frame": "all"}


def libavcodec_version() -> str:
    major, minor, micro = av.library_versions["libavcodec"]
    return f"libavcodec {major}.{minor}.{micro}"


def open_media(path: Path) -> Any:
    """An open PyAV input container, or IngestError with FFmpeg's own reason."""
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture() as logs:
            try:
                return av.open(str(path), options=OPEN_OPTIONS, metadata_errors="replace")
            except av.error.FFmpegError as exc:
                raise IngestError(f"unreadable media file: {_reason(exc, logs)}") from None
    finally:
        av.logging.set_level(None)  # decoders complain of every damaged packet: not a log line


def _reason(exc: Any, logs: list[tuple[int, str, str]]) -> str:
    said = "; ".join(dict.fromkeys(message.strip() for _level, _name, message in logs))
    base = getattr(exc, "strerror", None) or str(exc)
    return f"{said} ({base})" if said else str(base)


def probe_media(path: Path) -> MediaInfo:
    """Container, streams and tags of the video or audio file at ``path``."""
    container = open_media(path)
    try:
        return _describe(container, path)
    finally:
        container.close()


def _describe(container: Any, path: Path) -> MediaInfo:
    # NUL is valid in a tag but not in PostgreSQL text: tags are cut at the first one.
    tags = {str(k).lower(): str(v).split("\x00", 1)[0] for k, v in container.metadata.items()}
    precise = _loci_location(path)
    if precise is not None and "location" in tags:
        tags["location"] = precise  # FFmpeg rounds the loci box to 4 decimals
    format_name = container.format.name
    duration = container.duration / av.time_base if container.duration else None
    video_stream = pick_video_stream(container)
    if format_name == "mpegts" and video_stream is not None and "creation_time" not in tags:
        _read_avchd_date(container, video_stream, tags)
    audio_stream = _pick_audio_stream(container)
    video = _video_info(video_stream, path, format_name) if video_stream is not None else None
    return MediaInfo(
        container=short_container(format_name, tags.get("major_brand")),
        format_name=format_name,
        duration=duration if duration and duration > 0 else _stream_duration(container),
        bit_rate=container.bit_rate or None,
        video=video,
        audio=_audio_info(audio_stream) if audio_stream is not None else None,
        tags=tags,
        streams=[_summary(s) for s in container.streams],
    )


def pick_video_stream(container: Any) -> Any | None:
    """The main video stream: not cover art, the default one first, then the earliest."""
    candidates = [
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    if not candidates:
        return None
    default = [s for s in candidates if s.disposition & av.stream.Disposition.default]
    return (default or candidates)[0]


def _pick_audio_stream(container: Any) -> Any | None:
    streams = list(container.streams.audio)
    default = [s for s in streams if s.disposition & av.stream.Disposition.default]
    return (default or streams or [None])[0]


def _stream_duration(container: Any) -> float | None:
    durations = [
        float(s.duration * s.time_base) for s in container.streams if s.duration and s.time_base
    ]
    return max(durations) if durations else None


def _video_info(stream: Any, path: Path, format_name: str) -> VideoInfo:
    ctx = stream.codec_context
    rotation, matrix = 0, None
    if format_name.startswith("mov,mp4"):
        found = _matrix_for(path, stream.index)
        if found is not None:
            a, b, c, d = found
            rotation, _mirrored = rotation_from_matrix(a, b, c, d)
            matrix = tuple(_sign(v) for v in found)  # type: ignore[assignment]
    sar = stream.sample_aspect_ratio or (ctx.sample_aspect_ratio if ctx else None)
    return VideoInfo(
        index=stream.index,
        codec=_codec_name(ctx),
        codec_tag=_fourcc(stream),
        width=(ctx.width if ctx else 0) or 0,
        height=(ctx.height if ctx else 0) or 0,
        frame_rate=_rate(stream.average_rate) or _rate(stream.guessed_rate),
        pixel_format=ctx.pix_fmt if ctx else None,
        color_transfer=_color_name(ctx, "color_trc"),
        color_primaries=_color_name(ctx, "color_primaries"),
        color_space=_color_name(ctx, "colorspace"),
        sample_aspect_ratio=float(sar) if sar and sar > 0 else 1.0,
        rotation=rotation,
        matrix=matrix,  # type: ignore[arg-type]
        frames=stream.frames or None,
        can_decode=ctx is not None and _has_decoder(ctx.name),
    )


def describe_proxy(path: Path) -> dict[str, object]:
    """What a made proxy holds: container, codecs, picture size, whether moov comes first."""
    info = probe_media(path)
    with open(path, "rb") as handle:
        boxes = top_level_boxes(handle)
    moov_first = b"moov" in boxes and (
        b"mdat" not in boxes or boxes.index(b"moov") < boxes.index(b"mdat")
    )
    return {
        "container": info.container,
        "video_codec": info.video.codec if info.video else None,
        "pixel_format": _first_frame_format(path, info.video.index) if info.video else None,
        "width": info.video.width if info.video else 0,
        "height": info.video.height if info.video else 0,
        "audio_codec": info.audio.codec if info.audio else None,
        "duration": info.duration,
        "faststart": moov_first,
    }


def _first_frame_format(path: Path, index: int) -> str | None:
    """The pixel format of the first decoded frame (what players will get)."""
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams[index]):
            return str(frame.format.name)
    return None


def _audio_info(stream: Any) -> AudioInfo:
    ctx = stream.codec_context
    return AudioInfo(
        index=stream.index,
        codec=_codec_name(ctx),
        channels=(ctx.channels if ctx else None) or None,
        sample_rate=(ctx.sample_rate if ctx else None) or None,
        bit_rate=(ctx.bit_rate if ctx else None) or None,
        can_decode=ctx is not None and _has_decoder(ctx.name),
    )


def _read_avchd_date(container: Any, stream: Any, tags: dict[str, str]) -> None:
    """An AVCHD camera's capture time (``ingest.media.avchd``) as the creation_time tag."""
    if _codec_name(stream.codec_context) != "h264":
        return
    try:
        when = avchd_capture_time(container, stream)
        container.seek(0)
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        log.debug("no AVCHD date: %s", exc)
        return
    if when is not None:  # the camera's wall clock, with the zone it states (else local time)
        wall_clock, offset = when
        zone = dt.timezone(dt.timedelta(minutes=offset)) if offset is not None else None
        tags["creation_time"] = wall_clock.replace(tzinfo=zone).isoformat()


def _loci_location(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return loci_location(handle)
    except (OSError, struct.error, ValueError) as exc:
        log.debug("%s: no loci box: %s", path.name, exc)
        return None


def _matrix_for(path: Path, index: int) -> tuple[float, float, float, float] | None:
    try:
        with open(path, "rb") as handle:
            matrices = track_matrices(handle)
    except (OSError, struct.error, ValueError) as exc:
        log.debug("%s: no track matrix: %s", path.name, exc)
        return None
    return matrices[index] if index < len(matrices) else None


def _codec_name(ctx: Any) -> str | None:
    """The codec's name (``mp3``, ``av1``), not its decoder's (``mp3float``, ``libdav1d``)."""
    if ctx is None or not ctx.name:
        return None
    return getattr(ctx.codec, "canonical_name", None) or ctx.name


def _has_decoder(name: str | None) -> bool:
    if not name:
        return False
    try:
        return av.Codec(name, "r") is not None
    except (av.error.FFmpegError, ValueError):
        return False


def _sign(value: float) -> int:
    return (value > 0.5) - (value < -0.5)


def _rate(rate: Fraction | None) -> float | None:
    if not rate or rate <= 0:
        return None
    return round(float(rate), 3)


def _fourcc(stream: Any) -> str | None:
    ctx = stream.codec_context
    tag = getattr(ctx, "codec_tag", None) if ctx else None
    if isinstance(tag, str) and tag.strip("\x00").isprintable():
        return tag.strip("\x00") or None
    return None


def _color_name(ctx: Any, attribute: str) -> str | None:
    """FFmpeg's name for a colour property (PyAV gives the enum's number)."""
    value = getattr(ctx, attribute, None) if ctx else None
    if value is None:
        return None
    return COLOR_NAMES[attribute].get(int(value))


def _summary(stream: Any) -> dict[str, object]:
    ctx = stream.codec_context
    summary: dict[str, object] = {"index": stream.index, "type": stream.type}
    if ctx is not None:
        summary["codec"] = ctx.name
    if stream.frames:
        summary["frames"] = stream.frames
    if stream.duration and stream.time_base:
        summary["duration"] = round(float(stream.duration * stream.time_base), 3)
    if stream.type == "video" and ctx is not None:
        summary["size"] = f"{ctx.width}x{ctx.height}"
    handler = stream.metadata.get("handler_name")
    if handler:
        summary["handler"] = str(handler)[:100]
    return summary
