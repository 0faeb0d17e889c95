"""The proxy job: a copy of a video (H.264/AAC MP4) or audio file (AAC M4A) that browsers play.

HEVC, ProRes, VP9-in-MOV, WAV, FLAC and friends do not play everywhere; the proxy does. It is
a separate job (``JobKind.MAKE_PROXY``) at lower priority than processing, so a batch of photos
never waits behind a long transcode. The job is safe to retry: it returns early when the asset
is gone, not ready, or already has its proxy. The original comes from the store as a local
file (streamed to a temporary file on S3), ffmpeg writes the proxy into a temporary folder,
and the proxy is streamed to the store: nothing is read into memory. A proxy that cannot be
made is recorded (``metadata_json["proxy"]``) and fails the job; the asset stays READY, since
its original, poster and metadata are fine.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dam import changes
from dam.context import Context
from dam.enums import AssetState, MediaType, RenditionKind
from dam.errors import IngestError
from dam.models import Asset, Rendition, utcnow
from ingest.media.ffmpeg import audio_proxy_args, choose_tool, run_ffmpeg, video_proxy_args
from ingest.media.info import MediaInfo
from ingest.media.probe import describe_proxy, probe_media
from ingest.sandbox import run_limited
from storage import rendition_key

log = logging.getLogger(__name__)

TIME_MARGIN = 15  # seconds left to the job after ffmpeg's own limit, to record the failure
PROBE_TIMEOUT = 60


@dataclass(frozen=True)
class ProxyFile:
    path: Path
    mime_type: str
    extension: str
    width: int
    height: int
    report: dict[str, Any]


def make_proxy(ctx: Context, asset_id: int) -> bool:
    """Make and store the asset's proxy; False when there is nothing to do."""
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.state != AssetState.READY:
            return False
        if asset.media_type not in (MediaType.VIDEO, MediaType.AUDIO):
            return False
        sha256, original_key, media_type = asset.sha256, asset.original_key, asset.media_type
        existing = _proxy_row(session, asset_id)
        if existing is not None and ctx.store.exists(existing.key):
            return False
    try:
        with (
            ctx.store.local_path(original_key) as source,
            tempfile.TemporaryDirectory(prefix="acervo-proxy-") as folder,
        ):
            proxy = transcode(ctx, source, Path(folder), MediaType(media_type))
            key = rendition_key(sha256, "proxy", proxy.extension)
            ctx.store.put_file(key, proxy.path, content_type=proxy.mime_type)
            size = proxy.path.stat().st_size
    except IngestError as exc:
        if not exc.transient:
            _record(ctx, asset_id, None, {"state": "failed", "error": str(exc)})
        raise
    row = Rendition(
        kind=RenditionKind.PROXY,
        page=0,
        key=key,
        mime_type=proxy.mime_type,
        width=proxy.width,
        height=proxy.height,
        byte_size=size,
    )
    _record(ctx, asset_id, row, {"state": "ready", **proxy.report})
    return True


def transcode(ctx: Context, source: Path, folder: Path, media_type: MediaType) -> ProxyFile:
    """Run ffmpeg on ``source`` into ``folder``; the checked proxy file."""
    settings = ctx.settings
    info: MediaInfo = run_limited(
        probe_media,
        source,
        label="probe",
        timeout=PROBE_TIMEOUT,
        memory_mb=settings.media_step_memory_mb,
    )
    tool = choose_tool(settings.ffmpeg_path, info)
    video = media_type == MediaType.VIDEO and info.video is not None
    target = folder / ("proxy.mp4" if video else "proxy.m4a")
    if video:
        args = video_proxy_args(tool, source, target, info, settings.proxy_long_edge)
    else:
        if info.audio is None:
            raise IngestError("no audio stream to make a proxy of")
        args = audio_proxy_args(tool, source, target, info)
    timeout = max(10, settings.proxy_timeout_seconds - TIME_MARGIN)
    seconds = run_ffmpeg(
        args,
        timeout=timeout,
        memory_mb=max(settings.media_step_memory_mb, 1024),
        log_path=folder / "ffmpeg.log",
    )
    facts = describe_proxy(target)
    _check(facts, video)
    report = {
        "tool": tool.label,
        "seconds": round(seconds, 2),
        "speed": round(info.duration / seconds, 2) if info.duration and seconds else None,
        "faststart": facts["faststart"],
    }
    mime = "video/mp4" if video else "audio/mp4"
    extension = "mp4" if video else "m4a"
    width, height = int(facts["width"] or 0), int(facts["height"] or 0)  # type: ignore[call-overload]
    return ProxyFile(target, mime, extension, width, height, report)


def _check(facts: dict[str, Any], video: bool) -> None:
    """A proxy every browser plays: H.264 (4:2:0) and/or AAC in MP4, moov before mdat."""
    if video and (facts["video_codec"] != "h264" or facts["pixel_format"] not in (None, "yuv420p")):
        raise IngestError(f"ffmpeg made an unexpected proxy: {facts}")
    if facts["audio_codec"] not in (None, "aac") or (not video and facts["audio_codec"] is None):
        raise IngestError(f"ffmpeg made an unexpected proxy: {facts}")
    if not facts["faststart"]:
        raise IngestError("ffmpeg did not move the proxy's index to the front (faststart)")


def _proxy_row(session, asset_id: int) -> Rendition | None:  # type: ignore[no-untyped-def]
    return session.scalars(
        select(Rendition).where(
            Rendition.asset_id == asset_id, Rendition.kind == RenditionKind.PROXY
        )
    ).first()


def _record(ctx: Context, asset_id: int, row: Rendition | None, report: dict[str, Any]) -> None:
    """Store the proxy's row (replacing an old one) and what happened, in one transaction."""
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            return
        changes.record(session, [asset_id], "updated")
        if row is not None:
            old = _proxy_row(session, asset_id)
            if old is not None:
                session.delete(old)
                session.flush()
            row.asset_id = asset_id
            row.created_at = utcnow()
            session.add(row)
        asset.metadata_json = {**(asset.metadata_json or {}), "proxy": report}
