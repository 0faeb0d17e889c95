"""Press kits: a streamed ZIP of press-size JPEGs, captions and the licence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, g, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation import collections as coll
from dam.enums import MediaType
from dam.models import Asset, Collection, utcnow
from dam.publishing.blackout import blocking_blackout
from publish.clearance import Held, clear_for_export
from publish.presskit import (
    MAX_ITEMS,
    PressKit,
    PressKitBlackoutError,
    PressKitEmptyError,
    PressKitError,
    press_kit,
)
from publish.profiles import load_profile
from web.curation_common import actor_of
from web.embed_responses import set_attachment
from web.errors import RequestError
from web.i18n import fmt_moment
from web.queries import reading
from web.state import get_ctx

bp = Blueprint("presskit", __name__)

MEMBERS_SCANNED = 5_000  # members of a collection a kit (or its summary) looks at
SELECTION_MAX = 1_000


def held_reason_label(code: str) -> str:
    """A reason an asset is held back, for people."""
    return {
        "embargoed": _("under embargo"), "internal_only": _("internal use only"),
        "minors_without_consent": _("shows minors without consent"),
        "consent_expired": _("consent expired"), "consent_revoked": _("consent revoked"),
        "unapproved": _("not approved"),
    }.get(code, code)


def held_summary(held: Sequence[Held]) -> str:
    """"2 under embargo, 1 not approved": how many were held back for each reason."""
    counts: dict[str, int] = {}
    for item in held:
        for code in item.reasons:
            counts[code] = counts.get(code, 0) + 1
    return ", ".join(f"{n} {held_reason_label(code)}" for code, n in sorted(counts.items()))


# What clearance and the page's count read of an asset: the summary loads no more than this.
CLEARANCE_COLUMNS = (Asset.id, Asset.media_type, Asset.workflow_state, Asset.embargo_until,
                     Asset.internal_only, Asset.contains_minors, Asset.sensitive,
                     Asset.trashed_at)


def _members(session: Session, collection: Collection, *, for_summary: bool = False
             ) -> list[Asset]:
    """The collection's assets in its order (albums: as arranged; events: by date).

    ``for_summary`` reads only the columns clearance reads, as rows (the collection page shows
    the count on every view; the kit itself needs whole assets).
    """
    page = coll.collection_assets(session, collection, limit=MEMBERS_SCANNED)
    wanted = Asset.id.in_(page.asset_ids)
    if for_summary:  # plain rows with the same attribute names: no ORM objects to build
        found = session.execute(select(*CLEARANCE_COLUMNS).where(wanted)).all()
    else:
        found = session.scalars(select(Asset).where(wanted)).all()
    rows = {a.id: a for a in found}
    return [rows[i] for i in page.asset_ids if i in rows]  # type: ignore[misc]


def _selection(session: Session, ids: Sequence[int]) -> list[Asset]:
    rows: dict[int, Asset] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows.update((a.id, a) for a in session.scalars(select(Asset).where(Asset.id.in_(chunk))))
    return [rows[i] for i in ids if i in rows]


def _refusal(exc: PressKitError) -> RequestError:
    if isinstance(exc, PressKitBlackoutError):
        return RequestError(409, "blackout", _(
            "An electoral blackout is in force until %(end)s (%(reason)s): press kits are not "
            "sent, except for collections marked as civil-protection or health information.",
            end=fmt_moment(exc.ends_at), reason=exc.reason))
    if isinstance(exc, PressKitEmptyError):
        return RequestError(409, "nothing_to_send", _(
            "No photo of this selection may go in a press kit (%(n)d held back: %(why)s).",
            n=len(exc.held), why=held_summary(exc.held) or _("none are photos")),
            held=[h.to_json() for h in exc.held])
    return RequestError(400, "invalid", _("A press kit takes at most %(n)d photos: split the "
                                          "selection.", n=MAX_ITEMS))


def _make(assets: Sequence[Asset], title: str, collection: Collection | None) -> PressKit:
    try:
        return press_kit(get_ctx(), assets, title=title, now=utcnow(), collection=collection)
    except PressKitError as exc:
        raise _refusal(exc) from None


def _streamed(kit: PressKit, collection_id: int | None) -> Response:
    """The kit as a streamed download, its sending audited (who, what, how many held back)."""
    with get_ctx().catalog.write() as session:
        audit.record(session, actor_of(g.user), "presskit", collection_id=collection_id,
                     detail=kit.filename,
                     new={"photos": kit.count, "held_back": len(kit.held),
                          "asset_ids": kit.asset_ids,
                          "held_asset_ids": [h.asset_id for h in kit.held]})
    response = Response(kit.chunks(), mimetype="application/zip")
    set_attachment(response, kit.filename)
    response.headers["X-Acervo-Held-Back"] = str(len(kit.held))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _collection_kit(collection_id: int) -> Response:
    with reading(get_ctx().catalog) as session:
        collection = coll.get_collection(session, collection_id)  # NotFoundError: 404
        assets = _members(session, collection)
    return _streamed(_make(assets, collection.title, collection), collection_id)


@bp.get("/colecciones/<int:collection_id>/paquete-para-prensa.zip")
def collection_zip(collection_id: int) -> Response:
    return _collection_kit(collection_id)


@bp.get("/api/v1/collections/<int:collection_id>/presskit")
def api_collection_zip(collection_id: int) -> Response:
    return _collection_kit(collection_id)


def _selected_ids() -> list[int]:
    values = request.form.getlist("asset_id")
    if not values:
        raise RequestError(400, "invalid", _("Select some material first."))
    if len(values) > SELECTION_MAX:
        raise RequestError(400, "invalid", _("Too many items at once."))
    try:
        ids = [int(v) for v in values]
    except ValueError:
        raise RequestError(400, "invalid", _("A number was expected.")) from None
    if any(not 0 < i < 2**62 for i in ids):
        raise RequestError(400, "invalid", _("A number was expected."))
    return list(dict.fromkeys(ids))


@bp.post("/paquete-para-prensa")
def selection_zip() -> Response:
    ids = _selected_ids()
    title = " ".join(request.form.get("title", "").split())[:200] or _("Selection")
    with reading(get_ctx().catalog) as session:
        assets = _selection(session, ids)
    return _streamed(_make(assets, title, None), None)


@bp.app_template_global()
def presskit_summary(collection: Collection) -> dict[str, Any]:
    """What the collection page says of its press kit: photos that go, held back, blackout."""
    now = utcnow()
    with reading(get_ctx().catalog) as session:
        blackout = blocking_blackout(session, now, [collection])
        assets = _members(session, collection, for_summary=True)
        profile = load_profile(session, "prensa")
        cleared, held = clear_for_export(session, assets, profile, now)
    photos = sum(1 for a in cleared if a.media_type == MediaType.PHOTO)
    return {"photos": photos, "held": len(held), "held_text": held_summary(held),
            "blackout": blackout, "too_many": photos > MAX_ITEMS,
            "summary": ngettext("%(num)d photo will go in the kit.",
                                "%(num)d photos will go in the kit.", photos)}
