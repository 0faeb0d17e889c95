"""What the loupe shows of each asset of its sequence: preview, thumbnail, name, caption, marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dam.curation import culling
from dam.enums import ColorLabel, RenditionKind
from dam.models import Asset, Batch, Rendition
from web.accounts import CurrentUser
from web.curation_common import actor_of
from web.links import asset_href, file_href
from web.queries import RenditionRef, reading, rendition_ref
from web.state import get_ctx

CAPTION_CHARS = 2000  # of each caption in the page's JSON; the asset page shows it whole
# What the loupe shows large: a photo's preview, a video's poster.
LARGE = (RenditionKind.PREVIEW, RenditionKind.POSTER)
_COLUMNS = (Asset.id, Asset.original_filename, Asset.headline, Asset.caption, Asset.media_type,
            Asset.rating, Asset.cull_mark, Asset.color_label, Batch.user_id)
_RENDITION_COLUMNS = (Rendition.id, Rendition.asset_id, Rendition.kind, Rendition.key,
                      Rendition.created_at, Rendition.width, Rendition.height,
                      Rendition.mime_type)


@dataclass
class LoupeItem:
    id: int
    name: str
    title: str
    caption: str | None
    media_type: str
    rating: int
    cull_mark: int
    color_label: str | None
    can_mark: bool
    preview: RenditionRef | None = None
    thumb: RenditionRef | None = None

    def as_json(self) -> dict[str, Any]:
        caption = self.caption or ""
        if len(caption) > CAPTION_CHARS:
            caption = caption[:CAPTION_CHARS] + "…"
        preview = self.preview
        return {
            "id": self.id, "name": self.name, "title": self.title, "caption": caption,
            "href": asset_href(self.id),
            "src": file_href(preview.key, preview.version) if preview else None,
            "w": preview.width if preview else None, "h": preview.height if preview else None,
            "rating": self.rating, "cull_mark": self.cull_mark, "color_label": self.color_label,
            "can": self.can_mark,
        }


def _item(row: Any, user: CurrentUser) -> LoupeItem:
    color = row.color_label
    title = " ".join((row.headline or row.caption or row.original_filename or "").split())
    return LoupeItem(
        id=row.id, name=row.original_filename or "", title=title[:160], caption=row.caption,
        media_type=str(row.media_type), rating=row.rating or 0, cull_mark=int(row.cull_mark or 0),
        color_label=color.value if isinstance(color, ColorLabel) else color,
        can_mark=culling.may_mark(actor_of(user), row.user_id),
    )


def _attach_renditions(session: Any, chunk: Sequence[int], found: dict[int, LoupeItem]) -> None:
    rows = session.execute(
        select(*_RENDITION_COLUMNS).where(
            Rendition.asset_id.in_(chunk), Rendition.page == 0,
            Rendition.kind.in_((RenditionKind.THUMBNAIL, *LARGE)))
    )
    for r in rows:
        item = found[r.asset_id]
        if r.kind == RenditionKind.THUMBNAIL:
            item.thumb = rendition_ref(r)
        elif item.preview is None or r.kind == RenditionKind.PREVIEW:
            item.preview = rendition_ref(r)


def load_items(ids: Sequence[int], user: CurrentUser) -> list[LoupeItem]:
    """The loupe's items for ``ids``, in that order (ids that vanished are left out)."""
    found: dict[int, LoupeItem] = {}
    with reading(get_ctx().catalog) as session:
        for start in range(0, len(ids), culling.CHUNK):
            chunk = ids[start:start + culling.CHUNK]
            rows = session.execute(
                select(*_COLUMNS).outerjoin(Batch, Asset.batch_id == Batch.id)
                .where(Asset.id.in_(chunk))
            )
            found.update({row.id: _item(row, user) for row in rows})
            _attach_renditions(session, chunk, found)
    return [found[i] for i in ids if i in found]
