"""Decoding pictures from video with PyAV: the poster frame, storyboard frames, upright and SDR.

The poster comes from the first seconds of the clip and is the first candidate that is not
black (a fade-in starts black, so frame 0 is never taken on trust). Candidates are keyframes
found in the container's index: one seek and one decoded picture each, whatever the file's
length (phones and cameras put a keyframe every second or so). A file without an index, or
with keyframes far apart, is decoded forward from the keyframe before ~1 s instead, skipping
frames no other frame refers to. Storyboard frames are the keyframes nearest evenly spaced
times, each decoded once.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from PIL import Image

from dam.errors import IngestError
from ingest.media.hdr import tone_map
from ingest.media.info import VideoInfo
from ingest.media.probe import OPEN_OPTIONS

log = logging.getLogger(__name__)

BLACK_LEVEL = 40  # luma (0-255) under which a pixel counts as black (limited-range black is 16)
BLACK_SHARE = 0.98  # a frame is black when this share of its pixels is
MAX_POSTER_FRAMES = 300  # frames decoded at most while looking for a poster the slow way
POSTER_CANDIDATES = 6
KEYFRAME_REACH = 1.5  # seconds after a poster target where a keyframe may stand in for it
MAX_INDEX_ENTRIES = 2_000_000


@dataclass
class Picture:
    """A decoded frame made ready to show: RGB, upright, square pixels."""

    image: Image.Image
    time: float


def open_video(path: str, info: VideoInfo) -> tuple[Any, Any]:
    """An input container and its main video stream, set up for decoding single pictures."""
    container = av.open(path, options=OPEN_OPTIONS, metadata_errors="replace")
    stream = container.streams[info.index]
    # Slice threads: pictures are mostly decoded one at a time, where frame threads only add
    # latency and a frame buffer per thread (~80 MB more for 4K HEVC).
    stream.thread_type = "SLICE"
    return container, stream


def poster_targets(duration: float | None) -> list[float]:
    """Times to try for the poster: from ~1 s (a quarter of a short clip), then onwards."""
    if not duration or duration <= 0:
        return [1.0 + k for k in range(POSTER_CANDIDATES)]
    first = min(1.0, duration / 4)
    step = min(1.0, duration / 8)
    return [first + k * step for k in range(POSTER_CANDIDATES) if first + k * step < duration]


def keyframe_times(stream: Any) -> list[float]:
    """Times (s) of the keyframes in the container's index, ascending; [] without an index."""
    entries = stream.index_entries
    if not stream.time_base or not 0 < len(entries) <= MAX_INDEX_ENTRIES:
        return []
    start = stream.start_time or 0
    base = float(stream.time_base)
    return sorted({(e.timestamp - start) * base for e in entries if e.is_keyframe})


def find_poster(container: Any, stream: Any, info: VideoInfo, duration: float | None) -> Any:
    """The decoded poster frame (an av.VideoFrame); IngestError if nothing decodes."""
    targets = poster_targets(duration) or [0.0]
    keys = keyframe_times(stream)
    chosen = _keyframes_near(keys, targets)
    best: tuple[float, Any] | None = None
    for when in chosen:
        frame = keyframe_at(container, stream, when)
        if frame is None:
            continue
        black, luma = blackness(frame)
        if not black:
            return frame
        if best is None or luma > best[0]:
            best = (luma, frame)
    if chosen and best is not None and len(chosen) >= len(targets):
        return best[1]  # every candidate is black: the brightest of them
    return _poster_by_decoding(container, stream, info, targets)


def _keyframes_near(keys: list[float], targets: list[float]) -> list[float]:
    """For each target, the first keyframe at or after it (within reach), each once."""
    chosen: list[float] = []
    for target in targets:
        at = bisect.bisect_left(keys, target - 0.001)
        if at < len(keys) and keys[at] <= target + KEYFRAME_REACH and keys[at] not in chosen:
            chosen.append(keys[at])
    return chosen


def _poster_by_decoding(container: Any, stream: Any, info: VideoInfo, targets: list[float]) -> Any:
    """Decode forward from the keyframe before the first target, checking each target's frame.

    When the seek yields no picture (a camera clip whose only keyframe is at the start: the
    decoder gets nothing but frames that refer to it), decode again from the very start.
    """
    stream.codec_context.skip_frame = "NONREF"
    seek(container, stream, targets[0])
    found = _scan_for_poster(container, stream, list(targets))
    if found is None and targets[0] > 0:
        log.debug("no picture after seeking to %.2f s; decoding from the start", targets[0])
        seek_to_start(container, stream)
        found = _scan_for_poster(container, stream, list(targets))
    if found is None:
        raise IngestError(f"no {info.codec or 'video'} frame could be decoded")
    return found


def _scan_for_poster(container: Any, stream: Any, targets: list[float]) -> Any | None:
    """The first non-black frame at or after a target (else the brightest, else the first)."""
    brightest, brightest_luma, first = None, -1.0, None
    for count, frame in enumerate(decode(container, stream), start=1):
        first = first or frame
        when = frame.time or 0.0
        if when + 0.001 < targets[0] and count < MAX_POSTER_FRAMES:
            continue
        black, luma = blackness(frame)
        if not black:
            return frame
        if luma > brightest_luma:
            brightest, brightest_luma = frame, luma
        while targets and targets[0] <= when + 0.001:
            targets.pop(0)
        if not targets or count >= MAX_POSTER_FRAMES:
            break
    return brightest or first


