"""XMP sidecars: a ``.xmp`` beside a RAW or JPEG of the same name, joined to its picture.

Lightroom, Photo Mechanic, Capture One and darktable write a picture's edited metadata (caption,
keywords, credits, a corrected capture time, rotation) into ``NAME.xmp`` beside ``NAME.CR3``
or ``NAME.jpg`` (darktable: ``NAME.CR3.xmp``). A sidecar taken in with a batch is stored under a
key of its batch and name, never becomes an asset, and is read when its picture is processed;
its fields take precedence over the picture's own. A sidecar that arrives after its picture was
processed (a web upload in another order) queues the picture to be processed again.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam import changes
from dam.catalog import IntakeResult
from dam.context import Context
from dam.curation.removal import KEY_SOURCES
from dam.enums import AssetState, IntakeOutcome, JobKind, MediaType
from dam.models import Asset, IntakeItem
from dam.queue import requeue_for_asset
from storage import ObjectStore

SUFFIX = ".xmp"
MAX_SIDECAR_BYTES = 4 * 1024 * 1024
PICTURE_EXTENSIONS = frozenset({
    "jpg", "jpeg", "tif", "tiff", "png", "webp", "heic", "heif", "avif", "jxl", "psd", "dng",
    "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "raf", "orf", "rw2", "pef", "srw",
    "iiq", "3fr", "x3f", "rwl", "gpr",
})
_XMP_MARKS = (b"<x:xmpmeta", b"<x:xapmeta", b"<?xpacket", b"<rdf:RDF")


def looks_like_sidecar(name: str, head: bytes) -> bool:
    """A ``.xmp`` file that holds an XMP packet."""
    return name.lower().endswith(SUFFIX) and any(mark in head[:65536] for mark in _XMP_MARKS)


def picture_stem(name: str) -> str:
    """The name a sidecar and its picture share: ``IMG_1.CR3`` and ``IMG_1.xmp`` (or
    ``IMG_1.CR3.xmp``) give ``img_1``; case and Unicode form do not matter."""
    stem = PurePath(name).name
    if stem.lower().endswith(SUFFIX):
        stem = stem[: -len(SUFFIX)]
        inner = PurePath(stem)
        if inner.suffix.lower().lstrip(".") in PICTURE_EXTENSIONS:  # darktable: NAME.CR3.xmp
            stem = inner.stem
    else:
        stem = PurePath(stem).stem
    return unicodedata.normalize("NFC", stem).casefold()


def sidecar_key(batch_id: int, name: str) -> str:
    digest = hashlib.sha256(picture_stem(name).encode()).hexdigest()
    return f"sidecars/batch-{batch_id}/{digest}.xmp"


def take_sidecar(ctx: Context, batch_id: int, source_path: str, filename: str,
                 data: bytes) -> IntakeResult:
    """Store the sidecar for its batch and join it to its picture there, now or when it comes."""
    ctx.store.put_bytes(sidecar_key(batch_id, filename), data[:MAX_SIDECAR_BYTES],
                        content_type="application/rdf+xml")
    stem = picture_stem(filename)
    with ctx.catalog.write() as session:
        rows = session.execute(
            select(IntakeItem.asset_id, IntakeItem.original_filename).where(
                IntakeItem.batch_id == batch_id, IntakeItem.asset_id.is_not(None),
                IntakeItem.outcome.in_((IntakeOutcome.NEW, IntakeOutcome.DUPLICATE)))).all()
        asset_id = next((row.asset_id for row in rows
                         if picture_stem(row.original_filename) == stem), None)
        asset = session.get(Asset, asset_id) if asset_id is not None else None
        if asset is not None and asset.state in (AssetState.READY, AssetState.FAILED):
            asset.state, asset.error = AssetState.PENDING, None
            changes.record(session, [asset.id], "updated")
            requeue_for_asset(session, asset.id, JobKind.PROCESS_ASSET,
                              ctx.settings.job_max_attempts)
        session.add(IntakeItem(batch_id=batch_id, source_path=source_path,
                               original_filename=filename, outcome=IntakeOutcome.SIDECAR,
                               asset_id=asset_id, byte_size=len(data)))
    return IntakeResult(IntakeOutcome.SIDECAR, source_path, asset_id)


def read_sidecar(ctx: Context, batch_id: int | None, filename: str) -> bytes | None:
    """The sidecar taken in with the picture's batch, if any."""
    if batch_id is None:
        return None
    key = sidecar_key(batch_id, filename)
    return ctx.store.read_bytes(key) if ctx.store.exists(key) else None


def sidecar_joined(session: Session, asset: Asset) -> bool:
    """Whether a sidecar of the asset's batch has been joined to it (an indexed lookup)."""
    if asset.media_type != MediaType.PHOTO:
        return False
    found = session.scalar(select(IntakeItem.id).where(
        IntakeItem.asset_id == asset.id, IntakeItem.outcome == IntakeOutcome.SIDECAR).limit(1))
    return found is not None


def sidecar_keys_of(session: Session, store: ObjectStore, asset: Asset) -> list[str]:
    """The asset's sidecar key, for removals (dam.curation.removal.KEY_SOURCES); none when
    another asset of the batch shares the name (a RAW and its JPEG): it describes that one too."""
    if asset.batch_id is None:
        return []
    stem = picture_stem(asset.original_filename)
    names = session.scalars(select(Asset.original_filename).where(
        Asset.batch_id == asset.batch_id, Asset.id != asset.id))
    if any(picture_stem(name) == stem for name in names):
        return []
    key = sidecar_key(asset.batch_id, asset.original_filename)
    return [key] if store.exists(key) else []


# Erasure and the trash's purge live in dam, which cannot import ingest: the sidecar source is
# added when ingest is loaded (it is, wherever files are taken in: the CLI, the web app, workers).
if sidecar_keys_of not in KEY_SOURCES:
    KEY_SOURCES.append(sidecar_keys_of)
