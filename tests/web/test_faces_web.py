"""People pages and face boxes (staff only): naming a group from the web fills the asset's
people from faces, audited; press staff look but may not name; crops are JPEG."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from flask import Flask
from PIL import Image
from sqlalchemy import select

from dam.curation.audit import LogFilter, search_log
from dam.faces import CentroidIndex, DetectedFace, replace_faces, to_bytes
from dam.models import Asset, AuditEntry, Collection, FaceGroup
from tests.web.conftest import add_photos, ctx_of, post_form, signed_in


def _faces(app: Flask, folder: Path) -> tuple[int, int]:
    """A processed photo with two faces (different people); its id and the first's group."""
    archive = add_photos(app, folder, count=1)
    [asset_id] = archive.asset_ids
    ctx = ctx_of(app)
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        found = [DetectedFace(0.1, 0.2, 0.3, 0.5, to_bytes(np.full(128, 0.1))),
                 DetectedFace(0.6, 0.2, 0.8, 0.5, to_bytes(np.full(128, -0.1)))]
        faces = replace_faces(session, asset, found, CentroidIndex(), 0.6)
        return asset_id, faces[0].group_id  # type: ignore[return-value]


def test_editors_name_a_group_and_the_asset_shows_it(app: Flask, tmp_path: Path) -> None:
    asset_id, group_id = _faces(app, tmp_path / "fotos")
    editor = signed_in(app, "editora")
    page = editor.get(f"/material/{asset_id}").get_data(as_text=True)
    assert f'data-face-boxes="/material/{asset_id}/rostros.json"' in page
    assert 'data-unknown="¿Quién es?"' in page
    boxes = editor.get(f"/material/{asset_id}/rostros.json").get_json()["faces"]
    assert [f["name"] for f in boxes] == [None, None]
    assert boxes[0]["box"] == [0.1, 0.2, 0.3, 0.5]
    assert boxes[0]["href"] == f"/personas/grupo/{group_id}"
    people = editor.get("/personas").get_data(as_text=True)
    assert f"/personas/grupo/{group_id}" in people

    crop = editor.get(f"/personas/rostro/{_first_face(app, group_id)}.jpg")
    assert crop.status_code == 200 and crop.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(crop.data)).size) <= 160

    response = post_form(editor, f"/personas/grupo/{group_id}/nombre", nombre="Ana Pérez")
    assert response.status_code == 302  # editors may not add names to the vocabulary
    with ctx_of(app).catalog.read() as session:
        assert session.get(FaceGroup, group_id).person_term_id is None
    admin = signed_in(app, "admin")
    post_form(admin, f"/personas/grupo/{group_id}/nombre", nombre="Ana Pérez")
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, asset_id).face_people == ["Ana Pérez"]
        assert session.get(Asset, asset_id).persons_shown == []
        assert [e.new_value for e in search_log(session, LogFilter(action="face"))] == [
            "Ana Pérez"]
    page = editor.get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Ana Pérez" in page  # people from faces, apart from the typed ones
    boxes = editor.get(f"/material/{asset_id}/rostros.json").get_json()["faces"]
    assert [f["name"] for f in boxes] == ["Ana Pérez", None]


def test_press_staff_look_but_do_not_name(app: Flask, tmp_path: Path) -> None:
    _asset_id, group_id = _faces(app, tmp_path / "fotos")
    viewer = signed_in(app, "prensa")
    assert viewer.get("/personas").status_code == 200
    assert viewer.get(f"/personas/grupo/{group_id}").status_code == 200
    assert post_form(viewer, f"/personas/grupo/{group_id}/nombre",
                     nombre="X").status_code == 403
    assert app.test_client().get("/personas").status_code in (302, 401)
    assert app.test_client().get(f"/material/{_asset_id}/rostros.json").status_code in (
        302, 401, 404)


def test_the_collection_policy_for_minors_is_the_editors_choice(app: Flask,
                                                                 tmp_path: Path) -> None:
    ctx = ctx_of(app)
    with ctx.catalog.write() as session:
        collection = Collection(title="Festival", slug="festival")
        session.add(collection)
        session.flush()
        collection_id = collection.id
    editor = signed_in(app, "editora")
    page = editor.get(f"/colecciones/{collection_id}").get_data(as_text=True)
    assert "politica-menores" in page
    post_form(editor, f"/colecciones/{collection_id}/menores", politica="difuminar")
    with ctx.catalog.read() as session:
        assert session.get(Collection, collection_id).blur_minors is True
        assert session.scalars(select(AuditEntry.field).where(
            AuditEntry.collection_id == collection_id)).all() == ["blur_minors"]


def _first_face(app: Flask, group_id: int) -> int:
    from dam.models import Face

    with ctx_of(app).catalog.read() as session:
        return session.scalars(select(Face.id).where(Face.group_id == group_id)).first()


def test_admins_regroup_the_archive(app: Flask, tmp_path: Path) -> None:
    _asset_id, group_id = _faces(app, tmp_path / "fotos")
    assert post_form(signed_in(app, "editora"), "/personas/reagrupar").status_code == 403
    admin = signed_in(app, "admin")
    assert "Reagrupar todos los rostros" in admin.get("/personas").get_data(as_text=True)
    assert post_form(admin, "/personas/reagrupar").status_code == 302
    with ctx_of(app).catalog.read() as session:
        [entry] = [e for e in search_log(session, LogFilter(action="face"))
                   if e.field == "recluster"]
        assert entry.new_value == {"faces": 2, "groups": 2}
