"""Publicaciones (series, issues as a cover grid, the numbers we lack) and notas de prensa.

Press clippings are browsed and faceted by medium, month and tone (editors set the tone in
place, through the edit service: audited); a web note is registered from its address and its
saved PDF or screenshot, which go through the normal intake.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from dam.catalog import BatchInfo
from dam.curation.edit_fields import FIELDS, EditError, clean_value
from dam.curation.edits import EditConflictError, EditForbiddenError, edit_asset
from dam.enums import IntakeOutcome, PublicationKind, Tone
from dam.models import Asset
from dam.publications import (
    ClippingFilter,
    list_clippings,
    list_series,
    photos_used_by_media,
    series_issues,
)
from dam.search.date_words import office_today
from ingest.intake import intake_file
from web.access import visible_clause
from web.curation_common import actor_of
from web.errors import RequestError
from web.params import bounded_int, query_int
from web.queries import grid_items, reading
from web.redirects import local_path
from web.state import get_ctx
from web.uploads import create_web_batch

bp = Blueprint("publications", __name__)

PER_PAGE = 60
WEB_NOTE_TYPES = (".pdf", ".png", ".jpg", ".jpeg", ".webp")


@bp.get("/publicaciones")
def index() -> str:
    with reading(get_ctx().catalog) as session:
        series = list_series(session, visible_clause(g.user))
    return render_template("publications.html", series=series)


@bp.get("/publicaciones/serie")
def series() -> str:
    name = request.args.get("nombre", "").strip()[:300]
    if not name:
        abort(404)
    catalog = get_ctx().catalog
    with reading(catalog) as session:
        found = series_issues(session, name, visible_clause(g.user))
    if not found.issues:
        abort(404)
    items = {i.id: i for i in grid_items(catalog, [i.asset_id for i in found.issues],
                                         visible_clause(g.user))}
    return render_template("publication_series.html", series=found, items=items)


def _clipping_filter() -> ClippingFilter:
    args = request.args
    tone = args.get("tono", "")
    return ClippingFilter(medium=args.get("medio", "").strip()[:300] or None,
                          month=args.get("mes", "").strip()[:7] or None,
                          tone=Tone(tone) if tone in Tone._value2member_map_ else None)


@bp.get("/notas-de-prensa")
def clippings() -> str:
    flt = _clipping_filter()
    page = query_int("pagina", 1, low=1, high=10_000)
    catalog = get_ctx().catalog
    with reading(catalog) as session:
        found = list_clippings(session, flt, limit=PER_PAGE, offset=(page - 1) * PER_PAGE,
                               visible=visible_clause(g.user))
        assets = {a.id: _row(a) for a in session.scalars(select(Asset).where(
            Asset.id.in_(found.ids)))}
        used = photos_used_by_media(session, limit=24)
    photos = {i.id: i for i in grid_items(catalog, [p for p, _ in used], visible_clause(g.user))}
    thumbs = {i.id: i for i in grid_items(catalog, found.ids, visible_clause(g.user))}
    return render_template(
        "clippings.html", flt=flt, found=found, rows=[assets[i] for i in found.ids if i in assets],
        thumbs=thumbs, used=[(photos[p], n) for p, n in used if p in photos], page=page,
        pages=(found.total + PER_PAGE - 1) // PER_PAGE, tones=list(Tone),
        link=lambda change: _clippings_url(flt, change))


def _clippings_url(flt: ClippingFilter, change: dict[str, Any]) -> str:
    """This page's address with some filters changed (None removes one)."""
    args: dict[str, Any] = {"medio": flt.medium, "mes": flt.month,
                            "tono": flt.tone.value if flt.tone else None}
    args.update(change)
    return url_for(".clippings", **{k: v for k, v in args.items() if v is not None})


def _row(asset: Asset) -> dict[str, Any]:
    return {"id": asset.id, "headline": asset.headline or asset.original_filename,
            "medium": asset.medium, "section": asset.section, "page": asset.clipping_page,
            "date": asset.distribution_date, "author": asset.creator, "url": asset.web_url,
            "captured_on": asset.captured_on, "tone": asset.tone.value if asset.tone else "",
            "version": asset.edit_version}


