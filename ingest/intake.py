"""Intake: the stages that take a file in (sniff, hash, dedup, store, record), before any worker.

Once intake returns NEW, the original is safely in the object store under its SHA-256 and the
catalog holds a pending asset with its processing job: the worker can die, the source card can be
pulled, and nothing is lost. An asset row is only written after its original is stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from dam.catalog import (
    AlsoRecord,
    IntakeFacts,
    IntakeResult,
    asset_id_holding,
    find_asset_id,
    record_duplicate,
    record_failure,
    record_new,
)
from dam.context import Context
from dam.curation.erasure import find_erasure, returned_reason
from dam.errors import IngestError
from ingest.sidecars import MAX_SIDECAR_BYTES, looks_like_sidecar, take_sidecar
from ingest.sniff import SniffResult, sniff_file
from ingest.stages import run_stages
from storage import original_key

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
STORE_RETRIES = 3


class StoreDownError(IngestError):
    """The object store did not take the original (unreachable, or its disk full): try later."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


@dataclass
class IntakeState:
    ctx: Context
    batch_id: int
    path: Path
    filename: str
    sniffed: SniffResult | None = None
    sha256: str | None = None
    byte_size: int | None = None
    duplicate_of: int | None = None
    own_file: bool = False  # ours to give the store (a web upload), not a file of the user's
    also: AlsoRecord | None = None  # the caller's writes, in the transaction of the outcome
    holder: int | None | bool = False  # asset with this content, looked up (False: not yet)
    result: IntakeResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.result is not None

    def facts(self) -> IntakeFacts:
        assert self.sniffed and self.sha256 and self.byte_size is not None
        return IntakeFacts(
            source_path=str(self.path),
            original_filename=self.filename,
            sha256=self.sha256,
            byte_size=self.byte_size,
            mime_type=self.sniffed.mime_type,
            media_type=self.sniffed.media_type,
            original_key=original_key(self.sha256),
        )


def sniff(state: IntakeState) -> None:
    """Tell the type from the bytes, not the name."""
    state.sniffed = sniff_file(state.path)


def hash_file(state: IntakeState) -> None:
    """SHA-256 and size, streamed through one reused buffer (a new 1 MB chunk per read cost
    ~0.7 ms more per 10 MB photo in page faults)."""
    digest = hashlib.sha256()
    size = 0
    buffer = memoryview(bytearray(CHUNK))
    with state.path.open("rb", buffering=0) as fh:
        while count := fh.readinto(buffer):
            digest.update(buffer[:count])
            size += count
    if size == 0:
        raise IngestError("empty file (0 bytes)")
    state.sha256, state.byte_size = digest.hexdigest(), size


def refuse_erased(state: IntakeState) -> None:
    """Content erased by legal mandate is recognised and refused, never stored again.

    The asset already holding the content is looked up in the same read (find_duplicate).
    """
    assert state.sha256
    with state.ctx.catalog.glance() as session:  # plain reads: no transaction on PostgreSQL
        tombstone = find_erasure(session, state.sha256)
        reason = returned_reason(tombstone) if tombstone is not None else None
        if reason is None:
            state.holder = asset_id_holding(session, state.sha256)
    if reason is not None:
        log.warning("intake: %s was erased by legal mandate: refused", state.filename)
        raise IngestError(reason)


def find_duplicate(state: IntakeState) -> None:
    """Same content already catalogued: report and link it, store nothing."""
    assert state.sha256
    existing = state.holder
    if existing is False:
        existing = find_asset_id(state.ctx.catalog, state.sha256)
    if existing is not None:
        state.result = record_duplicate(state.ctx.catalog, state.batch_id, state.facts(),
                                        int(existing), state.also)


def store_original(state: IntakeState) -> None:
    """Put the original under its content address (once; retried when the store falters)."""
    facts = state.facts()
    store = state.ctx.store
    for attempt in range(1, STORE_RETRIES + 1):
        try:
            if (
                store.exists(facts.original_key)
                and store.size(facts.original_key) == facts.byte_size
            ):
                return
            put = store.put_own_file if state.own_file else store.put_file
            put(facts.original_key, state.path, content_type=facts.mime_type)
            return
        except OSError as exc:
            if attempt == STORE_RETRIES:
                raise StoreDownError(f"could not store the original: {exc}") from exc
            log.warning("storing %s failed (try %s): %s", state.path, attempt, exc)
            time.sleep(0.5 * 2 ** (attempt - 1))


def record(state: IntakeState) -> None:
    """A pending asset and its job, in one transaction."""
    state.result = record_new(
        state.ctx.catalog, state.batch_id, state.facts(), state.ctx.settings.job_max_attempts,
        state.also,
    )


INTAKE_STAGES = (sniff, hash_file, refuse_erased, find_duplicate, store_original, record)


def display_name(path: Path) -> str:
    """The file name as people wrote it, in NFC so accents compare equal across systems."""
    return unicodedata.normalize("NFC", os.fsdecode(path.name))


def _sidecar_bytes(path: Path, filename: str) -> bytes | None:
    """The file's bytes when it is an XMP sidecar (``ingest.sidecars``), else None."""
    if not filename.lower().endswith(".xmp"):
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SIDECAR_BYTES + 1)
    except OSError:
        return None  # intake reports it
    return data if len(data) <= MAX_SIDECAR_BYTES and looks_like_sidecar(filename, data) else None


def intake_file(
    ctx: Context,
    batch_id: int,
    path: Path,
    *,
    known_hash: tuple[str, int] | None = None,
    filename: str | None = None,
    keep_on_store_error: bool = False,
    own_file: bool = False,
    also: AlsoRecord | None = None,
) -> IntakeResult:
    """Run intake on one file; a bad file becomes a recorded failure, never an exception.

    ``known_hash`` is (SHA-256, size) when the caller hashed the bytes as they arrived (the web
    upload), so the file is not read once more to hash it. With ``keep_on_store_error`` an
    unreachable store raises StoreDownError instead of recording a failure: the caller keeps
    the file (the web upload's only copy) and tries again later. ``own_file``: the file is the
    caller's own, deleted after and never changed (an upload's), so a local store may link it
    instead of copying it; never a user's file, which they could change in place later.
    ``also``: the caller's own writes for the outcome, made in the transaction that records it
    (an upload's state), so that both are saved or neither.
    """
    state = IntakeState(ctx=ctx, batch_id=batch_id, path=path,
                        filename=filename or display_name(path), own_file=own_file, also=also)
    sidecar = _sidecar_bytes(path, state.filename)
    if sidecar is not None:
        result = take_sidecar(ctx, batch_id, str(path), state.filename, sidecar)
        if also is not None:
            with ctx.catalog.write() as session:
                also(session, result)
        return result
    stages = INTAKE_STAGES
    if known_hash is not None:
        state.sha256, state.byte_size = known_hash
        stages = tuple(s for s in INTAKE_STAGES if s is not hash_file)
    try:
        run_stages(stages, state)
    except IngestError as exc:
        if keep_on_store_error and isinstance(exc, StoreDownError):
            raise
        return record_failure(ctx.catalog, batch_id, str(path), state.filename, str(exc), also)
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
        return record_failure(ctx.catalog, batch_id, str(path), state.filename, reason, also)
    assert state.result is not None
    return state.result
