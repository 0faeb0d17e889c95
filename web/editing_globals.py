"""Template globals of the editing blueprint: who may select and edit, an asset's history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import select

from dam.curation.audit import asset_history
from dam.curation.edits import can_edit
from dam.enums import CollectionKind, Role
from dam.models import Asset, Collection
from web.access import RANK
from web.curation_common import actor_of
from web.editing import bp
from web.state import get_ctx

SHORT = 120
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class HistoryLine:
    at: Any
    who: str
    action: str
    field: str | None
    old: str
    new: str
    detail: str | None


def shorten(value: Any, limit: int = SHORT) -> str:
    """A logged value as one short line of text."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


@bp.app_template_global()
def can_select() -> bool:
    """Whether grids show selection checkboxes (those who may upload or edit)."""
    user = g.get("user")
    return user is not None and RANK[user.role] >= RANK[Role.PHOTOGRAPHER]


@bp.app_template_global()
def may_edit_asset(asset: Asset) -> bool:
    user = g.get("user")
    if user is None:
        return False
    owner = asset.batch.user_id if asset.batch is not None else None
    return can_edit(actor_of(user), owner)


@bp.app_template_global()
def asset_history_lines(asset_id: int) -> list[HistoryLine]:
    """The asset's history for staff, newest first (empty for the public)."""
    if g.get("user") is None:
        return []
    with get_ctx().catalog.read() as session:
        entries = asset_history(session, asset_id, limit=HISTORY_LIMIT)
        return [HistoryLine(e.at, e.username or "?", e.action, e.field, shorten(e.old_value),
                            shorten(e.new_value), e.detail) for e in entries]


@bp.app_template_global()
def selection_albums() -> list[tuple[int, str]]:
    """Albums a selection can be added to (when the collections blueprint is installed)."""
    if "collections.add_items" not in current_app.view_functions:
        return []
    with get_ctx().catalog.glance() as session:
        rows = session.execute(select(Collection.id, Collection.title)
                               .where(Collection.kind == CollectionKind.ALBUM)
                               .order_by(Collection.title).limit(300))
        return [(i, t) for i, t in rows]