@bp.post("/notas-de-prensa/<int:asset_id>/tono")
def set_tone(asset_id: int) -> Response:
    tone = request.form.get("tone", "")
    version = bounded_int(request.form.get("edit_version"))
    try:
        with get_ctx().catalog.write() as session:
            asset = session.get(Asset, asset_id)
            if asset is None or asset.publication_kind is not PublicationKind.CLIPPING:
                abort(404)
            edit_asset(session, actor_of(g.user), asset_id, {"tone": tone or None},
                       expected_version=version or asset.edit_version)
    except EditConflictError:
        flash(_("Someone else changed the tone of this note meanwhile; look again."), "error")
    except EditError as exc:
        raise RequestError(400, "invalid", str(exc)) from None
    else:
        flash(_("Tone saved."), "success")
    back = local_path(request.form.get("next"))
    return redirect(back if back and back.startswith("/notas-de-prensa") else
                    url_for(".clippings"))


def _web_note_values(form: Any) -> dict[str, Any]:
    return {
        "publication_kind": PublicationKind.CLIPPING.value,
        "web_url": form.get("web_url", ""), "medium": form.get("medium", ""),
        "headline": form.get("headline", ""), "creator": form.get("author", ""),
        "section": form.get("section", ""), "distribution_date": form.get("date", ""),
        "captured_on": form.get("captured_on", "") or office_today().isoformat(),
    }


@bp.route("/notas-de-prensa/nota-web", methods=["GET", "POST"])
def web_note() -> str | Response:
    if request.method == "GET":
        return render_template("web_note.html", values={}, error=None,
                               today=office_today().isoformat())
    values = _web_note_values(request.form)
    upload = request.files.get("file")
    try:
        asset_id = _register_web_note(values, upload)
    except EditError as exc:
        return _web_note_error(values, str(exc))
    except WebNoteError as exc:
        return _web_note_error(values, exc.message)
    except EditForbiddenError:  # the same file is already someone else's material
        return _web_note_error(values, _("You may not edit some of these items."))
    flash(_("Web note registered."), "success")
    return redirect(url_for("assets.show", asset_id=asset_id))


def _web_note_error(values: dict[str, Any], message: str) -> Response:
    html = render_template("web_note.html", values=values, error=message,
                           today=office_today().isoformat())
    return Response(html, status=400)


class WebNoteError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _register_web_note(values: dict[str, Any], upload: FileStorage | None) -> int:
    """Take the capture in through intake, then set the note's fields (audited) on its asset."""
    if not values["web_url"].strip():
        raise WebNoteError(_("Give the address (URL) of the online note."))
    clean_value(FIELDS["web_url"], values["web_url"])  # refuse a bad address before storing
    name = Path(upload.filename or "").name if upload else ""
    if not upload or not name or not name.lower().endswith(WEB_NOTE_TYPES):
        raise WebNoteError(_("Attach the saved PDF or a screenshot (PNG, JPEG or WebP)."))
    ctx = get_ctx()
    batch_id = create_web_batch(ctx, g.user, BatchInfo(source="web", created_by=g.user.username))
    with tempfile.TemporaryDirectory(dir=_scratch(ctx.settings.data_dir)) as tmp:
        path = Path(tmp) / name
        upload.save(path)
        result = intake_file(ctx, batch_id, path, filename=name)
    if result.outcome is IntakeOutcome.FAILED or result.asset_id is None:
        raise WebNoteError(_("The file could not be taken in: %(e)s", e=result.error or ""))
    with ctx.catalog.write() as session:
        asset = session.get(Asset, result.asset_id)
        assert asset is not None
        edit_asset(session, actor_of(g.user), asset.id, values, asset.edit_version)
    return result.asset_id


def _scratch(data_dir: Path) -> Path:
    folder = Path(data_dir) / "tmp" / "web-notes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
