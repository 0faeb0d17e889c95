"""What video and audio processing share: the analysis result, its catalog fields, the proxy job.

Analysis (probe, poster, storyboard, waveform) runs in a child process with time and memory
limits (``ingest.sandbox``) and hands back a ``MediaAnalysis``; the worker stores its pictures,
writes the catalog fields below, and queues the proxy as a separate, lower-priority job.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from dam.enums import JobKind, JobState, MediaType, RenditionKind
from dam.models import Asset, Job, Rendition
from dam.queue import enqueue
from ingest.media.info import MediaInfo, read_capture
from ingest.renditions import RenderedImage

PROXY_PRIORITY = 200  # process_asset jobs are 100: a batch of photos never waits for transcodes
MAX_RAW_TAGS = 60


@dataclass
class MediaAnalysis:
    """What the analysis child found: the probe, the pictures made, and what went wrong."""

    info: MediaInfo
    media_type: MediaType
    outputs: list[RenderedImage] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None
    needs_proxy: bool = False


def catalog_fields(info: MediaInfo) -> dict[str, Any]:
    """Asset columns from a probe: every media column is set (None clears an old value)."""
    video, audio = info.video, info.audio
    capture = read_capture(info.tags)
    return {
        "duration_seconds": round(info.duration, 3) if info.duration else None,
        "container": info.container,
        "video_codec": video.codec if video else None,
        "audio_codec": audio.codec if audio else None,
        "frame_rate": video.frame_rate if video else None,
        "bit_rate": info.bit_rate,
        "audio_channels": audio.channels if audio else None,
        "sample_rate": audio.sample_rate if audio else None,
        "rotation": video.rotation if video else None,
        "hdr_transfer": video.hdr_transfer if video else None,
        "width": video.width if video else None,
        "height": video.height if video else None,
        "taken_at": capture.taken_at,
        "taken_at_offset_minutes": capture.taken_at_offset_minutes,
        "gps_latitude": capture.latitude,
        "gps_longitude": capture.longitude,
        "gps_altitude": capture.altitude,
        "camera_make": capture.make[:200] if capture.make else None,
        "camera_model": capture.model[:200] if capture.model else None,
        "headline": capture.title,
        "creator": capture.artist,
        "caption": capture.comment,
    }


def raw_media(info: MediaInfo) -> dict[str, Any]:
    """The probe for metadata_json: bounded, JSON-ready."""
    tags = dict(list(info.tags.items())[:MAX_RAW_TAGS])
    data: dict[str, Any] = {
        "format": info.format_name,
        "tags": {k: v[:500] for k, v in tags.items()},
        "streams": info.streams[:20],
    }
    if info.video is not None:
        video = dataclasses.asdict(info.video)
        video["display_size"] = list(info.video.display_size)
        data["video"] = video
    if info.audio is not None:
        data["audio"] = dataclasses.asdict(info.audio)
    return data


def queue_proxy(session, asset: Asset, max_attempts: int) -> None:  # type: ignore[no-untyped-def]
    """Queue the proxy job unless the asset has a proxy or a proxy job is waiting or running."""
    has_proxy = session.scalars(
        select(Rendition.id).where(
            Rendition.asset_id == asset.id, Rendition.kind == RenditionKind.PROXY
        )
    ).first()
    waiting = session.scalars(
        select(Job.id).where(
            Job.asset_id == asset.id,
            Job.kind == JobKind.MAKE_PROXY,
            Job.state.in_([JobState.QUEUED, JobState.RUNNING]),
        )
    ).first()
    if has_proxy is None and waiting is None:
        enqueue(
            session,
            JobKind.MAKE_PROXY,
            asset.id,
            priority=PROXY_PRIORITY,
            max_attempts=max_attempts,
        )
