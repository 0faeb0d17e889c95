"""Video processing: probe, poster frame, thumbnail and preview from it, storyboard; proxy later.

``analyse_video`` runs in a child process (``ingest.sandbox``): it probes the file with PyAV,
picks the poster (the first non-black frame from ~1 s on), makes the poster, preview and
thumbnail renditions from it, and a storyboard of evenly spaced keyframes. A file without a
video stream is analysed as audio. The web proxy is a separate job (``ingest.proxy``).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from dam.config import Settings
from dam.enums import MediaType
from dam.errors import IngestError
from ingest.audio import analyse_audio
from ingest.media.frames import find_poster, open_video, storyboard_frames, to_picture
from ingest.media.info import VideoInfo
from ingest.media.probe import COLOR_NAMES, libavcodec_version, probe_media
from ingest.stills import sized_renditions, storyboard_sheet
from ingest.timebased import MediaAnalysis, raw_media

log = logging.getLogger(__name__)


def analyse_video(path: str, settings: Settings) -> MediaAnalysis:
    """Probe and pictures of the video at ``path`` (run it through the sandbox)."""
    info = probe_media(Path(path))
    if info.video is None:
        if info.audio is not None:
            return analyse_audio(path, settings, info)
        raise IngestError(f"no video or audio stream in this {info.container} file")
    analysis = MediaAnalysis(info, MediaType.VIDEO, raw={"media": raw_media(info)})
    if not info.video.can_decode:
        analysis.failure = (
            f"this FFmpeg ({libavcodec_version()}) has no decoder for "
            f"{info.video.codec_tag or 'its'} video: the original is kept; "
            "process it again with a newer FFmpeg"
        )
        return analysis
    try:
        _make_pictures(path, settings, analysis)
    except IngestError as exc:
        analysis.failure = str(exc)
    analysis.needs_proxy = analysis.failure is None
    return analysis


def _make_pictures(path: str, settings: Settings, analysis: MediaAnalysis) -> None:
    info = analysis.info
    assert info.video is not None
    container, stream = open_video(path, info.video)
    try:
        frame = find_poster(container, stream, info.video, info.duration)
        video = _decoded_facts(info.video, stream)
        analysis.info = dataclasses.replace(info, video=video)
        poster = to_picture(frame, video, settings.preview_size)
        sizes = {
            "preview": settings.preview_size,
            "poster": settings.proxy_long_edge,
            "thumbnail": settings.thumbnail_size,
        }
        images = sized_renditions(
            poster.image, sizes, settings.rendition_format, settings.rendition_quality
        )
        analysis.outputs.extend(images)
        analysis.raw["poster"] = {"time": round(poster.time, 3)}
        _add_storyboard(container, stream, video, info.duration, settings, analysis)
    finally:
        container.close()
    analysis.raw["media"] = raw_media(analysis.info)


def _add_storyboard(
    container: Any,
    stream: Any,
    video: VideoInfo,
    duration: float | None,
    settings: Settings,
    analysis: MediaAnalysis,
) -> None:
    frames = storyboard_frames(container, stream, duration, settings.storyboard_frames)
    pictures = [to_picture(frame, video, 480) for frame in frames]
    sheet = storyboard_sheet(
        [p.image for p in pictures], settings.rendition_format, settings.rendition_quality
    )
    if sheet is not None:
        analysis.outputs.append(sheet)
        analysis.raw["storyboard"] = {
            "columns": min(4, len(pictures)),
            "times": [round(p.time, 3) for p in pictures],
        }


def _decoded_facts(video: VideoInfo, stream: Any) -> VideoInfo:
    """What only decoding tells (pixel format, colour of H.264 without a colr box)."""
    ctx = stream.codec_context

    def colour(attribute: str, known: str | None) -> str | None:
        value = getattr(ctx, attribute, None)
        return known or (COLOR_NAMES[attribute].get(int(value)) if value is not None else None)

    return dataclasses.replace(
        video,
        pixel_format=video.pixel_format or ctx.pix_fmt,
        color_transfer=colour("color_trc", video.color_transfer),
        color_primaries=colour("color_primaries", video.color_primaries),
        color_space=colour("colorspace", video.color_space),
    )
