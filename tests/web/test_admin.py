"""Administration: invitations, roles, disabling accounts, the queue page and retries."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from dam.enums import AssetState
from dam.models import Asset, User
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import PASSWORD, add_photos, csrf, ctx_of, login


def test_invite_set_password_and_sign_in(app: Flask) -> None:
    admin = app.test_client()
    login(admin, "admin")
    response = admin.post("/admin/usuarios", data={
        "username": "lucia", "display_name": "Lucía Gómez", "role": "photographer",
        "email": "lucia@example.org", "csrf_token": csrf(admin)}, follow_redirects=True)
    assert response.status_code == 200
    link = response.text.split("(vale 7 días): ")[1].split("<")[0].strip()
    path = link.replace("http://localhost", "")
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "Lucía Gómez" in page.text
    done = newcomer.post(path, data={"new_password": "mi-contraseña-1",
                                     "confirm_password": "mi-contraseña-1",
                                     "csrf_token": csrf(newcomer)})
    assert done.status_code == 302
    assert newcomer.get("/subir").status_code == 200  # a photographer uploads
    assert newcomer.get("/admin/usuarios").status_code == 403
    assert app.test_client().get(path).status_code == 404  # the link works once


def test_duplicate_and_bad_user_names_are_refused(app: Flask) -> None:
    admin = app.test_client()
    login(admin, "admin")
    for name in ("prensa", "Con Espacio", "a/b"):
        response = admin.post("/admin/usuarios", data={"username": name, "role": "viewer",
                                                       "csrf_token": csrf(admin)})
        assert response.status_code == 400


def test_disabling_an_account_ends_its_sessions(app: Flask) -> None:
    admin, press = app.test_client(), app.test_client()
    login(admin, "admin")
    login(press, "prensa")
    with ctx_of(app).catalog.read() as session:
        user_id = session.query(User.id).filter_by(username="prensa").scalar()
    response = admin.post(f"/admin/usuarios/{user_id}", data={
        "role": "viewer", "display_name": "Prensa", "email": "", "action": "save",
        "csrf_token": csrf(admin)})
    assert response.status_code == 302
    assert press.get("/").status_code == 302
    assert login(app.test_client(), "prensa").status_code == 401


def test_the_last_admin_cannot_be_demoted(app: Flask) -> None:
    admin = app.test_client()
    login(admin, "admin")
    with ctx_of(app).catalog.read() as session:
        user_id = session.query(User.id).filter_by(username="admin").scalar()
    response = admin.post(f"/admin/usuarios/{user_id}", data={
        "role": "viewer", "active": "on", "display_name": "", "email": "", "action": "save",
        "csrf_token": csrf(admin)})
    assert response.status_code == 400 and "último administrador" in response.text


def test_queue_page_shows_failures_and_retries_them(app: Flask, tmp_path: Path) -> None:
    archive = add_photos(app, tmp_path / "q", count=1)
    ctx = ctx_of(app)
    with ctx.catalog.write() as session:
        asset = session.get(Asset, archive.asset_ids[0])
        asset.state, asset.error = AssetState.FAILED, "decoder <b>crashed</b>"
        record_fixture_writes(session)
    admin = app.test_client()
    login(admin, "admin", PASSWORD)
    page = admin.get("/admin/cola")
    assert page.status_code == 200 and "decoder &lt;b&gt;crashed&lt;/b&gt;" in page.text
    response = admin.post("/admin/cola/reintentar",
                          data={"asset_id": str(archive.asset_ids[0]), "csrf_token": csrf(admin)},
                          follow_redirects=True)
    assert "1 material(es) en la cola de nuevo" in response.text
    with ctx.catalog.read() as session:
        assert session.get(Asset, archive.asset_ids[0]).state == AssetState.PENDING
