"""People (Personas): face groups named through the people vocabulary, and face crops (staff).

Face data is internal: every route here needs an account (press staff to look, editors to name),
and the asset page shows face boxes only to staff (``_asset_faces.html``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

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
from PIL import Image
from sqlalchemy import select

from dam import faces as catalog_faces
from dam.curation import faces as naming
from dam.enums import MediaType, RenditionKind, VocabularyKind
from dam.errors import DamError
from dam.models import Asset, Collection, Face, FaceGroup, Rendition, VocabularyTerm
from web.curation_common import actor_of
from web.queries import reading
from web.redirects import safe_next
from web.state import get_ctx

bp = Blueprint("faces", __name__)

CROP_EDGE = 160  # pixels of a face crop's long edge
CROP_MARGIN = 0.3  # of the box, around it
GROUP_PAGE_FACES = 300


@bp.get("/personas")
def people() -> str:
    with reading(get_ctx().catalog) as session:
        groups = catalog_faces.people_overview(session)
    return render_template("people.html", named=[g for g in groups if g["person"]],
                           unnamed=[g for g in groups if not g["person"]])


@bp.get("/material/<int:asset_id>/rostros.json")
def asset_faces(asset_id: int) -> Response:
    """The asset's faces for the boxes over its preview (faces.js): box, group, name."""
    with reading(get_ctx().catalog) as session:
        found = catalog_faces.faces_of_assets(session, [asset_id])[asset_id]
    faces = [{"box": f["box"], "name": f["name"],
              "href": url_for("faces.group", group_id=f["group_id"]) if f["group_id"]
              else url_for("faces.people")} for f in found]
    response = jsonify({"faces": faces})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/personas/grupo/<int:group_id>")
def group(group_id: int) -> str:
    with reading(get_ctx().catalog) as session:
        found = session.get(FaceGroup, group_id)
        if found is None:
            abort(404)
        person = found.person.label if found.person else None
        faces = session.scalars(select(Face).where(Face.group_id == group_id)
                                .order_by(Face.source, Face.id).limit(GROUP_PAGE_FACES)).all()
        people = session.scalars(select(VocabularyTerm.label).where(
            VocabularyTerm.vocabulary == VocabularyKind.PERSON,
            VocabularyTerm.active.is_(True)).order_by(VocabularyTerm.label).limit(5000)).all()
        face_count = found.face_count
    return render_template("person_group.html", group_id=group_id, person=person, faces=faces,
                           face_count=face_count, people=people)


@bp.get("/personas/rostro/<int:face_id>.jpg")
def crop(face_id: int) -> Response:
    """The face cut from its asset's preview (or poster), small, for staff pages."""
    with reading(get_ctx().catalog) as session:
        face = session.get(Face, face_id)
        if face is None:
            abort(404)
        media = session.scalar(select(Asset.media_type).where(Asset.id == face.asset_id))
        kind = RenditionKind.POSTER if media == MediaType.VIDEO else RenditionKind.PREVIEW
        key = session.scalar(select(Rendition.key).where(
            Rendition.asset_id == face.asset_id, Rendition.kind == kind).limit(1))
        box = (face.left, face.top, face.right, face.bottom)
    if key is None:
        abort(404)
    data = _crop(get_ctx().store.read_bytes(key), box)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _crop(data: bytes, box: tuple[float, float, float, float]) -> bytes:
    left, top, right, bottom = box
    margin_x, margin_y = (right - left) * CROP_MARGIN, (bottom - top) * CROP_MARGIN
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        area = (max(0, int((left - margin_x) * width)), max(0, int((top - margin_y) * height)),
                min(width, int((right + margin_x) * width) + 1),
                min(height, int((bottom + margin_y) * height) + 1))
        part = image.convert("RGB").crop(area)
    part.thumbnail((CROP_EDGE, CROP_EDGE))
    out = io.BytesIO()
    part.save(out, "JPEG", quality=85)
    return out.getvalue()


