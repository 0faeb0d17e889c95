"""Editing one asset's descriptive fields: who may, what changed, and edits that crossed.

Every edit names the ``edit_version`` it started from. When someone else saved the asset in the
meantime, fields nobody else touched are still applied, but a field the other person changed
too is refused with :class:`EditConflictError`, carrying both values, so the second editor
sees the difference and resubmits knowingly instead of silently overwriting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam import changes as change_feed
from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.edit_fields import (
    FIELDS,
    EditError,
    clean_value,
    current_value,
    spec_of,
    vocabulary_codes,
)
from dam.enums import MediaType, Role
from dam.errors import DamError, NotFoundError
from dam.models import Asset, Batch
from dam.ocr import forget_ocr, queue_ocr

__all__ = ["EditConflictError", "EditError", "EditForbiddenError", "FieldConflict",
           "can_edit", "check_can_edit", "edit_asset", "owners_of", "apply_value"]


class EditForbiddenError(DamError):
    """The actor may not edit this asset (a photographer's asset of someone else's batch)."""

    def __init__(self, asset_id: int) -> None:
        super().__init__(f"you may not edit asset {asset_id}")
        self.asset_id = asset_id


@dataclass(frozen=True)
class FieldConflict:
    """One field two people changed: where this editor started, their value, the saved one."""

    base: Any
    mine: Any
    current: Any


class EditConflictError(DamError):
    """Someone else saved the same fields since this edit's version was read."""

    def __init__(self, asset_id: int, conflicts: dict[str, FieldConflict], version: int) -> None:
        names = ", ".join(sorted(conflicts))
        super().__init__(f"asset {asset_id} was changed by someone else meanwhile ({names})")
        self.asset_id = asset_id
        self.conflicts = conflicts
        self.current_version = version


def can_edit(actor: Actor, batch_owner: int | None) -> bool:
    """Editors and admins edit anything; photographers what they uploaded; viewers nothing."""
    if actor.at_least(Role.EDITOR):
        return True
    if not actor.at_least(Role.PHOTOGRAPHER) or actor.user_id is None:
        return False
    return batch_owner is not None and batch_owner == actor.user_id


def owners_of(session: Session, batch_ids: Iterable[int | None]) -> dict[int, int | None]:
    """The uploading account of each batch, by batch id."""
    ids = sorted({b for b in batch_ids if b is not None})
    owners: dict[int, int | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(select(Batch.id, Batch.user_id).where(Batch.id.in_(chunk)))
        owners.update((batch_id, user_id) for batch_id, user_id in rows)
    return owners


def check_can_edit(session: Session, actor: Actor, asset: Asset) -> None:
    if actor.at_least(Role.EDITOR):
        return
    owner = owners_of(session, [asset.batch_id]).get(asset.batch_id) if asset.batch_id else None
    if not can_edit(actor, owner):
        raise EditForbiddenError(asset.id)


def apply_value(
    session: Session, actor: Actor, asset: Asset, name: str, value: Any, **entry: Any
) -> bool:
    """Set one field and log it (``entry``: extra audit columns); False when nothing changed."""
    old = current_value(asset, name)
    if old == value:
        return False
    setattr(asset, name, list(value) if isinstance(value, list) else value)
    change_feed.record(session, [asset.id], "updated")
    audit.record(session, actor, entry.pop("action", "edit"), asset_id=asset.id, field=name,
                 old=old, new=value, **entry)
    if name not in (asset.edited_fields or []):
        asset.edited_fields = [*(asset.edited_fields or []), name]
    if name == "publication_kind" and asset.media_type == MediaType.PHOTO:
        # A photo marked as printed material (a poster, a banner) is read by OCR.
        if value:
            queue_ocr(session, asset.id, [1], max_attempts=4)
        else:
            forget_ocr(session, asset)
    return True


def _cleaned(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    codes = vocabulary_codes(session)
    return {name: clean_value(spec_of(name), value, codes) for name, value in values.items()}


def _conflicts(
    asset: Asset, mine: Mapping[str, Any], base: Mapping[str, Any] | None
) -> dict[str, FieldConflict]:
    found: dict[str, FieldConflict] = {}
    for name, value in mine.items():
        current = current_value(asset, name)
        started = base.get(name) if base is not None else None
        if current == value or (base is not None and current == started):
            continue  # nobody else changed it, or they made the same change
        found[name] = FieldConflict(started, value, current)
    return found


def edit_asset(
    session: Session,
    actor: Actor,
    asset_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    base: Mapping[str, Any] | None = None,
) -> Asset:
    """Apply ``changes`` to one asset, logging each changed field; see the module docstring.

    ``base`` holds the values the editor's form started from: with it, only the fields the
    editor changed are written (a form sends every field).
    """
    if not isinstance(changes, Mapping) or not changes:
        raise EditError("nothing to change")
    asset = session.get(Asset, asset_id, with_for_update=True)
    if asset is None:
        raise NotFoundError(f"asset {asset_id} does not exist")
    check_can_edit(session, actor, asset)
    mine = _cleaned(session, changes)
    started = None if base is None else _cleaned(session, {k: base.get(k) for k in mine})
    if started is not None:
        mine = {k: v for k, v in mine.items() if v != started[k]}
    if asset.edit_version != expected_version:
        conflicts = _conflicts(asset, mine, started)
        if conflicts:
            raise EditConflictError(asset.id, conflicts, asset.edit_version)
    changed = [name for name, value in mine.items() if apply_value(session, actor, asset, name,
                                                                    value)]
    if changed:
        asset.edit_version += 1
    return asset


def field_values(asset: Asset) -> dict[str, Any]:
    """Every editable field's current value (what an edit form starts from)."""
    return {name: current_value(asset, name) for name in FIELDS}
