"""Chunks of resumable uploads kept in the object store, so that any node may take any chunk.

With ``upload_chunks_to`` = store (``auto`` picks it when the store is shared), each chunk is
an object ``uploads/<upload id>/<first byte>-<random>``; the catalog decides which chunk
counts: the one whose conditional update of ``uploads.received`` (from the chunk's offset to
its end) succeeded, recorded in ``upload_parts`` in the same transaction. A chunk that lost
such a race (the same offset sent twice at once, to two nodes) is deleted again.

Completing moves the upload from RECEIVING to ASSEMBLING with one conditional update, so
exactly one node joins the parts, in order, into its uploads folder, hashing them as they
arrive (the only extra read: the parts come back once from the store), and takes the file in
as any other upload. A node that dies while assembling leaves the upload ASSEMBLING; the
housekeeping of any node hands it back to RECEIVING after ``ASSEMBLY_TIMEOUT`` so that the
client's next completion tries again. Parts are deleted when the upload is done, refused or
expired.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, select, update
from werkzeug.exceptions import ClientDisconnected

from dam.context import Context
from dam.enums import UploadState
from dam.models import Upload, UploadPart, utcnow
from storage import LocalStore
from web.queries import reading

log = logging.getLogger(__name__)

PREFIX = "uploads/"
COPY_BUFFER = 1024 * 1024
ASSEMBLY_TIMEOUT = dt.timedelta(hours=2)  # a node joining and taking in a file for longer died


def chunks_in_store(ctx: Context) -> bool:
    """Whether this node keeps upload chunks in the object store (else in its uploads folder)."""
    where = ctx.settings.upload_chunks_to
    return where == "store" or (where == "auto" and not isinstance(ctx.store, LocalStore))


def part_key(upload_id: str, position: int) -> str:
    return f"{PREFIX}{upload_id}/{position:015d}-{secrets.token_hex(4)}"


class _Chunk:
    """At most ``length`` bytes of a request body, counted; a dropped connection ends it.

    The bytes that arrived before the connection dropped are kept, as with chunks on disk:
    the client resumes after them.
    """

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream, self._left, self.count = stream, length, 0

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        try:
            data = self._stream.read(wanted)
        except ClientDisconnected:
            data = b""
        self._left = 0 if not data else self._left - len(data)
        self.count += len(data)
        return data


def store_chunk(ctx: Context, upload_id: str, offset: int, length: int, stream: BinaryIO
                ) -> int | None:
    """Put one chunk in the store and make it count if the upload is still at ``offset``.

    Returns the new offset, or None when another request moved the upload on meanwhile (the
    chunk is then deleted again). Store failures propagate (StoreUnavailableError: 503).
    """
    key = part_key(upload_id, offset)
    chunk = _Chunk(stream, length)
    ctx.store.put_file(key, chunk)  # type: ignore[arg-type]
    if chunk.count == 0:
        ctx.store.delete(key)
        return offset
    reached = offset + chunk.count
    with ctx.catalog.write() as session:
        moved = session.execute(update(Upload).where(
            Upload.id == upload_id, Upload.state == UploadState.RECEIVING,
            Upload.received == offset,
        ).values(received=reached, updated_at=utcnow())).rowcount
        if moved:
            session.add(UploadPart(upload_id=upload_id, position=offset, length=chunk.count,
                                   key=key))
    if not moved:
        ctx.store.delete(key)
        return None
    return reached


def _parts(ctx: Context, upload_id: str) -> list[UploadPart]:
    with reading(ctx.catalog) as session:
        return list(session.scalars(select(UploadPart).where(
            UploadPart.upload_id == upload_id).order_by(UploadPart.position)))


def copy_parts(ctx: Context, upload_id: str, out: BinaryIO, limit: int | None = None,
               digest: Any = None) -> int:
    """Write the upload's parts in order to ``out`` (the first ``limit`` bytes only, if given),
    updating ``digest``; returns the bytes written. A gap in the parts is a ValueError."""
    written = 0
    for part in _parts(ctx, upload_id):
        if part.position != written:
            raise ValueError(f"upload {upload_id}: part at {part.position}, expected {written}")
        with ctx.store.open_read(part.key) as stream:
            while limit is None or written < limit:
                want = COPY_BUFFER if limit is None else min(COPY_BUFFER, limit - written)
                block = stream.read(want)
                if not block:
                    break
                out.write(block)
                if digest is not None:
                    digest.update(block)
                written += len(block)
        if limit is not None and written >= limit:
            break
    return written


def write_head(ctx: Context, upload_id: str, path: Path, length: int) -> None:
    """The first ``length`` bytes of the upload into ``path`` (for sniffing its type)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        copy_parts(ctx, upload_id, out, limit=length)


