"""Replacing an asset's file: intake's stages (sniff, hash, store) on the new file, then the
catalog records it as the asset's new version and the worker processes it again.

The checks run before anything is stored (the same kind of file, not another asset's content,
a reason, the right to do it), so a refused file leaves no trace; once stored, the original is
kept under its SHA-256 like any other (dam.curation.versions).
"""

from __future__ import annotations

from pathlib import Path

from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.versions import (
    NewFile,
    VersionError,
    check_replacement,
    replace_file,
    restore_version,
    version_file,
)
from dam.models import AssetVersion
from ingest.intake import IntakeState, display_name, hash_file, sniff, store_original
from storage import original_key


def _facts(state: IntakeState) -> NewFile:
    assert state.sniffed and state.sha256 and state.byte_size is not None
    return NewFile(sha256=state.sha256, byte_size=state.byte_size,
                   mime_type=state.sniffed.mime_type, media_type=state.sniffed.media_type,
                   original_filename=state.filename)


def replace_asset_file(ctx: Context, actor: Actor, asset_id: int, path: Path, reason: str,
                       *, filename: str | None = None) -> AssetVersion:
    """Make the file at ``path`` the asset's current file; returns its version row."""
    if not " ".join((reason or "").split()):
        raise VersionError("say why the file is replaced (a reason is required)")
    state = IntakeState(ctx=ctx, batch_id=0, path=path, filename=filename or display_name(path))
    try:
        sniff(state)
        hash_file(state)
    except OSError as exc:
        raise VersionError(f"cannot read {path}: {exc.strerror or exc}") from exc
    new = _facts(state)
    with ctx.catalog.read() as session:
        check_replacement(session, actor, asset_id, new)
    store_original(state)
    with ctx.catalog.write() as session:
        version = replace_file(session, actor, asset_id, new, reason,
                               max_attempts=ctx.settings.job_max_attempts)
        session.expunge(version)
    return version


def restore_asset_version(ctx: Context, actor: Actor, asset_id: int, number: int,
                          reason: str | None = None) -> AssetVersion:
    """Make an earlier version current again (its original is still in the store)."""
    with ctx.catalog.read() as session:
        chosen = version_file(session, asset_id, number)
    if not ctx.store.exists(original_key(chosen.sha256)):
        raise VersionError(f"the original of version {number} of asset {asset_id} is missing "
                           "from the store: run `dam fixity`")
    with ctx.catalog.write() as session:
        version = restore_version(session, actor, asset_id, number, reason,
                                  max_attempts=ctx.settings.job_max_attempts)
        session.expunge(version)
    return version
