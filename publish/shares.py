"""What a share link shows and hands out: cleared material only, press JPEGs or originals.

The recipient is outside the office, so the link follows the press kits' clearance (the
``prensa`` profile, blocking every restriction: embargo, internal use, minors without consent,
lapsed consent, not approved) and stops during an electoral blackout, but does not require the
material to be published: an editor may share approved material with journalists. Pages show
the public projection (publish.public_view); press JPEGs carry the caption, credit and licence
and only the capture facts the profile keeps (never GPS, serials or owner names).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import mimetypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zipfile import ZIP_DEFLATED, ZIP_STORED

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from zipstream import ZipStream

from dam.config import Settings
from dam.context import Context
from dam.curation.collections import slugify
from dam.curation.shares import named_asset_ids
from dam.enums import AssetState, MediaType, RenditionKind
from dam.errors import DamError
from dam.models import Asset, BlackoutPeriod, Collection, ShareLink
from dam.publishing.blackout import blocking_blackout
from publish.clearance import clear_for_export
from publish.credentials import shared_signer
from publish.export import export_image
from publish.picture_source import NoPictureError, picture_key
from publish.presskit_text import CaptionEntry, captions_text, licence_text
from publish.profiles import ALL_BLOCKS, ExportProfile, default_profile, load_profile
from publish.public_view import public_facts, public_fields, public_press_info

log = logging.getLogger(__name__)

CAPTIONS_NAME = "pies_de_foto.txt"
LICENCE_NAME = "LICENCIA.txt"


@dataclass(frozen=True)
class SharedItem:
    """One asset a link shows: its public fields, pictures to show, and its download name."""

    asset_id: int
    media_type: str
    name: str
    fields: dict[str, Any]
    thumb_key: str | None
    preview_key: str | None
    original_key: str
    mime_type: str
    picture_key: str | None  # what a press JPEG is made from (None: not a photo)
    entry: CaptionEntry


@dataclass(frozen=True)
class SharedView:
    """What a link shows now: cleared items in order, how many were held back, a blackout."""

    items: list[SharedItem]
    held: int
    blackout: BlackoutPeriod | None

    def item(self, asset_id: int) -> SharedItem | None:
        return next((i for i in self.items if i.asset_id == asset_id), None)


def share_profile(session: Session, link: ShareLink) -> ExportProfile:
    """The press profile as admins set it, blocking every restriction, with the link's mark."""
    profile = load_profile(session, "prensa")
    return dataclasses.replace(profile, blocks=ALL_BLOCKS, public=True, keep_gps=False,
                               watermark=link.watermark or profile.watermark)


def _rendition(asset: Asset, kind: RenditionKind) -> str | None:
    return next((r.key for r in asset.renditions if r.kind == kind), None)


def _name(index: int, width: int, asset: Asset, size: str) -> str:
    stem = slugify(asset.headline or "")[:60].rstrip("-")
    if not stem or stem == "coleccion":
        stem = f"material-{asset.id}"
    extension = ".jpg"
    if size == "original" or asset.media_type != MediaType.PHOTO:
        extension = mimetypes.guess_extension(asset.mime_type or "") or ".bin"
        extension = ".jpg" if extension in (".jpe", ".jpeg") else extension
    return f"{index:0{width}d}-{stem}{extension}"


def _blackout(session: Session, link: ShareLink, now: dt.datetime) -> BlackoutPeriod | None:
    collection = session.get(Collection, link.collection_id) if link.collection_id else None
    return blocking_blackout(session, now, [collection] if collection is not None else [])


def shared_view(session: Session, link: ShareLink, settings: Settings, now: dt.datetime
                ) -> SharedView:
    """The items ``link`` shows at ``now`` (none during a blackout)."""
    blackout = _blackout(session, link, now)
    ids = named_asset_ids(session, link)
    if blackout is not None:
        return SharedView([], len(ids), blackout)
    rows = {a.id: a for a in session.scalars(
        select(Asset).where(Asset.id.in_(ids), Asset.state == AssetState.READY)
        .options(selectinload(Asset.renditions)))}
    assets = [rows[i] for i in ids if i in rows]
    profile = share_profile(session, link)
    # A share page shows the stored previews: a minor's face cannot be blurred there.
    cleared, held = clear_for_export(session, assets, profile, now, blur_minors=False)
    if link.size != "original":  # press JPEGs: photos only
        cleared = [a for a in cleared if a.media_type == MediaType.PHOTO]
    width = max(2, len(str(len(cleared))))
    items = []
    for index, asset in enumerate(cleared, start=1):
        try:
            source = picture_key(session, asset)
        except NoPictureError:
            source = None
        if link.size != "original" and source is None:
            continue
        name = _name(index, width, asset, link.size)
        entry = dataclasses.replace(CaptionEntry.of(asset, name, settings), original_filename="")
        items.append(SharedItem(
            asset.id, str(asset.media_type), name, public_fields(asset, profile, settings),
            _rendition(asset, RenditionKind.THUMBNAIL) or _rendition(asset, RenditionKind.POSTER),
            _rendition(asset, RenditionKind.PREVIEW) or _rendition(asset, RenditionKind.POSTER),
            asset.original_key, asset.mime_type, source, entry))
    return SharedView(items, len(ids) - len(items), None)


def _asset(session: Session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise DamError(f"asset {asset_id} is gone")
    return asset


def export_item(ctx: Context, link: ShareLink, item: SharedItem) -> tuple[bytes, str]:
    """The file of ``item`` the link hands out, and its type: a press JPEG (caption, credit,
    licence and the profile's facts embedded; watermark if set) or the original with its
    description embedded."""
    with ctx.catalog.read() as session:
        asset = _asset(session, item.asset_id)
        info = public_press_info(asset, ctx.settings)
        profile = share_profile(session, link)
        facts = public_facts(asset, profile)
    if link.size == "original":
        archive = dataclasses.replace(default_profile("archivo"), c2pa=False)
        data = ctx.store.read_bytes(item.original_key)
        if item.media_type != MediaType.PHOTO:
            return data, item.mime_type
        exported = export_image(io.BytesIO(data), info, archive, mime_type=item.mime_type)
        return exported.data, exported.mime_type
    assert item.picture_key is not None
    source = io.BytesIO(ctx.store.read_bytes(item.picture_key))
    exported = export_image(source, info, profile,
                            long_edge=profile.sizes[0] if profile.sizes else None, facts=facts,
                            signer=shared_signer(ctx.settings) if profile.c2pa else None)
    return exported.data, exported.mime_type


def zip_chunks(ctx: Context, link: ShareLink, items: Sequence[SharedItem],
               now: dt.datetime) -> Iterator[bytes]:
    """Every item in a ZIP with the captions and the licence, made as it is read."""
    stream = ZipStream(compress_type=ZIP_DEFLATED, compress_level=9)
    sent, failed = [], []
    for item in items:
        try:
            data, _mime = export_item(ctx, link, item)
        except (DamError, OSError, ValueError) as exc:
            log.error("share %s: %s could not be exported: %s", link.id, item.name, exc)
            failed.append(item.name)
            continue
        stream.add(data, item.name, compress_type=ZIP_STORED)
        sent.append(item.entry)
        yield from stream.file()
    agency = ctx.settings.agency_name
    stream.add(captions_text(link.title, agency, now, sent, [], failed), CAPTIONS_NAME)
    stream.add(licence_text(agency, sent), LICENCE_NAME)
    yield from stream.finalize()


def zip_name(link: ShareLink) -> str:
    return f"{slugify(link.title)[:60] or 'material'}.zip"
