"""Resumable uploads: a file arrives in chunks at known offsets, then goes through intake.

The protocol (JSON API, used by the upload page and by scripts):

1. ``POST /api/v1/uploads`` ``{batch_id, filename, size}`` → ``{id, offset: 0, chunk_size}``
2. ``PATCH /api/v1/uploads/<id>`` with ``Upload-Offset: n`` and up to ``chunk_size`` bytes;
   answers the new offset. A wrong offset is 409 with the server's offset, so a client that
   lost its connection asks (``GET /api/v1/uploads/<id>``) and goes on from there.
3. ``POST /api/v1/uploads/<id>/complete`` → the intake outcome (new, duplicate, failed).

Chunks are streamed into ``<data_dir>/uploads/<id>/<filename>`` and hashed as they arrive, so
completing does not read the file again (after a restart, or when the chunks went to several
serving processes, the file is hashed once at completion). A lock on the file keeps the
chunks of one upload one at a time across every thread and process of the node.
The type is sniffed from the first bytes: a file Acervo does not take is refused early (415).

Disk: a file (at creation) and each chunk must leave ``upload_reserve_bytes`` free on the
uploads folder's disk, and one account's unfinished uploads may declare at most
``upload_user_quota_bytes``; both refusals, and a disk that fills while a chunk is written, are
507 (the chunk is rolled back to where it began; every byte accepted before stays). A file that
completes while the object store does not answer is kept as WAITING_STORE (202) and taken in
by the node's housekeeping (``web.housekeeping``) when the store is back.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import secrets
import shutil
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dam.catalog import AlsoRecord, BatchInfo, IntakeResult, create_batch, record_failure
from dam.context import Context
from dam.db import serialize_on
from dam.enums import IntakeOutcome, MediaType, UploadState
from dam.errors import IngestError
from dam.models import Batch, Upload
from ingest.intake import StoreDownError, intake_file
from ingest.sidecars import looks_like_sidecar
from ingest.sniff import HEADER_BYTES, sniff_file
from storage import StoreUnavailableError
from web import upload_parts
from web.accounts import CurrentUser
from web.errors import RequestError
from web.i18n import fmt_bytes
from web.queries import glancing, reading

log = logging.getLogger(__name__)

COPY_BUFFER = 1024 * 1024
MAX_NAME_BYTES = 255
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class _Progress:
    """How far this process has hashed one upload: the running SHA-256 of its first bytes.

    ``digest`` is None once a chunk arrived here that follows bytes another serving process
    took (``dam serve`` runs several): the file is then hashed once, when it completes,
    instead of re-reading everything before each chunk.
    """

    def __init__(self) -> None:
        self.offset = 0
        self.digest: Any = hashlib.sha256()
        self.used = time.monotonic()


_progress: dict[str, _Progress] = {}
_progress_lock = threading.Lock()
PROGRESS_KEPT = 1000  # running hashes remembered per process; older idle ones are dropped
PROGRESS_IDLE_SECONDS = 3600.0


def _progress_for(upload_id: str) -> _Progress:
    with _progress_lock:
        progress = _progress.get(upload_id)
        if progress is None:
            if len(_progress) >= PROGRESS_KEPT:
                _drop_idle(time.monotonic())
            progress = _progress[upload_id] = _Progress()
        progress.used = time.monotonic()
        return progress


def _drop_idle(now: float) -> None:
    for upload_id, progress in list(_progress.items()):
        if now - progress.used > PROGRESS_IDLE_SECONDS:
            del _progress[upload_id]  # forgetting costs one more read of the file at the end


def _forget(upload_id: str) -> None:
    with _progress_lock:
        _progress.pop(upload_id, None)


@contextmanager
def _locked_folder(folder: Path) -> Iterator[bool]:
    """Hold an upload's folder locked against every thread and process of this node.

    Yields False when the folder is gone (another request finished the upload meanwhile).
    """
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        yield False
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield folder.exists()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


@contextmanager
def _exclusive(path: Path) -> Iterator[bool]:
    """Hold the upload whose file is ``path`` locked (its folder: ``_locked_folder``).

    Yields False when the file is gone (another request finished the upload meanwhile).
    """
    with _locked_folder(path.parent) as present:
        yield present and path.exists()


def check_filename(name: object) -> str:
    """A file name as sent by a browser: no folders, no control characters, not too long."""
    if not isinstance(name, str) or not name.strip():
        raise RequestError(400, "filename", _("The file has no name."))
    name = unicodedata.normalize("NFC", name)
    if any(c in name for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise RequestError(400, "filename", _("File names must not contain folders ('/' or "
                                              "'\\') or control characters."))
    if name.strip() in (".", "..") or name.startswith(".acervo-tmp-"):
        raise RequestError(400, "filename", _("This file name is not allowed."))
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise RequestError(400, "filename", _("The file name is too long."))
    return name


def create_web_batch(ctx: Context, user: CurrentUser, info: BatchInfo) -> int:
    batch_id = create_batch(ctx.catalog, info)
    with ctx.catalog.write() as session:
        session.execute(update(Batch).where(Batch.id == batch_id).values(user_id=user.id))
    return batch_id


def uploads_dir(ctx: Context) -> Path:
    return Path(ctx.settings.data_dir) / "uploads"


def part_path(ctx: Context, upload: Upload) -> Path:
    return uploads_dir(ctx) / upload.id / upload.filename


def free_bytes(folder: Path) -> int:
    """Free space of the disk holding ``folder`` (or its nearest existing parent)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def disk_full() -> RequestError:
    return RequestError(507, "disk_full", _("There is not enough free disk space to take this "
                                            "file now. Try again later or tell the archive's "
                                            "administrator."))