def seek_to_start(container: Any, stream: Any) -> None:
    """Back to the first packet (a timestamp seek may land past a lone first keyframe)."""
    try:
        container.seek(0, backward=True, any_frame=True)
    except av.error.FFmpegError as exc:
        log.debug("seek to the start failed: %s", exc)
    stream.codec_context.flush_buffers()


def keyframe_at(container: Any, stream: Any, seconds: float) -> Any | None:
    """The keyframe at or before ``seconds``, decoded alone.

    Only the keyframe's packet is decoded, then the decoder is drained: a decoder that reorders
    frames would otherwise hold the picture back until the next keyframes arrive.
    """
    stream.codec_context.skip_frame = "DEFAULT"
    seek(container, stream, seconds)
    for packet in container.demux(stream):
        if packet.size == 0 or not packet.is_keyframe:
            continue
        try:
            frames = list(packet.decode()) or list(stream.codec_context.decode(None))
        except av.error.FFmpegError as exc:
            log.debug("keyframe at %.2f s does not decode: %s", seconds, exc)
            return None
        if not frames:
            return None
        frame = frames[0]
        frame.time_base = stream.time_base  # frames drained from the decoder come without it
        if frame.pts is None:
            frame.pts = packet.pts
        return frame
    return None


def storyboard_frames(container: Any, stream: Any, duration: float | None, count: int) -> list[Any]:
    """About ``count`` keyframes spread evenly over the clip, each once."""
    if count <= 0 or not duration:
        return []
    targets = [(k + 0.5) * duration / count for k in range(count)]
    keys = keyframe_times(stream)
    if keys:  # decode each distinct keyframe once, not once per tile
        wanted = {keys[max(0, bisect.bisect_right(keys, t + 0.001) - 1)] for t in targets}
        targets = sorted(wanted)
    frames: list[Any] = []
    seen: set[int] = set()
    for target in targets:
        frame = keyframe_at(container, stream, target)
        if frame is not None and frame.pts not in seen:
            seen.add(frame.pts)
            frames.append(frame)
    return frames


def seek(container: Any, stream: Any, seconds: float) -> None:
    """Go to the keyframe at or before ``seconds``; decoding resumes from there."""
    if seconds <= 0 or not stream.time_base:
        offset = 0
    else:
        offset = int(seconds / stream.time_base) + (stream.start_time or 0)
    try:
        container.seek(offset, stream=stream, backward=True, any_frame=False)
    except av.error.FFmpegError as exc:
        log.debug("seek to %.2f s failed (%s); decoding from where we are", seconds, exc)
    stream.codec_context.flush_buffers()


def decode(container: Any, stream: Any) -> Iterator[Any]:
    """Decoded frames of ``stream``; damaged packets are skipped rather than fatal."""
    errors = 0
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.FFmpegError as exc:
            errors += 1
            if errors > 50:
                raise IngestError(f"the video is too damaged to decode: {exc}") from None


def blackness(frame: Any) -> tuple[bool, float]:
    """(whether the frame is black, its mean luma 0-255), judged on a 96x54 thumbnail."""
    small = frame.reformat(width=96, height=54, format="gray")
    luma = small.to_ndarray().astype(np.float32)
    return float((luma < BLACK_LEVEL).mean()) >= BLACK_SHARE, float(luma.mean())


def to_picture(frame: Any, info: VideoInfo, long_edge: int) -> Picture:
    """``frame`` as an upright RGB image, scaled to fit ``long_edge``, HDR mapped to SDR."""
    display_w, display_h = _display_before_rotation(frame, info)
    scale = min(1.0, long_edge / max(display_w, display_h))
    width, height = max(2, round(display_w * scale)), max(2, round(display_h * scale))
    hdr = info.hdr_transfer
    rgb = frame.reformat(
        width=width,
        height=height,
        format="rgb48le" if hdr else "rgb24",
        interpolation="AREA",
        src_color_range=frame.color_range or None,
        dst_color_range="JPEG",
    )
    image = Image.fromarray(tone_map(rgb.to_ndarray(), hdr)) if hdr else rgb.to_image()
    return Picture(orient(image, info, frame), frame.time or 0.0)


def _display_before_rotation(frame: Any, info: VideoInfo) -> tuple[int, int]:
    width = max(2, round(frame.width * info.sample_aspect_ratio))
    return width, frame.height


def orient(image: Image.Image, info: VideoInfo, frame: Any | None = None) -> Image.Image:
    """Apply the display matrix (turns and mirroring), as players and FFmpeg do."""
    if info.matrix is not None:
        a, b, c, d = info.matrix
        if b or c:  # a quarter turn: swap the axes, then flip as the signs say
            image = image.transpose(Image.Transpose.TRANSPOSE)
            horizontal, vertical = c < 0, b < 0
        else:
            horizontal, vertical = a < 0, d < 0
        if horizontal:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if vertical:
            image = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        return image
    turn = (-(frame.rotation or 0)) % 360 if frame is not None else 0  # FFmpeg: anticlockwise
    by_turn = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180}
    by_turn[270] = Image.Transpose.ROTATE_90
    return image.transpose(by_turn[turn]) if turn in by_turn else image