def claim_assembly(ctx: Context, upload: Upload) -> bool:
    """Move a fully received upload to ASSEMBLING; True for the one caller that did it."""
    with ctx.catalog.write() as session:
        return bool(session.execute(update(Upload).where(
            Upload.id == upload.id, Upload.state == UploadState.RECEIVING,
            Upload.received == upload.byte_size,
        ).values(state=UploadState.ASSEMBLING, updated_at=utcnow())).rowcount)


def release_assembly(ctx: Context, upload_id: str) -> None:
    """Hand an upload whose assembly failed back to RECEIVING (its parts are all kept)."""
    with ctx.catalog.write() as session:
        session.execute(update(Upload).where(
            Upload.id == upload_id, Upload.state == UploadState.ASSEMBLING,
        ).values(state=UploadState.RECEIVING, updated_at=utcnow()))


def assemble(ctx: Context, upload: Upload, path: Path) -> str:
    """Join the parts into ``path``; returns the file's SHA-256. Failures leave no file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    try:
        with path.open("wb") as out:
            size = copy_parts(ctx, upload.id, out, digest=digest)
        if size != upload.byte_size:
            raise ValueError(f"upload {upload.id}: parts hold {size} bytes, "
                             f"expected {upload.byte_size}")
    except BaseException:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    return digest.hexdigest()


def discard_parts(ctx: Context, upload_id: str) -> None:
    """Delete the upload's parts from the store and the catalog (whatever is left of them)."""
    keys = {part.key for part in _parts(ctx, upload_id)}
    with contextlib.suppress(Exception):  # a store away now: orphans are removed later
        keys.update(info.key for info in ctx.store.list(f"{PREFIX}{upload_id}/"))
    for key in keys:
        try:
            ctx.store.delete(key)
        except Exception as exc:  # noqa: BLE001 - housekeeping removes orphans later
            log.warning("upload part %s not deleted: %s", key, exc)
    with ctx.catalog.write() as session:
        session.execute(delete(UploadPart).where(UploadPart.upload_id == upload_id))


def release_stale_assemblies(ctx: Context, now: dt.datetime) -> int:
    """Uploads ASSEMBLING for longer than ASSEMBLY_TIMEOUT (their node died): RECEIVING again."""
    with ctx.catalog.write() as session:
        return int(session.execute(update(Upload).where(
            Upload.state == UploadState.ASSEMBLING,
            Upload.updated_at < now - ASSEMBLY_TIMEOUT,
        ).values(state=UploadState.RECEIVING, updated_at=now)).rowcount)


def remove_orphan_parts(ctx: Context, now: dt.datetime, expiry: dt.timedelta) -> int:
    """Part objects of uploads that are no longer receiving, once older than ``expiry``."""
    oldest = now - expiry
    by_upload: dict[str, list[str]] = {}
    for info in ctx.store.list(PREFIX):
        upload_id = info.key[len(PREFIX):].split("/", 1)[0]
        if info.modified < oldest:
            by_upload.setdefault(upload_id, []).append(info.key)
    if not by_upload:
        return 0
    with reading(ctx.catalog) as session:
        live = set(session.scalars(select(Upload.id).where(
            Upload.id.in_(list(by_upload)),
            Upload.state.in_((UploadState.RECEIVING, UploadState.ASSEMBLING,
                              UploadState.WAITING_STORE)))))
    removed = 0
    for upload_id, keys in by_upload.items():
        if upload_id in live:
            continue
        for key in keys:
            ctx.store.delete(key)
            removed += 1
    return removed
