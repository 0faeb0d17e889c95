"""The gallery's pictures and videos: named by what went into them, encoded only when new.

A public rendition's name carries a cache key, the hash of everything that decides its bytes
(the original's SHA-256, the description embedded in it, the profile, the band, the signer, the
size): ``media/<asset>/<key16>-<width>x<height>.jpg``. The description is hashed rather than
``edit_version``, which also moves on changes that do not reach the file (state, rating), so a
re-publication finds the name in the live gallery and encodes nothing. Encoding runs in a
process pool when there is much to do, with a bounded number of pictures in flight.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dam.config import Settings
from dam.context import open_configured_store
from publish.credentials import load_signer
from publish.embed import PressInfo
from publish.export import ContentSigner, ExportedImage, FileFacts, export_images
from publish.gallery.site import MediaFile
from publish.gallery.targets import LiveFile
from publish.profiles import ExportProfile
from storage import ObjectStore

log = logging.getLogger(__name__)

POOL_THRESHOLD = 6  # fewer pictures than this are encoded in this process
_NAME = re.compile(r"^media/(\d+)/([0-9a-f]{16})-(\d+)x(\d+)\.jpg$")


@dataclass(frozen=True)
class EncodeTask:
    """One picture to export: the stored source and the sizes still missing."""

    asset_id: int
    source_key: str  # the original (photos) or the poster rendition (videos)
    info: PressInfo
    facts: FileFacts
    sizes: tuple[int, ...]
    keys: tuple[str, ...]  # the cache key of each size
    blur: tuple[tuple[float, float, float, float], ...] = ()  # faces blurred (publish.blur)


@dataclass(frozen=True)
class MediaContext:
    """What every encoding shares: the profile, the band, the signer's identity."""

    profile: ExportProfile
    band: bytes | None
    signer_identity: str

    @property
    def band_sha(self) -> str:
        return hashlib.sha256(self.band).hexdigest() if self.band else "-"


def description_digest(info: PressInfo, facts: FileFacts,
                       blur: Sequence[Sequence[float]] = ()) -> str:
    """A hash of what the export embeds besides the pixels, and of the faces it blurs."""
    data = {"info": dataclasses.asdict(info), "facts": dataclasses.asdict(facts)}
    if blur:
        data["blur"] = [list(box) for box in blur]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def cache_key(source_sha: str, digest: str, media: MediaContext, size: int) -> str:
    parts = [source_sha, digest, json.dumps(media.profile.to_json(), sort_keys=True),
             media.band_sha, media.signer_identity, str(size)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def image_path(asset_id: int, key: str, width: int, height: int) -> str:
    return f"media/{asset_id}/{key}-{width}x{height}.jpg"


def video_path(asset_id: int, proxy_key: str) -> str:
    return f"media/{asset_id}/{hashlib.sha256(proxy_key.encode()).hexdigest()[:16]}.mp4"


def live_images(live: Mapping[str, LiveFile]) -> dict[tuple[int, str], MediaFile]:
    """Live renditions by (asset id, cache key), sizes read back from their names."""
    found = {}
    for path, entry in live.items():
        match = _NAME.match(path)
        if match:
            asset_id, key, width, height = match.groups()
            found[(int(asset_id), key)] = MediaFile(path, int(width), int(height), "image/jpeg",
                                                     entry.size)
    return found


def signer_identity(signer: ContentSigner | None, settings: Settings) -> str:
    """Which certificate signs (a changed certificate re-signs every picture)."""
    if signer is None:
        return "unsigned"
    identity = getattr(signer, "identity", None)
    if isinstance(identity, str) and identity:
        return identity
    try:
        return hashlib.sha256(settings.c2pa_cert_path.read_bytes()).hexdigest()[:16]
    except OSError:
        return type(signer).__name__


# -- encoding -------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(settings: Settings, media: MediaContext) -> None:
    _worker["store"] = open_configured_store(settings)
    _worker["media"] = media
    _worker["signer"] = _load_signer(settings)


def _load_signer(settings: Settings) -> ContentSigner | None:
    return load_signer(settings)


def encode(store: ObjectStore, task: EncodeTask, media: MediaContext,
           signer: ContentSigner | None) -> list[ExportedImage]:
    """The task's pictures, streamed from the store through the one export step."""
    with store.open_read(task.source_key) as source:
        return export_images(source, task.info, media.profile, sizes=list(task.sizes),
                             facts=task.facts, band=media.band if media.profile.band else None,
                             signer=signer, blur=task.blur)


def _encode_in_worker(task: EncodeTask) -> tuple[EncodeTask, list[ExportedImage]]:
    return task, encode(_worker["store"], task, _worker["media"], _worker["signer"])


def encode_all(tasks: Sequence[EncodeTask], *, store: ObjectStore, settings: Settings,
               media: MediaContext, signer: ContentSigner | None, workers: int
               ) -> Iterator[tuple[EncodeTask, list[ExportedImage]]]:
    """Each task with its pictures, as they are done (not in order)."""
    if workers <= 1 or len(tasks) < POOL_THRESHOLD:
        for task in tasks:
            yield task, encode(store, task, media, signer)
        return
    context = multiprocessing.get_context("forkserver")
    with cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                initargs=(settings, media)) as pool:
        yield from _bounded(pool, tasks, window=workers * 2)


def _bounded(pool: cf.Executor, tasks: Sequence[EncodeTask], window: int
             ) -> Iterator[tuple[EncodeTask, list[ExportedImage]]]:
    """Keep at most ``window`` pictures in flight, so memory stays flat however many there are."""
    pending: set[cf.Future[tuple[EncodeTask, list[ExportedImage]]]] = set()
    queue = iter(tasks)
    for task in queue:
        pending.add(pool.submit(_encode_in_worker, task))
        if len(pending) >= window:
            done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            yield from (future.result() for future in done)
    for future in cf.as_completed(pending):
        yield future.result()


def pool_size(settings: Settings) -> int:
    return max(1, min(settings.workers, os.cpu_count() or 1))


def sized(files: Mapping[int, MediaFile]) -> tuple[MediaFile, ...]:
    """The renditions of one picture, largest first."""
    return tuple(sorted(files.values(), key=lambda f: -f.width * f.height))
