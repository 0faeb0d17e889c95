"""Publishing the gallery: plan, media, pages, manifest, then one switch of the live site.

The steps, in order: the plan (what may be public, what is held back and why); the media (only
renditions whose names the live gallery lacks are encoded); the :class:`Site`; the pages; the
signed manifest over every file; the release written next to the live gallery and switched to.
A failure anywhere before the switch leaves the previous gallery exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from dam.context import Context
from dam.curation.actor import Actor
from dam.models import utcnow
from publish.branding import load_band
from publish.credentials import load_signer
from publish.gallery import runlog
from publish.gallery.assemble import ItemMedia, build_site, utc
from publish.gallery.media import (
    EncodeTask,
    MediaContext,
    cache_key,
    description_digest,
    encode_all,
    image_path,
    live_images,
    pool_size,
    signer_identity,
    video_path,
)
from publish.gallery.plan import GALLERY_PROFILE, HeldAsset, Plan, PlannedAsset, make_plan
from publish.gallery.site import MediaFile
from publish.gallery.targets import (
    GalleryTarget,
    LiveFile,
    Release,
    default_target,
    open_target,
)
from publish.profiles import load_profile

log = logging.getLogger(__name__)


@dataclass
class PublishResult:
    """What a publication did (or, in a dry run, would do)."""

    target: str
    run_id: int | None = None
    status: str = "done"
    dry_run: bool = False
    notice: bool = False
    collections: int = 0
    photos: int = 0
    videos: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    encoded: int = 0  # pictures encoded (each with its sizes)
    held: list[HeldAsset] = field(default_factory=list)
    promoted: int = 0  # assets moved from approved to published
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target, "run_id": self.run_id, "status": self.status,
            "dry_run": self.dry_run, "notice": self.notice, "collections": self.collections,
            "photos": self.photos, "videos": self.videos, "written": len(self.written),
            "unchanged": self.unchanged, "removed": len(self.removed), "encoded": self.encoded,
            "promoted": self.promoted, "seconds": round(self.seconds, 3),
            "held": [h.to_json() for h in self.held],
            "written_paths": self.written[:500], "removed_paths": self.removed[:500],
        }


class _Writer:
    """Puts files into the release, carrying over those whose bytes the live gallery has."""

    def __init__(self, release: Release | None, live: dict[str, LiveFile]) -> None:
        self.release = release
        self.live = live
        self.entries: dict[str, tuple[str, int]] = {}
        self.written: list[str] = []
        self.unchanged = 0

    def put(self, path: str, data: bytes) -> None:
        sha = hashlib.sha256(data).hexdigest()
        self.entries[path] = (sha, len(data))
        if self.live.get(path, LiveFile("", -1)).sha256 == sha:
            self._keep(path)
            return
        self.written.append(path)
        if self.release is not None:
            self.release.write(path, data)

    def put_stream(self, path: str, stream: BinaryIO) -> int:
        assert self.release is not None
        sha, size = self.release.write_stream(path, stream)
        self.entries[path] = (sha, size)
        self.written.append(path)
        return size

    def keep(self, path: str) -> None:
        entry = self.live[path]
        self.entries[path] = (entry.sha256, entry.size)
        self._keep(path)

    def _keep(self, path: str) -> None:
        self.unchanged += 1
        if self.release is not None:
            self.release.keep(path)


def publish_gallery(ctx: Context, actor: Actor, *, target: str | None = None,
                    notice: bool = False, now: dt.datetime | None = None,
                    dry_run: bool = False, run_id: int | None = None) -> PublishResult:
    """Publish the gallery to ``target`` (default: the ``gallery_target`` setting).

    Records a PublishRun (``run_id``: one the worker already claimed). Raises
    PublishRefusedError during a blackout without ``notice``, TargetBusyError when another
    publication holds the target, and whatever failed otherwise, the live gallery untouched.
    """
    started = time.monotonic()
    now = utc(now or utcnow())
    url = target or default_target(ctx.settings)
    gallery = open_target(url, ctx.settings)
    result = PublishResult(gallery.url, dry_run=dry_run, notice=notice)
    if not dry_run:
        run_id = runlog.start_run(ctx, actor, gallery.url, notice, now, run_id)
        result.run_id = run_id
    plan: Plan | None = None
    try:
        with gallery.lock(), _lease(ctx, run_id) as lease:
            plan = _plan(ctx, actor, now, notice, dry_run)
            _publish(ctx, plan, gallery, result, now, f"{now:%Y%m%dT%H%M%S}-{run_id or 'dry'}",
                     lease)
    except BaseException as exc:
        result.seconds = time.monotonic() - started
        if run_id is not None:
            runlog.fail_run(ctx, actor, run_id, exc, plan, result)
        raise
    result.seconds = time.monotonic() - started
    if run_id is not None:
        runlog.finish_run(ctx, run_id, result)
    log.info("gallery published to %s: %d written, %d unchanged, %d removed, %d held back",
             gallery.url, len(result.written), result.unchanged, len(result.removed),
             len(result.held))
    return result


def _lease(ctx: Context, run_id: int | None) -> contextlib.AbstractContextManager[Any]:
    """The run's lease, renewed while it publishes (nothing for a dry run)."""
    return runlog.Lease(ctx, run_id) if run_id is not None else contextlib.nullcontext()


