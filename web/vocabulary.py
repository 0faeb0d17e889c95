"""Controlled vocabularies and caption templates: admin pages, and the suggestion API for fields."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from dam.curation import caption_templates, vocabulary
from dam.curation.templates import VARIABLES, TemplateError
from dam.curation.vocabulary import VocabularyError, VocabularyPermissionError
from dam.enums import VocabularyKind
from dam.models import VocabularyTerm
from web.curation_common import actor_of
from web.state import get_ctx

bp = Blueprint("vocabulary", __name__)

MAX_QUERY = 100
MAX_SUGGESTIONS = 50
MAX_IMPORT = 2_000_000


def _kind(value: str) -> VocabularyKind:
    try:
        return VocabularyKind(value)
    except ValueError:
        abort(404)


def _failed(exc: VocabularyError | TemplateError) -> None:
    if isinstance(exc, VocabularyPermissionError | caption_templates.TemplatePermissionError):
        abort(403)
    flash(str(exc), "error")


def _terms_page(session: Session, kind: VocabularyKind) -> str:
    terms = vocabulary.list_terms(session, kind, include_inactive=True)
    return render_template(
        "vocab.html", kind=kind, kinds=list(VocabularyKind), terms=terms,
        counts=vocabulary.count_terms(session), parent_kind=vocabulary.parent_kind(kind),
        parents=vocabulary.labels_by_id(session, [t.parent_id for t in terms]),
        form=request.form,
    )


@bp.get("/admin/vocabularios")
def index() -> str:
    with get_ctx().catalog.read() as session:
        return _terms_page(session, VocabularyKind.AREA)


@bp.get("/admin/vocabularios/<kind>")
def kind_terms(kind: str) -> str:
    with get_ctx().catalog.read() as session:
        return _terms_page(session, _kind(kind))


@bp.post("/admin/vocabularios/<kind>")
def add_term(kind: str) -> Response | tuple[str, int]:
    kind_, form = _kind(kind), request.form
    try:
        with get_ctx().catalog.write() as session:
            parent_id = vocabulary.find_parent(session, kind_, form.get("parent"))
            term = vocabulary.add_term(
                session, actor_of(g.user), kind_, form.get("label", ""),
                code=form.get("code"), parent_id=parent_id, note=form.get("note"))
            flash(_("Added: %(label)s", label=term.label), "info")
    except VocabularyError as exc:
        _failed(exc)
        with get_ctx().catalog.read() as session:
            return _terms_page(session, kind_), 400
    return redirect(url_for("vocabulary.kind_terms", kind=kind_.value))


@bp.post("/admin/vocabularios/<kind>/importar")
def import_terms(kind: str) -> Response | tuple[str, int]:
    kind_ = _kind(kind)
    text = request.form.get("terms", "")
    if len(text) > MAX_IMPORT:
        abort(413)
    try:
        with get_ctx().catalog.write() as session:
            report = vocabulary.import_terms(session, actor_of(g.user), kind_, text)
    except VocabularyError as exc:
        _failed(exc)
        with get_ctx().catalog.read() as session:
            return _terms_page(session, kind_), 400
    flash(_("%(added)d added, %(updated)d updated, %(same)d already up to date.",
            added=len(report.added), updated=len(report.updated), same=report.unchanged), "info")
    return redirect(url_for("vocabulary.kind_terms", kind=kind_.value))


def _term_page(session: Session, term: VocabularyTerm) -> str:
    parent = vocabulary.labels_by_id(session, [term.parent_id]).get(term.parent_id or 0, "")
    return render_template("vocab_term.html", term=term, parent_label=parent,
                           parent_kind=vocabulary.parent_kind(term.vocabulary))


@bp.route("/admin/vocabularios/termino/<int:term_id>", methods=["GET", "POST"])
def edit_term(term_id: int) -> Response | str | tuple[str, int]:
    catalog = get_ctx().catalog
    if request.method == "GET":
        with catalog.read() as session:
            return _term_page(session, vocabulary.get_term(session, term_id))
    form = request.form
    try:
        with catalog.write() as session:
            term = vocabulary.get_term(session, term_id)
            parent_id = vocabulary.find_parent(session, term.vocabulary, form.get("parent"))
            vocabulary.update_term(session, actor_of(g.user), term_id,
                                   label=form.get("label", ""), code=form.get("code"),
                                   parent_id=parent_id, note=form.get("note"))
            kind = term.vocabulary.value
    except VocabularyError as exc:
        _failed(exc)
        with catalog.read() as session:
            return _term_page(session, vocabulary.get_term(session, term_id)), 400
    flash(_("The term was saved."), "info")
    return redirect(url_for("vocabulary.kind_terms", kind=kind))


@bp.post("/admin/vocabularios/termino/<int:term_id>/estado")
def toggle_term(term_id: int) -> Response:
    with get_ctx().catalog.write() as session:
        term = vocabulary.get_term(session, term_id)
        vocabulary.set_active(session, actor_of(g.user), term_id, not term.active)
        if term.active:
            flash(_("Active again: %(label)s", label=term.label), "info")
        else:
            flash(_("Deactivated: %(label)s", label=term.label), "info")
        kind = term.vocabulary.value
    return redirect(url_for("vocabulary.kind_terms", kind=kind) + f"#term-{term_id}")


def _templates_page(template_id: int | None = None) -> str:
    """The list of templates, and the form for a new one or for ``template_id``."""
    form = request.form
    with get_ctx().catalog.read() as session:
        template = caption_templates.get_template(session, template_id) if template_id else None
        saved = template.body if template else ""
        body = form.get("body", "") if request.method == "POST" else saved
        try:
            preview = caption_templates.preview(body) if body else ""
        except TemplateError:
            preview = ""
        return render_template(
            "caption_templates.html", templates=caption_templates.list_templates(session),
            template=template, name=form.get("name", template.name if template else ""),
            body=body, preview=preview, variables=VARIABLES)


@bp.route("/admin/plantillas", methods=["GET", "POST"])
def templates() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return _templates_page()
    try:
        with get_ctx().catalog.write() as session:
            created = caption_templates.create_template(
                session, actor_of(g.user), request.form.get("name", ""),
                request.form.get("body", ""))
            flash(_("Template saved: %(name)s", name=created.name), "info")
    except TemplateError as exc:
        _failed(exc)
        return _templates_page(), 400
    return redirect(url_for("vocabulary.templates"))


@bp.post("/admin/plantillas/vista-previa")
def preview_template() -> Response:
    """The template filled with sample values, for the live preview (JSON)."""
    try:
        return jsonify(preview=caption_templates.preview(request.form.get("body", "")))
    except TemplateError as exc:
        return jsonify(error=str(exc))


@bp.route("/admin/plantillas/<int:template_id>", methods=["GET", "POST"])
def edit_template(template_id: int) -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return _templates_page(template_id)
    try:
        with get_ctx().catalog.write() as session:
            caption_templates.update_template(session, actor_of(g.user), template_id,
                                              request.form.get("name", ""),
                                              request.form.get("body", ""))
    except TemplateError as exc:
        _failed(exc)
        return _templates_page(template_id), 400
    flash(_("The template was saved."), "info")
    return redirect(url_for("vocabulary.templates"))


@bp.post("/admin/plantillas/<int:template_id>/borrar")
def delete_template(template_id: int) -> Response:
    with get_ctx().catalog.write() as session:
        caption_templates.delete_template(session, actor_of(g.user), template_id)
    flash(_("The template was deleted."), "info")
    return redirect(url_for("vocabulary.templates"))


@bp.get("/api/v1/vocabulario/<kind>")
def suggest(kind: str) -> Response:
    """Labels of active terms for a field as someone types (``q``: what they typed)."""
    kind_ = _kind(kind)
    prefix = request.args.get("q", "")[:MAX_QUERY]
    limit = request.args.get("limit", 10, type=int) or 10
    with get_ctx().catalog.read() as session:
        found = vocabulary.suggest(session, kind_, prefix, max(1, min(limit, MAX_SUGGESTIONS)))
    return jsonify(found)


@bp.get("/api/v1/codigos")
def codes() -> Response:
    """Every ``=code`` and the term it expands to."""
    with get_ctx().catalog.read() as session:
        return jsonify(vocabulary.codes(session))


@bp.get("/api/v1/plantillas")
def api_templates() -> Response:
    """The office's caption templates."""
    with get_ctx().catalog.read() as session:
        found = caption_templates.list_templates(session)
        return jsonify([{"id": t.id, "name": t.name, "body": t.body} for t in found])
