"""Editing pages: one asset's fields, a selection's batch edit and its undo, and their API.

The services (dam.curation.edits and batch_edits) decide who may edit what; this module turns
their refusals into 403, conflicts into 409 with both values shown, and bad input into 400.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dam.curation.batch_edits import (
    UndoError,
    batch_edit,
    last_batch_edit,
    may_see_batch_edit,
    undo_batch_edit,
)
from dam.curation.edit_fields import FIELDS, PUBLICATION_FIELDS, EditError
from dam.curation.edits import (
    EditConflictError,
    EditForbiddenError,
    check_can_edit,
)
from dam.curation.edits import (
    edit_asset as edit_asset_service,
)
from dam.curation.templates import TemplateError
from dam.models import AuditEntry, BatchEdit, CaptionTemplate
from web import edit_forms
from web.access import visible_clause
from web.assets import get_visible_asset
from web.curation_common import actor_of
from web.errors import error_response
from web.queries import grid_items, load_asset
from web.redirects import local_path
from web.state import get_ctx

bp = Blueprint("editing", __name__)
# The edit page groups a publication's and a press clipping's fields (they come last in FIELDS).
bp.record_once(lambda state: state.app.jinja_env.globals.update(
    publication_fields=PUBLICATION_FIELDS))

PREVIEW_COUNT = 12


@bp.errorhandler(EditForbiddenError)
def _forbidden(exc: EditForbiddenError) -> Response:
    return error_response(403, "forbidden", _("You may not edit some of these items."))


@bp.errorhandler(UndoError)
def _undo_refused(exc: UndoError) -> Response:
    return error_response(409, "conflict", _("This batch edit was already undone."))


@bp.errorhandler(EditError)
@bp.errorhandler(TemplateError)
def _invalid(exc: Exception) -> Response:
    return error_response(400, "invalid", str(exc))


def _editable_asset(asset_id: int):  # type: ignore[no-untyped-def]
    asset = get_visible_asset(asset_id)
    with get_ctx().catalog.read() as session:
        check_can_edit(session, actor_of(g.user), asset)
    return asset


def _last_author(asset_id: int, field: str) -> AuditEntry | None:
    with get_ctx().catalog.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.asset_id == asset_id, AuditEntry.field == field)
            .order_by(AuditEntry.id.desc()).limit(1)).first()
        if entry is not None:
            session.expunge(entry)
        return entry


def _conflict_page(asset_id: int, form: Any, base: dict, exc: EditConflictError) -> Response:
    """The form again: the editor's changes kept, the rest as saved now, each clash shown."""
    asset = load_asset(get_ctx().catalog, asset_id)
    assert asset is not None
    values = edit_forms.asset_form_values(asset)
    for name in FIELDS:
        if name in form and edit_forms.user_changed(FIELDS[name], form[name], base.get(name)):
            values[name] = form[name]
    conflicts = {name: {"current": edit_forms.shown(c.current), "mine": edit_forms.shown(c.mine),
                        "by": _last_author(asset_id, name)} for name, c in exc.conflicts.items()}
    html = render_template("edit_asset.html", asset=asset, values=values, conflicts=conflicts,
                           base=edit_forms.base_json(asset), version=asset.edit_version,
                           fields=FIELDS, error=None)
    return Response(html, status=409)


@bp.route("/material/<int:asset_id>/editar", methods=["GET", "POST"])
def edit_asset(asset_id: int) -> Response | str:
    asset = _editable_asset(asset_id)
    if request.method == "GET":
        return render_template("edit_asset.html", asset=asset, fields=FIELDS, conflicts={},
                               values=edit_forms.asset_form_values(asset), error=None,
                               base=edit_forms.base_json(asset), version=asset.edit_version)
    changes, version, base = edit_forms.read_asset_form(request.form)
    try:
        with get_ctx().catalog.write() as session:
            edit_asset_service(session, actor_of(g.user), asset_id, changes, version, base)
    except EditConflictError as exc:
        return _conflict_page(asset_id, request.form, base, exc)
    except EditError as exc:
        html = render_template("edit_asset.html", asset=asset, fields=FIELDS, conflicts={},
                               values={**edit_forms.asset_form_values(asset), **changes},
                               base=request.form.get("base", "{}"), version=version,
                               error=str(exc))
        return Response(html, status=400)
    flash(_("Changes saved."), "success")
    return redirect(url_for("assets.show", asset_id=asset_id))


