"""What the public gallery will show: published collections, their cleared assets, the rest held.

Every "may this leave?" decision goes through publish.clearance with the ``publico`` profile.
During an electoral blackout the plan is refused, or, when the caller asks for the notice, holds
only the collections excepted by law (civil protection, health), each audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.config import Settings
from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.collection_reads import collection_assets
from dam.curation.rights import OFFICE_TZ, as_utc, chunks
from dam.curation.workflow import change_state
from dam.enums import AssetState, MediaType, RenditionKind, WorkflowState
from dam.errors import DamError
from dam.models import Asset, BlackoutPeriod, Collection, PublishingSetting, Rendition
from dam.publishing.blackout import active_blackout, is_excepted
from dam.reports import OPEN_DATA_KEY
from publish.clearance import clear_for_export, faces_to_blur
from publish.embed import PressInfo
from publish.export import FileFacts
from publish.profiles import ExportProfile
from publish.public_view import public_facts, public_fields, public_press_info

log = logging.getLogger(__name__)

GALLERY_PROFILE = "publico"
DEFAULT_NOTICE = (
    "Durante la veda electoral esta galería suspende la difusión de imágenes de la Alcaldía, "
    "como lo ordena la ley. Solo se mantiene la información de protección civil y de salud."
)
MEMBER_LIMIT = 100_000


class PublishRefusedError(DamError):
    """Publishing is not allowed now (an electoral blackout is in force)."""


@dataclass(frozen=True)
class HeldAsset:
    """An asset of a published collection that stays out of the gallery, and why."""

    asset_id: int
    collection_id: int
    collection: str  # its slug
    reasons: tuple[str, ...]
    details: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"asset_id": self.asset_id, "collection_id": self.collection_id,
                "collection": self.collection, "reasons": list(self.reasons),
                "details": list(self.details)}


@dataclass(frozen=True)
class PlannedAsset:
    """A cleared asset and everything the gallery needs of it (read while the session was open)."""

    asset_id: int
    kind: str  # photo | video
    sha256: str
    source_key: str  # the original (photo) or the poster / preview rendition (video)
    proxy: tuple[str, int, int] | None  # the web video: (store key, width, height)
    info: PressInfo
    facts: FileFacts
    title: str
    alt_text: str
    licence: tuple[str | None, str | None, str | None]
    taken_on: dt.date | None
    place: str | None
    updated_at: dt.datetime | None
    blur: tuple[tuple[float, float, float, float], ...] = ()  # minors' faces (publish.blur)


@dataclass(frozen=True)
class PlannedCollection:
    collection_id: int
    slug: str
    title: str
    description: str
    published_at: dt.datetime
    updated_at: dt.datetime
    asset_ids: tuple[int, ...]  # cleared, in the collection's order
    cover_asset_id: int | None
    held: tuple[HeldAsset, ...]


@dataclass
class Plan:
    profile: ExportProfile
    collections: list[PlannedCollection] = field(default_factory=list)
    assets: dict[int, PlannedAsset] = field(default_factory=dict)
    notice: str | None = None
    promoted: list[int] = field(default_factory=list)  # moved approved -> published
    not_promoted: list[int] = field(default_factory=list)
    band: bytes | None = None  # the institutional band, for profiles that lay it
    report: dict[str, Any] | None = None  # the public report's counts an editor published

    @property
    def held(self) -> list[HeldAsset]:
        return [h for c in self.collections for h in c.held]

    @property
    def shown(self) -> list[PlannedCollection]:
        """The collections the site lists: those with at least one asset."""
        return [c for c in self.collections if c.asset_ids]


def refusal_message(blackout: BlackoutPeriod) -> str:
    end = as_utc(blackout.ends_at)
    assert end is not None
    local = end.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")
    return f"Veda electoral vigente hasta {local} (hora de la Ciudad de México): {blackout.reason}"


def published_collections(session: Session) -> list[Collection]:
    return list(session.scalars(
        select(Collection).where(Collection.published_at.is_not(None))
        .order_by(Collection.published_at.desc(), Collection.id.desc())))


def _members(session: Session, collection: Collection) -> list[Asset]:
    visible = Asset.media_type.in_([MediaType.PHOTO, MediaType.VIDEO]) & (
        Asset.state == AssetState.READY)
    ids = collection_assets(session, collection, limit=MEMBER_LIMIT, visible=visible).asset_ids
    loaded: dict[int, Asset] = {}
    for part in chunks(ids):
        loaded.update({a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(part)))})
    return [loaded[i] for i in ids if i in loaded]


Sources = dict[RenditionKind, tuple[str, int, int]]  # kind: (store key, width, height)


def _video_sources(session: Session, ids: Sequence[int]) -> dict[int, Sources]:
    kinds = (RenditionKind.PROXY, RenditionKind.POSTER, RenditionKind.PREVIEW)
    found: dict[int, Sources] = {}
    for part in chunks(list(ids)):
        for row in session.scalars(select(Rendition).where(
                Rendition.asset_id.in_(part), Rendition.kind.in_(kinds))):
            found.setdefault(row.asset_id, {})[row.kind] = (row.key, row.width, row.height)
    return found


def make_plan(session: Session, settings: Settings, profile: ExportProfile, actor: Actor,
              now: dt.datetime, *, notice: bool = False, promote: bool = True) -> Plan:
    """The plan of the gallery at ``now``; PublishRefusedError during a blackout without notice.

    With ``promote`` (not in dry runs), cleared assets still "approved" move to "published"
    through the workflow service (audited) and excepted collections are audited.
    """
    blackout = active_blackout(session, now)
    if blackout is not None and not notice:
        raise PublishRefusedError(refusal_message(blackout))
    plan = Plan(profile)
    collections = published_collections(session)
    if blackout is None:  # a blackout's gallery is its notice and the excepted collections
        plan.report = published_report(session)
    if blackout is not None:
        plan.notice = blackout.notice or DEFAULT_NOTICE
        collections = [c for c in collections if is_excepted(c)]
        if promote:
            for c in collections:
                audit.record(session, actor, "blackout_exception_published", collection_id=c.id,
                             detail=f"{c.blackout_exception}: {c.blackout_exception_reason or ''}")
    cleared_by_collection = []
    for collection in collections:
        cleared, held = _clear(session, collection, profile, now)
        cleared_by_collection.append((collection, cleared, held))
    every = {a.id: a for _c, cleared, _h in cleared_by_collection for a in cleared}
    if promote:
        _promote(session, actor, plan, list(every.values()), now)
    sources = _video_sources(session, [a.id for a in every.values()
                                       if a.media_type == MediaType.VIDEO])
    blur = faces_to_blur(session, list(every), profile, now)
    for collection, cleared, held in cleared_by_collection:
        plan.collections.append(_planned_collection(
            settings, plan, collection, cleared, held, sources, blur))
    return plan


def published_report(session: Session) -> dict[str, Any] | None:
    """The counts of the public report an editor published to the open data, if any."""
    setting = session.get(PublishingSetting, OPEN_DATA_KEY)
    value = setting.value if setting is not None else None
    return value if isinstance(value, dict) else None


def _clear(session: Session, collection: Collection, profile: ExportProfile, now: dt.datetime
           ) -> tuple[list[Asset], list[HeldAsset]]:
    cleared, held = clear_for_export(session, _members(session, collection), profile, now,
                                     blur_minors=collection.blur_minors)
    return cleared, [HeldAsset(h.asset_id, collection.id, collection.slug, h.reasons, h.details)
                     for h in held]


def _promote(session: Session, actor: Actor, plan: Plan, assets: list[Asset],
             now: dt.datetime) -> None:
    approved = [a.id for a in assets if a.workflow_state == WorkflowState.APPROVED]
    if not approved:
        return
    result = change_state(session, actor, approved, WorkflowState.PUBLISHED, now)
    plan.promoted = list(result.changed)
    plan.not_promoted = [r.asset_id for r in result.refused]
    if plan.not_promoted:
        log.warning("%d approved assets stay approved (%s may not publish them)",
                    len(plan.not_promoted), actor.username)


def _planned_collection(settings: Settings, plan: Plan, collection: Collection,
                        cleared: list[Asset], held: list[HeldAsset],
                        sources: dict[int, Sources],
                        blur: dict[int, list[tuple[float, float, float, float]]]
                        ) -> PlannedCollection:
    ids = []
    held = list(held)
    for asset in cleared:
        if asset.id not in plan.assets:
            planned = _planned_asset(settings, plan.profile, asset,
                                     sources.get(asset.id, {}), tuple(blur.get(asset.id, ())))
            if planned is None:
                held.append(HeldAsset(asset.id, collection.id, collection.slug,
                                      ("no_web_video",), ("the web video is not made yet",)))
                continue
            plan.assets[asset.id] = planned
        ids.append(asset.id)
    cover = collection.cover_asset_id if collection.cover_asset_id in ids else (
        ids[0] if ids else None)
    assert collection.published_at is not None
    return PlannedCollection(
        collection.id, collection.slug, collection.title, collection.description or "",
        collection.published_at, collection.updated_at, tuple(ids), cover, tuple(held))


def _planned_asset(settings: Settings, profile: ExportProfile, asset: Asset,
                   renditions: Sources,
                   blur: tuple[tuple[float, float, float, float], ...] = ()
                   ) -> PlannedAsset | None:
    """What the gallery shows of ``asset``: its public projection (publish.public_view)."""
    video = asset.media_type == MediaType.VIDEO
    proxy: tuple[str, int, int] | None = None
    if video:
        poster = renditions.get(RenditionKind.POSTER) or renditions.get(RenditionKind.PREVIEW)
        proxy = renditions.get(RenditionKind.PROXY)
        if poster is None or proxy is None:
            return None
        source = poster[0]
    else:
        source = asset.original_key
    fields = public_fields(asset, profile, settings)
    title = fields["title"] or f"Imagen {asset.id}"
    place = ", ".join(p for p in (fields["sublocation"], fields["city"]) if p) or None
    taken = fields.get("taken_at")
    return PlannedAsset(
        asset.id, "video" if video else "photo", asset.sha256, source, proxy,
        public_press_info(asset, settings), public_facts(asset, profile), title,
        fields["alt_text"] or fields["caption"] or title,
        (fields["licence"], fields["licence_label"], fields["licence_url"]),
        taken.date() if taken else None, place, asset.updated_at, blur)