def _plan(ctx: Context, actor: Actor, now: dt.datetime, notice: bool, dry_run: bool) -> Plan:
    session_of = ctx.catalog.read if dry_run else ctx.catalog.write
    with session_of() as session:
        profile = load_profile(session, GALLERY_PROFILE)
        plan = make_plan(session, ctx.settings, profile, actor, now, notice=notice,
                         promote=not dry_run)
        plan.band = _band(session, ctx) if profile.band else None
    return plan


def _band(session: Any, ctx: Context) -> bytes | None:
    return load_band(session, ctx.store)


def _publish(ctx: Context, plan: Plan, gallery: GalleryTarget, result: PublishResult,
             now: dt.datetime, name: str, lease: runlog.Lease | None) -> None:
    result.held = plan.held
    result.promoted = len(plan.promoted)
    live = gallery.live_files()
    release = None if result.dry_run else gallery.begin(name)
    writer = _Writer(release, live)
    try:
        media = _make_media(ctx, plan, writer, result)
        if release is None:
            result.written = writer.written
            return
        site = build_site(ctx.settings, plan, media, now)
        from publish.gallery.render import render_site

        for path, data in render_site(site).items():
            writer.put(path, data)
        manifest = _manifest(ctx, writer, site.generated_at, site.base_url)
        for path, data in manifest.items():
            release.write(path, data)
        if lease is not None:
            lease.check()  # taken over as abandoned: another run may be writing; go no further
        removed = release.commit(set(writer.entries) | set(manifest))
    except BaseException:
        if release is not None:
            release.abort()
        raise
    result.collections = len(site.collections)
    result.written, result.unchanged, result.removed = writer.written, writer.unchanged, removed


def _manifest(ctx: Context, writer: _Writer, generated_at: dt.datetime,
              base_url: str) -> dict[str, bytes]:
    from publish.manifest import manifest_files

    return manifest_files(writer.entries, generated_at, base_url, ctx.settings)


def _make_media(ctx: Context, plan: Plan, writer: _Writer,
                result: PublishResult) -> dict[int, ItemMedia]:
    """Every asset's media files: found in the live gallery, copied, or encoded now."""
    signer = _signer(ctx) if plan.profile.c2pa else None
    shared = MediaContext(plan.profile, plan.band, signer_identity(signer, ctx.settings))
    existing = live_images(writer.live)
    found: dict[int, dict[int, MediaFile]] = {}
    videos: dict[int, MediaFile] = {}
    tasks = []
    for asset in plan.assets.values():
        found[asset.asset_id], task = _reuse_images(asset, shared, existing, writer)
        if task is not None:
            tasks.append(task)
        if asset.proxy is not None:
            videos[asset.asset_id] = _video(ctx, asset, writer)
    result.photos = sum(1 for a in plan.assets.values() if a.kind == "photo")
    result.videos = len(videos)
    result.encoded = len(tasks)
    if writer.release is None:
        writer.written += [f"media/{t.asset_id}/{k}-*.jpg" for t in tasks for k in t.keys]
        return {}
    for task, images in encode_all(tasks, store=ctx.store, settings=ctx.settings, media=shared,
                                   signer=signer, workers=pool_size(ctx.settings)):
        for size, key, image in zip(task.sizes, task.keys, images, strict=True):
            path = image_path(task.asset_id, key, image.width, image.height)
            writer.put(path, image.data)
            found[task.asset_id][size] = MediaFile(path, image.width, image.height,
                                                   image.mime_type, len(image.data))
    return {asset_id: ItemMedia(_distinct(files), videos.get(asset_id))
            for asset_id, files in found.items()}


def _reuse_images(asset: PlannedAsset, shared: MediaContext,
                  existing: dict[tuple[int, str], MediaFile], writer: _Writer
                  ) -> tuple[dict[int, MediaFile], EncodeTask | None]:
    digest = description_digest(asset.info, asset.facts, asset.blur)
    source_sha = asset.sha256 if asset.kind == "photo" else f"{asset.sha256}:{asset.source_key}"
    reused: dict[int, MediaFile] = {}
    missing: list[tuple[int, str]] = []
    for size in shared.profile.sizes or (0,):
        key = cache_key(source_sha, digest, shared, size)
        live = existing.get((asset.asset_id, key))
        if live is not None:
            writer.keep(live.path)
            reused[size] = live
        else:
            missing.append((size, key))
    if not missing:
        return reused, None
    return reused, EncodeTask(asset.asset_id, asset.source_key, asset.info, asset.facts,
                              tuple(s for s, _ in missing), tuple(k for _, k in missing),
                              asset.blur)


def _video(ctx: Context, asset: PlannedAsset, writer: _Writer) -> MediaFile:
    assert asset.proxy is not None
    key, width, height = asset.proxy
    path = video_path(asset.asset_id, key)
    if path in writer.live:
        writer.keep(path)
        size = writer.live[path].size
    elif writer.release is None:
        writer.written.append(path)
        size = 0
    else:
        with ctx.store.open_read(key) as stream:
            size = writer.put_stream(path, stream)
    return MediaFile(path, width, height, "video/mp4", size)


def _distinct(files: dict[int, MediaFile]) -> tuple[MediaFile, ...]:
    """Renditions largest first, one per width (a small original gives the same twice)."""
    by_width: dict[int, MediaFile] = {}
    for media in sorted(files.values(), key=lambda f: -f.width):
        by_width.setdefault(media.width, media)
    return tuple(by_width.values())


def _signer(ctx: Context) -> Any:
    return load_signer(ctx.settings)
