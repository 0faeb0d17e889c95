"""The gallery from the web: the publish button, its runs and holds, collections in it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from dam.curation.collection_reads import summarize
from dam.enums import PublishStatus
from dam.models import Asset, BlackoutPeriod, Collection, PublishRun, User, utcnow
from dam.publishing.blackout import BlackoutRefusalError, active_blackout
from dam.publishing.gallery_collections import (
    GalleryPermissionError,
    gallery_collections,
    set_in_gallery,
)
from dam.publishing.runs import (
    NoBlackoutError,
    PublicationRunningError,
    PublishPermissionError,
    get_run,
    lease,
    pending_run,
    recent_runs,
    request_publication,
)
from web.auth import safe_next
from web.curation_common import actor_of
from web.errors import RequestError
from web.i18n import fmt_moment
from web.queries import reading
from web.state import get_ctx

log = logging.getLogger(__name__)

bp = Blueprint("publishing", __name__)

RECENT_RUNS = 15
MAX_HELD_SHOWN = 1000
REFRESH_SECONDS = 5


def held_reason(code: str) -> str:
    """Why an asset was held back, in words (the codes of publish.clearance)."""
    words = {
        "embargoed": _("it is under embargo"),
        "internal_only": _("it is for internal use only"),
        "minors_without_consent": _("it shows minors and no valid consent covers it"),
        "consent_expired": _("its consent form expired"),
        "consent_revoked": _("its consent form was revoked"),
        "unapproved": _("it is not approved for publication"),
    }
    return words.get(code, code)


def status_label(status: str) -> str:
    names = {
        PublishStatus.QUEUED: _("Queued"), PublishStatus.RUNNING: _("Running"),
        PublishStatus.DONE: _("Finished"), PublishStatus.FAILED: _("Failed"),
        PublishStatus.REFUSED: _("Refused"),
    }
    return names.get(status, status)  # type: ignore[call-overload]


def exception_label(kind: str | None) -> str:
    names = {"proteccion_civil": _("Civil protection"), "salud": _("Health")}
    return names.get(kind or "", kind or "")


def blackout_text(period: BlackoutPeriod) -> str:
    """The refusal in the reader's language (dam's message is for logs and the CLI)."""
    return _("An electoral blackout is in force until %(when)s: %(reason)s. Only civil-protection "
             "and health information may be published.", when=fmt_moment(period.ends_at),
             reason=period.reason)


def gallery_blackout() -> BlackoutPeriod | None:
    """The blackout in force now, for templates (the collection page's gallery panel)."""
    with reading(get_ctx().catalog) as session:
        return active_blackout(session, utcnow())


bp.add_app_template_global(held_reason)
bp.add_app_template_global(status_label, "publish_status_label")
bp.add_app_template_global(exception_label, "blackout_exception_label")
bp.add_app_template_global(gallery_blackout)


@dataclass
class HeldRow:
    """One held-back asset as the run page lists it."""

    asset_id: int
    title: str
    reasons: list[str]
    details: list[str]
    collection_id: int | None
    collection_title: str | None


@dataclass
class RunView:
    """A run with who asked, and its figures read from ``stats``."""

    run: PublishRun
    requested_by: str
    stats: dict[str, Any]
    held: list[HeldRow] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.run.status in (PublishStatus.QUEUED, PublishStatus.RUNNING)

    @property
    def held_count(self) -> int:
        return len(self.stats.get("held") or [])


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name, User.username)
                           .where(User.id.in_(ids)))
    return {uid: display or username for uid, display, username in rows}


def _run_views(session: Session, runs: Sequence[PublishRun]) -> list[RunView]:
    names = _names(session, (r.requested_by for r in runs))
    return [RunView(r, names.get(r.requested_by or 0, "—"), dict(r.stats or {})) for r in runs]


def _titles(session: Session, asset_ids: set[int], collection_ids: set[int]
            ) -> tuple[dict[int, str], dict[int, str]]:
    assets: dict[int, str] = {}
    if asset_ids:
        rows = session.execute(select(Asset.id, Asset.headline, Asset.original_filename)
                               .where(Asset.id.in_(asset_ids)))
        assets = {i: head or name for i, head, name in rows}
    collections: dict[int, str] = {}
    if collection_ids:
        rows = session.execute(select(Collection.id, Collection.title)
                               .where(Collection.id.in_(collection_ids)))
        collections = {i: title for i, title in rows}
    return assets, collections


def _held_rows(session: Session, held: list[dict[str, Any]]) -> list[HeldRow]:
    """``stats["held"]`` with titles, the first MAX_HELD_SHOWN (what the worker wrote)."""
    shown = [h for h in held if isinstance(h, dict) and isinstance(h.get("asset_id"), int)]
    shown = shown[:MAX_HELD_SHOWN]
    coll_of = {id(h): h.get("collection_id") if isinstance(h.get("collection_id"), int)
               else None for h in shown}
    assets, collections = _titles(session, {h["asset_id"] for h in shown},
                                  {c for c in coll_of.values() if c is not None})
    return [HeldRow(h["asset_id"], assets.get(h["asset_id"]) or f"#{h['asset_id']}",
                    [str(c) for c in h.get("reasons") or []],
                    [str(d) for d in h.get("details") or []],
                    coll_of[id(h)], collections.get(coll_of[id(h)] or 0))
            for h in shown]