def _templates() -> list[CaptionTemplate]:
    with get_ctx().catalog.read() as session:
        rows = list(session.scalars(select(CaptionTemplate).order_by(CaptionTemplate.name)))
        session.expunge_all()
    return rows


def _last_edit() -> BatchEdit | None:
    with get_ctx().catalog.read() as session:
        found = last_batch_edit(session, actor_of(g.user))
        if found is not None:
            session.expunge(found)
    return found


@bp.get("/seleccion/editar")
def batch_form() -> str:
    ids = edit_forms.selection_ids(request.args.getlist("asset_id"))
    preview = grid_items(get_ctx().catalog, ids[:PREVIEW_COUNT], visible_clause(g.user))
    return render_template("edit_batch.html", ids=ids, preview=preview,
                           templates=_templates(), last_edit=_last_edit(),
                           text_fields=edit_forms.BATCH_TEXT_FIELDS,
                           list_fields=edit_forms.BATCH_LIST_FIELDS, fields=FIELDS,
                           back=local_path(request.args.get("volver")))


@bp.post("/seleccion/editar")
def batch_apply() -> Response:
    ids = edit_forms.selection_ids(request.form.getlist("asset_id"))
    templates = {t.id: t.body for t in _templates()}
    ops = edit_forms.batch_operations(request.form, templates)
    with get_ctx().catalog.write() as session:
        edit = batch_edit(session, actor_of(g.user), ids, ops)
        session.flush()
        edit_id, count = edit.id, edit.asset_count
    flash(_("%(n)s items updated.", n=count), "success")
    return redirect(url_for("editing.batch_result", batch_edit_id=edit_id,
                            volver=local_path(request.form.get("volver"))))


def _visible_edit(batch_edit_id: int) -> BatchEdit:
    with get_ctx().catalog.read() as session:
        edit = session.get(BatchEdit, batch_edit_id)
        if edit is None:
            abort(404)
        session.expunge(edit)
    if not may_see_batch_edit(actor_of(g.user), edit):
        abort(404)
    return edit


@bp.get("/ediciones/<int:batch_edit_id>")
def batch_result(batch_edit_id: int) -> str:
    edit = _visible_edit(batch_edit_id)
    with get_ctx().catalog.read() as session:
        ids = list(session.scalars(
            select(AuditEntry.asset_id).where(AuditEntry.batch_edit_id == edit.id)
            .distinct().limit(PREVIEW_COUNT)))
    preview = grid_items(get_ctx().catalog, sorted(i for i in ids if i), visible_clause(g.user))
    return render_template("edit_result.html", edit=edit, preview=preview,
                           back=local_path(request.args.get("volver")))


@bp.post("/ediciones/<int:batch_edit_id>/deshacer")
def undo(batch_edit_id: int) -> Response:
    with get_ctx().catalog.write() as session:
        report = undo_batch_edit(session, actor_of(g.user), batch_edit_id)
        restored, skipped = report.restored, len(report.skipped)
    flash(_("Batch edit undone: %(n)s values restored.", n=restored), "success")
    if skipped:
        flash(_("%(n)s values were left as they are: they were edited again since.",
                n=skipped), "warning")
    return redirect(url_for("editing.batch_result", batch_edit_id=batch_edit_id))


# The API routes and template globals belong to this blueprint too.
from web import editing_api, editing_globals  # noqa: E402, F401
