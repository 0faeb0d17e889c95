"""The Site the renderer receives, put together from the plan and the media files made for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from dam.config import Settings
from publish.describe import licence_urls
from publish.gallery.plan import Plan, PlannedAsset, PlannedCollection
from publish.gallery.site import MediaFile, Site, SiteCollection, SiteItem


@dataclass(frozen=True)
class ItemMedia:
    """The files of one asset: its picture's renditions (largest first), and the video."""

    images: tuple[MediaFile, ...]
    video: MediaFile | None = None


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def item_path(asset: PlannedAsset) -> str:
    folder = "videos" if asset.kind == "video" else "fotos"
    return f"{folder}/{asset.asset_id}/index.html"


def site_item(settings: Settings, asset: PlannedAsset, media: ItemMedia) -> SiteItem:
    info = asset.info
    code, label, url = asset.licence
    return SiteItem(
        asset_id=asset.asset_id, kind=asset.kind, path=item_path(asset), title=asset.title,
        caption=info.caption or "", alt_text=asset.alt_text,
        credit=info.credit or settings.agency_name, copyright=info.copyright or "",
        licence_code=code, licence_label=label, licence_url=url, taken_on=asset.taken_on,
        place=asset.place, event=info.event, keywords=tuple(info.keywords),
        images=media.images, video=media.video,
        updated_at=utc(asset.updated_at) if asset.updated_at else None,
    )


def site_collection(planned: PlannedCollection, items: Mapping[int, SiteItem]) -> SiteCollection:
    members = tuple(items[i] for i in planned.asset_ids if i in items)
    cover = items.get(planned.cover_asset_id) if planned.cover_asset_id is not None else None
    return SiteCollection(
        collection_id=planned.collection_id, slug=planned.slug,
        path=f"colecciones/{planned.slug}/index.html", title=planned.title,
        description=planned.description, published_at=utc(planned.published_at),
        updated_at=utc(planned.updated_at), items=members,
        cover=cover or (members[0] if members else None),
    )


def last_change(collections: tuple[SiteCollection, ...], fallback: dt.datetime) -> dt.datetime:
    """When the gallery's content last changed: the feed's and manifest's date (stable when
    nothing changed, so a re-publication rewrites nothing)."""
    moments = [m for c in collections for m in (c.published_at, c.updated_at)]
    moments += [i.updated_at for c in collections for i in c.items if i.updated_at]
    return max(moments, default=utc(fallback))


def build_site(settings: Settings, plan: Plan, media: Mapping[int, ItemMedia],
               now: dt.datetime) -> Site:
    items = {asset_id: site_item(settings, plan.assets[asset_id], files)
             for asset_id, files in media.items()}
    collections = tuple(site_collection(c, items) for c in plan.shown)
    collections = tuple(c for c in collections if c.items)
    base_url = settings.gallery_base_url.rstrip("/") + "/"
    urls = licence_urls(settings)
    return Site(
        title=settings.gallery_title, base_url=base_url, agency=settings.agency_name,
        generated_at=last_change(collections, now), collections=collections,
        notice=plan.notice,
        licences={code: (label, urls.get(code)) for code, label in settings.licences},
        data_licence=(settings.open_data_licence, settings.open_data_licence_url),
        report=plan.report,
    )