def _gallery_rows(session: Session) -> list[dict[str, Any]]:
    collections = list(gallery_collections(session))
    summaries = {s.id: s for s in summarize(session, collections, true())}
    return [{"collection": c, "count": summaries[c.id].count} for c in collections]


@bp.get("/publicacion")
def index() -> str:
    with reading(get_ctx().catalog) as session:
        period = active_blackout(session, utcnow())
        runs = _run_views(session, recent_runs(session, RECENT_RUNS))
        latest_done = next((r for r in runs if r.run.status == PublishStatus.DONE), None)
        if latest_done is not None:
            latest_done.held = _held_rows(session, latest_done.stats.get("held") or [])
        rows = _gallery_rows(session)
        pending = pending_run(session, within=lease(get_ctx().settings))
    return render_template(
        "publishing.html", period=period, runs=runs, latest_done=latest_done, rows=rows,
        pending=pending, refresh=REFRESH_SECONDS if pending else None,
        blackout_message=blackout_text(period) if period else None,
    )


@bp.get("/publicacion/ejecuciones/<int:run_id>")
def run(run_id: int) -> str:
    with reading(get_ctx().catalog) as session:
        (view,) = _run_views(session, [get_run(session, run_id)])  # NotFoundError: 404
        view.held = _held_rows(session, view.stats.get("held") or [])
    return render_template("publish_run.html", view=view,
                           refresh=REFRESH_SECONDS if view.pending else None,
                           max_held=MAX_HELD_SHOWN)


@bp.post("/publicacion/galeria")
def publish() -> Response:
    notice = request.form.get("notice") == "1"
    try:
        with get_ctx().catalog.write() as session:
            before = pending_run(session)
            before_id = before.id if before is not None else None
            run = request_publication(session, actor_of(g.user), get_ctx().settings,
                                      notice=notice)
            run_id, status = run.id, run.status
            period = active_blackout(session, utcnow())
            refusal = blackout_text(period) if period else run.error
    except PublishPermissionError:
        abort(403)
    except PublicationRunningError as busy:
        return _running_elsewhere(busy)
    except NoBlackoutError:
        flash(_("No electoral blackout is in force: there is no notice to publish."), "error")
        return redirect(url_for("publishing.index"), 303)
    if status == PublishStatus.REFUSED:
        flash(_("Publishing was refused. %(why)s", why=refusal or ""), "error")
        return redirect(url_for("publishing.index"), 303)
    if before_id == run_id:
        flash(_("A publication is already under way: this is its page."), "info")
    elif notice:
        flash(_("The gallery will be replaced with the blackout notice in a moment."), "info")
    else:
        flash(_("The gallery will be published in a moment."), "info")
    return redirect(url_for("publishing.run", run_id=run_id), 303)


def _running_elsewhere(busy: PublicationRunningError) -> Response:
    """409: another publication is running (asked on this node or another); who and since when."""
    with reading(get_ctx().catalog) as session:
        who = _names(session, [busy.requested_by]).get(busy.requested_by or 0)
    message = _("The gallery is being published already: %(who)s started publication "
                "%(run)s at %(when)s. Publish again when it has finished.",
                who=who or _("the system"), run=busy.run_id, when=fmt_moment(busy.started_at))
    log.info("gallery publication refused: %s", busy)
    flash(message, "error")
    response = Response(index(), status=409, mimetype="text/html")
    response.headers["Retry-After"] = str(REFRESH_SECONDS)
    return response


@bp.post("/colecciones/<int:collection_id>/galeria")
def gallery(collection_id: int) -> Response:
    choice = request.form.get("on")
    if choice not in ("0", "1"):
        raise RequestError(400, "invalid", _("Say whether to add the collection to the gallery "
                                             "or remove it."))
    back = safe_next(request.form.get("next")
                     or url_for("collections.show", collection_id=collection_id))
    try:
        with get_ctx().catalog.write() as session:
            changed = set_in_gallery(session, actor_of(g.user), collection_id, choice == "1")
            period = active_blackout(session, utcnow())
    except GalleryPermissionError:
        abort(403)
    except BlackoutRefusalError:
        with reading(get_ctx().catalog) as session:
            period = active_blackout(session, utcnow())
        flash(_("The collection was not added to the gallery. %(why)s",
                why=blackout_text(period) if period else ""), "error")
        return redirect(back, 303)
    if not changed:
        flash(_("Nothing to change."), "info")
    elif choice == "1":
        flash(_("Added to the public gallery. Publish the gallery to put it online."), "info")
    elif period is None:
        flash(_("Removed from the public gallery. Publish the gallery to take it offline."),
              "info")
    else:
        flash(_("Removed from the public gallery."), "info")
    return redirect(back, 303)