def _change(action: Callable[..., Any], *args: Any, done: str) -> None:
    try:
        with get_ctx().catalog.write() as session:
            action(session, actor_of(g.user), *args)
    except DamError as exc:
        flash(_("Could not be done: %(reason)s", reason=str(exc)), "error")
        return
    catalog_faces.forget_index(get_ctx().catalog.url)
    flash(done, "success")


def _back(group_id: int | None = None) -> Response:
    """Back to the form's ``next`` when it is a path of this site (web.redirects), else to the
    group or the People page."""
    default = (url_for("faces.group", group_id=group_id) if group_id is not None
               else url_for("faces.people"))
    return redirect(safe_next(request.form.get("next"), default))


def _ids(name: str) -> list[int]:
    values = request.form.getlist(name) or request.form.get(name, "").replace(",", " ").split()
    try:
        return [int(v) for v in values][:1000]
    except ValueError:
        abort(400)


@bp.post("/personas/grupo/<int:group_id>/nombre")
def name_group(group_id: int) -> Response:
    label = request.form.get("nombre", "").strip()

    def action(session: Any, actor: Any) -> None:
        term = naming.person_term(session, actor, label) if label else None
        naming.name_group(session, actor, group_id, term.id if term else None)

    _change(action, done=_("Group named.") if label else _("Name removed."))
    return _back(group_id)


@bp.post("/personas/grupo/<int:group_id>/unir")
def merge(group_id: int) -> Response:
    _change(naming.merge_groups, group_id, _ids("grupos"), done=_("Groups merged."))
    return _back(group_id)


@bp.post("/personas/grupo/<int:group_id>/separar")
def split(group_id: int) -> Response:
    faces = _ids("rostros")
    _change(naming.split_group, group_id, faces, done=_("Faces moved to a new group."))
    return _back(group_id)


@bp.post("/personas/rostro/<int:face_id>/<string:what>")
def face_action(face_id: int, what: str) -> Response:
    actions = {
        "confirmar": (naming.confirm_face, (), _("Face confirmed.")),
        "rechazar": (naming.reject_face, (), _("Face taken out of the group.")),
        "menor": (naming.mark_minor, (request.form.get("menor") == "1",),
                  _("Minor mark saved.")),
        "nombre": (naming.name_face, (request.form.get("nombre", "").strip(),),
                   _("Face named.")),
    }
    if what not in actions:
        abort(404)
    action, args, done = actions[what]
    _change(action, face_id, *args, done=done)
    return _back()


@bp.post("/colecciones/<int:collection_id>/menores")
def collection_policy(collection_id: int) -> Response:
    """The editor's choice for minors without consent: hold the photos back, or blur faces."""
    blur = request.form.get("politica") == "difuminar"

    def action(session: Any, actor: Any) -> None:
        from dam.curation import audit  # noqa: PLC0415

        collection = session.get(Collection, collection_id)
        if collection is None:
            abort(404)
        if collection.blur_minors != blur:
            audit.record(session, actor, "collection", collection_id=collection.id,
                         field="blur_minors", old=collection.blur_minors, new=blur)
            collection.blur_minors = blur
    _change(action, done=_("Policy for minors saved."))
    return redirect(url_for("collections.show", collection_id=collection_id))


@bp.post("/personas/reagrupar")
def recluster() -> Response:
    """Regroup every face of the archive (admins): named groups keep their names."""
    settings = get_ctx().settings

    def action(session: Any, actor: Any) -> None:
        from dam.curation import audit  # noqa: PLC0415

        counts = catalog_faces.recluster(session, settings.face_group_distance)
        audit.record(session, actor, naming.ACTION, field="recluster", new=counts,
                     detail=f"{counts['faces']} faces in {counts['groups']} groups")
    _change(action, done=_("Faces regrouped."))
    return redirect(url_for("faces.people"))
