"""Workflow states, rights and restrictions of assets, and consent forms (blueprint "workflow")."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import true
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from dam.curation import consent as consents
from dam.curation.consent import ConsentDraft, ConsentError
from dam.curation.rights import (
    RIGHTS_FIELDS,
    ChangeResult,
    RightsError,
    StaleEditError,
    local_to_utc,
    set_rights,
)
from dam.curation.workflow import change_state as move_assets
from dam.enums import Role, WorkflowState
from dam.models import utcnow
from web.auth import safe_next
from web.curation_common import actor_of
from web.errors import RequestError
from web.queries import grid_items, reading
from web.state import get_ctx
from web.workflow_view import (
    forward_only,
    refusals_text,
    rights_panel,
    skipped_text,
    workflow_label,
)

bp = Blueprint("workflow", __name__)
bp.add_app_template_global(rights_panel)
bp.add_app_template_global(workflow_label)

MAX_SELECTION = 10_000
FLAGS = ("internal_only", "contains_minors", "sensitive")
_ID_LIST = re.compile(r"[\s,;]+")


def _bad(message: str) -> RequestError:
    return RequestError(400, "invalid", message)


def _target_state(form: MultiDict[str, str]) -> WorkflowState:
    try:
        return WorkflowState(form.get("state", ""))
    except ValueError:
        raise _bad(_("Choose a valid workflow state.")) from None


def _int(value: str | None, name: str) -> int:
    try:
        number = int(value or "")
    except ValueError:
        raise _bad(_("The field %(name)s must be a number.", name=name)) from None
    if not 0 < number < 2**53:
        raise _bad(_("The field %(name)s must be a number.", name=name))
    return number


def _ids(values: list[str], name: str) -> list[int]:
    parts = [p for v in values for p in _ID_LIST.split(v) if p]
    if len(parts) > MAX_SELECTION:
        raise _bad(_("Select at most %(n)d items.", n=MAX_SELECTION))
    return list(dict.fromkeys(_int(p.lstrip("#"), name) for p in parts))


def _version(form: MultiDict[str, str]) -> int | None:
    return _int(form["version"], "version") if form.get("version") else None


def _stale(exc: StaleEditError) -> RequestError:
    return RequestError(409, "conflict", _(
        "Someone else changed this material while you were looking at it (it is now at version "
        "%(now)d, your page showed version %(yours)d). Reload the page to see the current values "
        "and try again.", now=exc.current, yours=exc.expected), asset_id=exc.asset_id)


def _report(result: ChangeResult, what: str) -> None:
    if result.changed:
        flash(_("%(n)d material(s): %(what)s.", n=len(result.changed), what=what), "info")
    if result.unchanged and not result.changed and not result.refused:
        flash(_("Nothing to change."), "info")
    if result.refused:
        flash(_("%(n)d material(s) held back: %(why)s", n=len(result.refused),
                why=refusals_text(result.refused)), "error")


def _needs_editor(ids: list[int]) -> RequestError:
    return RequestError(403, "needs_editor", _(
        "Only an editor may lift a restriction or clear approved or published material "
        "(%(ids)s). Ask an editor to review it.",
        ids=", ".join(f"#{i}" for i in ids[:10])), asset_ids=ids)


def _refuse_single(result: ChangeResult) -> None:
    """One asset: a missing id is 404 and a permission refusal 403, as elsewhere."""
    reasons = {r.reason for r in result.refused}
    if "not_found" in reasons:
        abort(404)
    if "needs_editor" in reasons:
        raise _needs_editor([r.asset_id for r in result.refused])
    if reasons & {"not_allowed", "not_owner"}:
        abort(403)


@bp.post("/seleccion/estado")
def change_state() -> Response:
    target = _target_state(request.form)
    ids = _ids(request.form.getlist("asset_id"), "asset_id")
    if not ids:
        raise _bad(_("Select at least one item."))
    with get_ctx().catalog.write() as session:
        ids, skipped = forward_only(session, ids, target)  # never demoted by a bulk move
        result = move_assets(session, actor_of(g.user), ids, target, utcnow())
    if skipped:
        flash(_("Skipped, so as not to move them back: %(what)s.", what=skipped_text(skipped)),
              "warning")
    if ids or not skipped:
        _report(result, _("moved to %(state)s", state=workflow_label(target)))
    return redirect(safe_next(request.form.get("next")), 303)


@bp.post("/material/<int:asset_id>/estado")
def set_state(asset_id: int) -> Response:
    target = _target_state(request.form)
    try:
        with get_ctx().catalog.write() as session:
            result = move_assets(session, actor_of(g.user), [asset_id], target, utcnow(),
                                 expected_version=_version(request.form))
    except StaleEditError as exc:
        raise _stale(exc) from None
    _refuse_single(result)
    _report(result, _("moved to %(state)s", state=workflow_label(target)))
    return redirect(url_for("assets.show", asset_id=asset_id), 303)


def _embargo(raw: str) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return local_to_utc(dt.datetime.fromisoformat(raw).replace(tzinfo=None))
    except ValueError:
        raise _bad(_("The embargo must be a date and time, like 2025-03-14T09:30.")) from None


def _rights_changes(form: MultiDict[str, str]) -> dict[str, object]:
    """The fields the form carries (listed in its hidden "fields"); unchecked boxes are False.

    The embargo is left out when it is what the page showed (``embargo_was``).
    """
    fields = [f for f in form.getlist("fields") if f in RIGHTS_FIELDS]
    if not fields:
        raise _bad(_("Nothing to change."))
    changes: dict[str, object] = {}
    for name in fields:
        if name == "embargo_until" and form.get("embargo_until", "").strip() == form.get(
                "embargo_was"):
            continue  # untouched: the minutes shown must not shorten the stored embargo
        if name == "licence":
            changes[name] = form.get("licence", "").strip() or None
        elif name == "embargo_until":
            changes[name] = _embargo(form.get("embargo_until", ""))
        else:
            changes[name] = form.get(name) in ("1", "on", "true")
    return changes


@bp.post("/material/<int:asset_id>/derechos", endpoint="set_rights")
def set_rights_of(asset_id: int) -> Response:
    changes = _rights_changes(request.form)
    settings = get_ctx().settings
    try:
        with get_ctx().catalog.write() as session:
            result = set_rights(session, actor_of(g.user), [asset_id], changes,
                                licences=settings.licences.codes,
                                expected_version=_version(request.form))
    except StaleEditError as exc:
        raise _stale(exc) from None
    except RightsError as exc:
        raise _bad(str(exc)) from None
    _refuse_single(result)
    flash(_("Rights saved.") if result.changed else _("Nothing to change."), "info")
    return redirect(url_for("assets.show", asset_id=asset_id), 303)


# --- Consent forms -------------------------------------------------------------------------


def _consent_error(exc: ConsentError) -> RequestError:
    if exc.code == "needs_editor":
        return _needs_editor(exc.asset_ids)
    return RequestError(403 if exc.code == "not_allowed" else 400, exc.code, str(exc))


@bp.get("/consentimientos", endpoint="consents")
def consent_list() -> str:
    with reading(get_ctx().catalog) as session:
        forms = consents.list_consents(session, actor_of(g.user))
        counts = {f.id: len(consents.covered_ids(session, f.id)) for f in forms}
    return render_template("consents.html", forms=forms, counts=counts,
                           today=dt.datetime.now(dt.UTC).date())


def _date(form: MultiDict[str, str], name: str) -> dt.date | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _bad(_("The date must look like 2025-03-14.")) from None


def _draft(form: MultiDict[str, str]) -> ConsentDraft:
    persons = [p for p in re.split(r"[\n;]+", form.get("persons", "")) if p.strip()]
    if len(form.get("persons", "")) > 20_000:
        raise _bad(_("The list of persons is too long."))
    return ConsentDraft(
        document_asset_id=_int(form.get("document_asset_id"), "document_asset_id"),
        persons=persons, covers_minor=form.get("covers_minor") in ("1", "on"),
        guardian=form.get("guardian", "")[:600] or None, signed_on=_date(form, "signed_on"),
        expires_on=_date(form, "expires_on"), scope=form.get("scope", "")[:3000] or None,
    )


@bp.route("/consentimientos/nuevo", methods=["GET", "POST"])
def new_consent() -> Response | str:
    if request.method == "GET":
        return render_template("consent_new.html", form=request.args)
    draft = _draft(request.form)
    cover = _ids(request.form.getlist("asset_ids"), "asset_ids")
    actor = actor_of(g.user)
    try:
        with get_ctx().catalog.write() as session:
            form = consents.create_consent(session, actor, draft)
            if cover:
                consents.cover_assets(session, actor, form.id, cover)
            if request.form.get("cover_persons") in ("1", "on"):
                for person in form.persons:
                    consents.cover_person(session, actor, form.id, person)
            consent_id = form.id
    except ConsentError as exc:
        raise _consent_error(exc) from None
    flash(_("Consent form #%(id)d recorded.", id=consent_id), "info")
    return redirect(url_for("workflow.consent", consent_id=consent_id), 303)


@bp.get("/consentimientos/<int:consent_id>")
def consent(consent_id: int) -> str:
    with reading(get_ctx().catalog) as session:
        form = _seen_consent(session, consent_id)
        ids = consents.covered_ids(session, consent_id)
    items = grid_items(get_ctx().catalog, ids, true())
    return render_template("consent.html", form=form, items=items,
                           today=dt.datetime.now(dt.UTC).date(),
                           can_revoke=g.user.role in (Role.EDITOR, Role.ADMIN))


def _may_see(form: consents.ConsentForm) -> bool:
    return g.user.role in (Role.EDITOR, Role.ADMIN) or form.created_by == g.user.id


def _seen_consent(session: Session, consent_id: int) -> consents.ConsentForm:
    """The form, or 404 when it does not exist or another photographer recorded it."""
    form = session.get(consents.ConsentForm, consent_id)
    if form is None or not _may_see(form):
        abort(404)
    return form


@bp.post("/consentimientos/<int:consent_id>/cubrir")
def cover(consent_id: int) -> Response:
    ids = _ids(request.form.getlist("asset_ids"), "asset_ids")
    person = request.form.get("person", "").strip()[:500]
    if not ids and not person:
        raise _bad(_("Give the ids of the material to cover, or a person's name."))
    actor = actor_of(g.user)
    try:
        with get_ctx().catalog.write() as session:
            _seen_consent(session, consent_id)
            added = consents.cover_assets(session, actor, consent_id, ids) if ids else []
            if person:
                added += consents.cover_person(session, actor, consent_id, person)
    except ConsentError as exc:
        raise _consent_error(exc) from None
    flash(_("%(n)d material(s) now covered by this form.", n=len(added)), "info")
    return redirect(url_for("workflow.consent", consent_id=consent_id), 303)


@bp.post("/consentimientos/<int:consent_id>/quitar")
def uncover(consent_id: int) -> Response:
    """Editors take material off a form it was linked to by mistake (audited per asset)."""
    ids = _ids(request.form.getlist("asset_ids"), "asset_ids")
    if not ids:
        raise _bad(_("Give the ids of the material to take off this form."))
    try:
        with get_ctx().catalog.write() as session:
            _seen_consent(session, consent_id)
            removed = consents.uncover_assets(session, actor_of(g.user), consent_id, ids)
    except ConsentError as exc:
        raise _consent_error(exc) from None
    flash(_("%(n)d material(s) no longer covered by this form.", n=len(removed)), "info")
    return redirect(url_for("workflow.consent", consent_id=consent_id), 303)


@bp.post("/consentimientos/<int:consent_id>/revocar")
def revoke(consent_id: int) -> Response:
    try:
        with get_ctx().catalog.write() as session:
            _seen_consent(session, consent_id)
            consents.revoke(session, actor_of(g.user), consent_id, utcnow())
    except ConsentError as exc:
        raise _consent_error(exc) from None
    flash(_("The consent form was revoked: it no longer covers any material."), "info")
    return redirect(url_for("workflow.consent", consent_id=consent_id), 303)