def store_away() -> RequestError:
    return RequestError(503, "store_unavailable",
                        _("The file store is not answering. Nothing sent so far is lost: "
                          "the upload goes on when it is back."), retry_after=30)


def check_space(ctx: Context, needed: int) -> None:
    """Refuse (507) unless ``needed`` more bytes leave the reserve free on the uploads disk."""
    if free_bytes(uploads_dir(ctx)) - needed < ctx.settings.upload_reserve_bytes:
        log.warning("upload refused: free space on %s under the reserve", uploads_dir(ctx))
        raise disk_full()


def _check_quota(session: Any, user: CurrentUser, size: int, quota: int) -> None:
    """The declared sizes of the account's unfinished uploads, this one included, fit."""
    serialize_on(session, f"upload-quota:{user.id}")
    used = session.scalar(select(func.coalesce(func.sum(Upload.byte_size), 0)).where(
        Upload.user_id == user.id, Upload.state == UploadState.RECEIVING))
    if used + size > quota:
        raise RequestError(507, "quota", _(
            "Your unfinished uploads would go past your limit of %(quota)s (%(used)s already "
            "declared): finish them first.", quota=fmt_bytes(quota), used=fmt_bytes(used)),
            quota=quota, used=int(used))


def start_upload(ctx: Context, user: CurrentUser, batch_id: int, filename: str, size: object
                 ) -> Upload:
    """A new upload into one of the account's own batches (else 404), in one transaction."""
    path: Path | None = None
    try:  # whatever fails (disk, catalog, quota), no folder or file is left behind
        with ctx.catalog.write() as session:
            owner = session.scalar(select(Batch.user_id).where(Batch.id == batch_id))
            if owner is None or owner != user.id:
                abort(404)
            name = check_filename(filename)
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise RequestError(400, "size", _("The file size is missing or not valid."))
            if size == 0:
                raise RequestError(400, "empty", _("The file is empty (0 bytes)."))
            if size > ctx.settings.upload_max_bytes:
                raise RequestError(413, "too_large", _("The file is larger than the limit."),
                                   limit=ctx.settings.upload_max_bytes)
            check_space(ctx, size)
            _check_quota(session, user, size, ctx.settings.upload_user_quota_bytes)
            upload = Upload(id=secrets.token_hex(16), user_id=user.id, batch_id=batch_id,
                            filename=name, byte_size=size, received=0)
            if not upload_parts.chunks_in_store(ctx):  # else nothing on disk until it completes
                path = part_path(ctx, upload)
                path.parent.mkdir(parents=True)
                path.touch()
            session.add(upload)
    except BaseException as exc:
        if path is not None:
            shutil.rmtree(path.parent, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in NO_SPACE:
            raise disk_full() from exc
        raise
    return upload


def _hash_file(path: Path, length: int) -> str:
    """The SHA-256 of the first ``length`` bytes, read in blocks."""
    digest, done = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while done < length:
            block = fh.read(min(COPY_BUFFER, length - done))
            if not block:
                break
            digest.update(block)
            done += len(block)
    return digest.hexdigest()


def write_block(out: BinaryIO, block: bytes) -> None:
    """The one place chunk bytes are written (tests make it fail as a full disk would)."""
    out.write(block)


def _copy(stream: BinaryIO, path: Path, offset: int, length: int, progress: _Progress) -> None:
    """Write the chunk at ``offset``; ``progress.offset`` tells how far it got, even on error.

    A dropped connection keeps the bytes that arrived: the client resumes after them. A full
    disk rolls the chunk back to ``offset`` (buffered bytes may not have reached the disk) and
    is a 507.
    """
    try:
        with path.open("r+b") as out:
            out.seek(offset)
            out.truncate()
            end = offset + length
            try:
                while progress.offset < end:
                    block = stream.read(min(COPY_BUFFER, end - progress.offset))
                    if not block:
                        break
                    write_block(out, block)
                    if progress.digest is not None:
                        progress.digest.update(block)
                    progress.offset += len(block)
            finally:
                out.flush()
    except OSError as exc:
        if exc.errno not in NO_SPACE:
            raise
        log.warning("disk full while writing %s at %d: chunk rolled back", path, offset)
        progress.digest, progress.offset = None, offset  # hashed again from the file at the end
        with contextlib.suppress(OSError), path.open("r+b") as out:
            out.truncate(offset)
        raise disk_full() from exc


def _own(ctx: Context, upload_id: str, owner_id: int) -> Upload:
    """The upload as the catalog has it now, if it is this account's; else 404."""
    upload = get_upload(ctx, upload_id)
    if upload is None or upload.user_id != owner_id:
        abort(404)
    return upload


def receive_chunk(ctx: Context, upload_id: str, owner_id: int, offset: int | None,
                  length: int | None, stream: BinaryIO) -> tuple[Upload, int]:
    """Append one chunk at ``offset`` to the account's upload; returns it and the new offset.

    On this node's disk, the upload is read once, its folder locked (the chunks of one upload
    go one at a time), so that the offset checked is the one the chunk follows.
    """
    if upload_parts.chunks_in_store(ctx) or not _valid_id(upload_id):
        upload = _own(ctx, upload_id, owner_id)
        offset, length = _chunk_fits(upload, offset, length)
        if upload_parts.chunks_in_store(ctx):
            return upload, _receive_in_store(ctx, upload, offset, length, stream)
    folder = uploads_dir(ctx) / upload_id
    with _locked_folder(folder) as locked:
        upload = _own(ctx, upload_id, owner_id)
        offset, length = _chunk_fits(upload, offset, length)
        check_space(ctx, length)
        progress = _progress_for(upload.id)
        path = part_path(ctx, upload)
        if not locked or not path.exists():
            raise RequestError(409, "finished", _("This upload is already finished."),
                               offset=upload.received)
        if offset != upload.received:
            raise RequestError(409, "offset", _("The upload is at another offset."),
                               offset=upload.received)
        if progress.offset != offset:  # the bytes before came through another process
            progress.digest, progress.offset = None, offset
        try:
            _copy(stream, path, offset, length, progress)
        finally:
            _save_offset(ctx, upload.id, progress.offset)
        reached = upload.received = progress.offset
    if offset < HEADER_BYTES <= reached or reached == upload.byte_size:
        _check_type(ctx, upload, path)
    return upload, reached


def _chunk_fits(upload: Upload, offset: int | None, length: int | None) -> tuple[int, int]:
    """The checks of a chunk against its upload, before any byte is taken."""
    if offset is None:
        raise RequestError(400, "offset", "the Upload-Offset header is required")
    if upload.state != UploadState.RECEIVING:
        raise RequestError(409, "finished", _("This upload is already finished."),
                           offset=upload.received)
    if length is None:
        raise RequestError(411, "length", _("The chunk needs a Content-Length."))
    if offset + length > upload.byte_size:
        raise RequestError(400, "overflow", _("The chunk goes past the declared file size."))
    return offset, length


def _receive_in_store(ctx: Context, upload: Upload, offset: int, length: int,
                      stream: BinaryIO) -> int:
    """A chunk kept in the object store (web.upload_parts): any node may take the next one.

    ``upload`` was read as this request began; should another request have moved it on
    since, the conditional update of ``store_chunk`` refuses the chunk (409).
    """
    if offset != upload.received:
        raise RequestError(409, "offset", _("The upload is at another offset."),
                           offset=upload.received)
    try:
        reached = upload_parts.store_chunk(ctx, upload.id, offset, length, stream)
    except StoreUnavailableError as exc:
        log.warning("upload %s: chunk at %d not stored: %s", upload.id, offset, exc)
        raise store_away() from exc
    if reached is None:  # the same offset was sent twice at once: the other one counted
        raise RequestError(409, "offset", _("The upload is at another offset."),
                           offset=_stored_state(ctx, upload.id)[1])
    if offset < HEADER_BYTES <= reached or reached == upload.byte_size:
        head = uploads_dir(ctx) / f"{upload.id}.head" / upload.filename
        try:
            upload_parts.write_head(ctx, upload.id, head, min(reached, HEADER_BYTES))
            _check_type(ctx, upload, head)
        finally:
            shutil.rmtree(head.parent, ignore_errors=True)
    return reached


def _stored_state(ctx: Context, upload_id: str) -> tuple[UploadState | None, int]:
    """The upload's state and offset as the catalog has them now (not as the request began)."""
    with reading(ctx.catalog) as session:
        upload = session.get(Upload, upload_id)
        return (upload.state, upload.received) if upload is not None else (None, 0)


def _save_offset(ctx: Context, upload_id: str, offset: int) -> None:
    with ctx.catalog.write() as session:
        session.execute(update(Upload).where(Upload.id == upload_id).values(received=offset))


def _check_type(ctx: Context, upload: Upload, path: Path) -> None:
    try:
        kind = sniff_file(path)
    except (IngestError, OSError):
        return  # intake reports it at completion
    if kind.media_type != MediaType.OTHER or _is_sidecar(upload.filename, path):
        return  # an XMP sidecar joins the picture of the same name in the batch
    reason = _("This type of file is not accepted: only photos, video, audio and PDF.")
    record_failure(ctx.catalog, upload.batch_id, upload.filename, upload.filename, reason,
                   _finished(upload))
    _clean_up(ctx, upload)
    raise RequestError(415, "unsupported_type", reason)


def _is_sidecar(filename: str, path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return looks_like_sidecar(filename, fh.read(HEADER_BYTES))
    except OSError:
        return False


def _finished(upload: Upload) -> AlsoRecord:
    """The upload's final state, written in the transaction that records its intake outcome;
    ``upload`` (detached) is brought up to date as well."""

    def write(session: Session, result: IntakeResult) -> None:
        state = (UploadState.FAILED if result.outcome == IntakeOutcome.FAILED
                 else UploadState.DONE)
        values = {"state": state, "outcome": result.outcome, "asset_id": result.asset_id,
                  "error": result.error}
        session.execute(update(Upload).where(Upload.id == upload.id).values(**values))
        for name, value in values.items():
            setattr(upload, name, value)

    return write


def _clean_up(ctx: Context, upload: Upload) -> None:
    """The received file and chunks of a finished upload."""
    shutil.rmtree(part_path(ctx, upload).parent, ignore_errors=True)
    if upload_parts.chunks_in_store(ctx):
        upload_parts.discard_parts(ctx, upload.id)
    _forget(upload.id)


def complete_upload(ctx: Context, upload_id: str, owner_id: int) -> Upload:
    """Take the account's whole file in through the intake stages (hash already known);
    idempotent. Returns the upload as it is then.

    When the object store does not take the original, the upload waits for it (state
    WAITING_STORE, the file kept) and housekeeping takes it in later.
    """
    if upload_parts.chunks_in_store(ctx) or not _valid_id(upload_id):
        upload = _own(ctx, upload_id, owner_id)
        if upload.state != UploadState.RECEIVING or _complete_from_store(ctx, upload):
            return upload  # as it was, or brought up to date by take_in
        with reading(ctx.catalog) as session:
            return session.get(Upload, upload.id)  # type: ignore[return-value]
    with _locked_folder(uploads_dir(ctx) / upload_id):
        upload = _own(ctx, upload_id, owner_id)  # read under the lock: the state as it is
        path = part_path(ctx, upload)
        if upload.state == UploadState.RECEIVING and path.exists():
            if upload.received != upload.byte_size:
                raise RequestError(409, "incomplete", _("The upload is not complete yet."),
                                   offset=upload.received)
            progress = _progress_for(upload.id)
            if progress.digest is not None and progress.offset == upload.received:
                sha256 = progress.digest.hexdigest()
            else:  # after a restart, or chunks taken by several processes: read it once
                sha256 = _hash_file(path, upload.received)
            take_in(ctx, upload, path, sha256, upload.received)  # brings ``upload`` up to date
    return upload


def _complete_from_store(ctx: Context, upload: Upload) -> bool:
    """One node joins the parts and takes the file in (True); others answer the state as it
    is (False)."""
    if not upload_parts.claim_assembly(ctx, upload):
        state, received = _stored_state(ctx, upload.id)
        if state == UploadState.RECEIVING and received != upload.byte_size:
            raise RequestError(409, "incomplete", _("The upload is not complete yet."),
                               offset=received)
        return False  # being assembled by another request, or finished meanwhile
    path = part_path(ctx, upload)
    try:
        check_space(ctx, upload.byte_size)
        sha256 = upload_parts.assemble(ctx, upload, path)
    except BaseException as exc:
        upload_parts.release_assembly(ctx, upload.id)  # every part kept: completing again works
        if isinstance(exc, StoreUnavailableError):
            log.warning("upload %s: parts not read back: %s", upload.id, exc)
            raise store_away() from exc
        raise
    with _exclusive(path):
        upload.received, upload.state = upload.byte_size, UploadState.ASSEMBLING
        take_in(ctx, upload, path, sha256, upload.byte_size)
    return True


def take_in(ctx: Context, upload: Upload, path: Path, sha256: str, size: int) -> bool:
    """Intake of a complete file (its lock held); False when it must wait for the store."""
    try:
        intake_received(ctx, upload.batch_id, path, sha256, size, _finished(upload))
    except StoreDownError as exc:
        log.warning("upload %s waits for the object store: %s", upload.id, exc)
        with ctx.catalog.write() as session:  # the store's address and error stay in the log
            session.execute(update(Upload).where(Upload.id == upload.id).values(
                state=UploadState.WAITING_STORE, sha256=sha256))
        upload.state, upload.sha256 = UploadState.WAITING_STORE, sha256
        return False
    _clean_up(ctx, upload)
    return True


def intake_received(ctx: Context, batch_id: int, path: Path, sha256: str, size: int,
                    also: AlsoRecord | None = None) -> IntakeResult:
    """ingest.intake's stages on an uploaded file whose SHA-256 was computed on arrival.

    Raises StoreDownError when the store does not take it: the file must be kept. ``also``:
    writes made in the transaction that records the outcome (see ``intake_file``).
    """
    return intake_file(ctx, batch_id, path, known_hash=(sha256, size), filename=path.name,
                       keep_on_store_error=True, own_file=True, also=also)


def _valid_id(upload_id: str) -> bool:
    return len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)


def get_upload(ctx: Context, upload_id: str) -> Upload | None:
    if not _valid_id(upload_id):
        return None
    with glancing(ctx.catalog) as session:  # one statement: no transaction needed
        return session.get(Upload, upload_id)
