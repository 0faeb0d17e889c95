"""Share links for journalists: made by an editor, opened anonymously, audited, revocable."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from dam.enums import WorkflowState
from dam.models import Asset, AuditEntry, BlackoutPeriod, Collection, ShareLink
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, ctx_of, post_form, signed_in


def _set(app: Flask, asset_id: int, **values: object) -> None:
    with ctx_of(app).catalog.write() as session:
        asset = session.get(Asset, asset_id)
        for name, value in values.items():
            setattr(asset, name, value)
        record_fixture_writes(session)


_made_page: list[str] = []  # the page the editor saw when the last link was made


def _share(editor: FlaskClient, ids: list[int], **form: object) -> str:
    """The path of a new link for ``ids`` (as the editor's page shows it once)."""
    days = form.pop("days", 3)
    expires = (dt.date.today() + dt.timedelta(days=days)).isoformat()  # type: ignore[operator]
    response = post_form(editor, "/compartir", asset_id=[str(i) for i in ids],
                         title="Inauguración del mercado", expires=expires, size="press", **form)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    _made_page[:] = [response.get_data(as_text=True)]
    url = re.search(r'data-share-url[^>]*|value="(http[^"]+)"',
                    response.get_data(as_text=True))
    found = re.search(r'value="http://[^/]+(/enlace/[^"]+)"', response.get_data(as_text=True))
    assert url and found
    return found.group(1)


def _audit(app: Flask, action: str) -> list[AuditEntry]:
    with ctx_of(app).catalog.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_journalist_opens_the_link_and_gets_cleared_material_only(
        app: Flask, archive: Archive) -> None:
    ok, embargoed, draft = archive.asset_ids
    _set(app, ok, workflow_state=WorkflowState.APPROVED, caption="Corte de listón",
         headline="Mercado nuevo")
    _set(app, embargoed, workflow_state=WorkflowState.APPROVED,
         embargo_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    editor = signed_in(app, "editora")
    path = _share(editor, archive.asset_ids, watermark="PRENSA")
    made = _made_page
    assert "1 material aparece en el enlace. 2 se retienen" in made[0], made[0][:2000]
    token = path.rsplit("/", 1)[1]
    with ctx_of(app).catalog.read() as session:  # only the token's hash is kept
        assert session.scalar(select(ShareLink.token_sha256)) != token and len(token) >= 40

    anonymous = app.test_client()
    page = anonymous.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Corte de listón" in text and "Descargar todo (ZIP)" in text  # Spanish, no sign-in
    assert f"/descargar/{ok}" in text
    assert f"/descargar/{embargoed}" not in text and f"/descargar/{draft}" not in text
    assert anonymous.get(f"{path}/descargar/{embargoed}").status_code == 404
    assert anonymous.get(f"{path}/miniatura/{draft}.jpg").status_code == 404
    assert anonymous.get(f"{path}/miniatura/{ok}.jpg").mimetype == "image/jpeg"

    one = anonymous.get(f"{path}/descargar/{ok}")
    assert one.status_code == 200 and one.mimetype == "image/jpeg"
    assert "attachment" in one.headers["Content-Disposition"]
    with Image.open(io.BytesIO(one.data)) as picture:
        assert not picture.getexif().get_ifd(0x8825)  # no GPS in the press JPEG
    bundle = anonymous.get(f"{path}/todo.zip")
    names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    assert len([n for n in names if n.endswith(".jpg")]) == 1 and "pies_de_foto.txt" in names

    assert len(_audit(app, "share_view")) == 1
    assert len(_audit(app, "share_download")) == 1 and len(_audit(app, "share_zip")) == 1
    listing = editor.get("/compartidos").get_data(as_text=True)
    assert "Inauguración del mercado" in listing
    with ctx_of(app).catalog.read() as session:
        link = session.scalars(select(ShareLink)).one()
        assert (link.views, link.downloads) == (1, 2)


def test_revoked_expired_and_unknown_links_answer_404(app: Flask, archive: Archive) -> None:
    _set(app, archive.asset_ids[0], workflow_state=WorkflowState.PUBLISHED)
    editor = signed_in(app, "editora")
    path = _share(editor, archive.asset_ids[:1])
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    assert anonymous.get("/enlace/" + "x" * 43).status_code == 404

    with ctx_of(app).catalog.read() as session:
        share_id = session.scalar(select(ShareLink.id))
    assert post_form(editor, f"/compartidos/{share_id}/revocar").status_code == 302
    gone = anonymous.get(path)
    assert gone.status_code == 404 and "retiró el enlace" in gone.get_data(as_text=True)
    assert anonymous.get(f"{path}/descargar/{archive.asset_ids[0]}").status_code == 404
    assert len(_audit(app, "share_revoke")) == 1

    path = _share(editor, archive.asset_ids[:1])
    with ctx_of(app).catalog.write() as session:
        link = session.scalars(select(ShareLink).order_by(ShareLink.id.desc())).first()
        link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        record_fixture_writes(session)
    expired = anonymous.get(path)
    assert expired.status_code == 404 and "venció" in expired.get_data(as_text=True)
    assert anonymous.get(f"{path}/todo.zip").status_code == 404


def test_a_password_protects_the_link(app: Flask, archive: Archive) -> None:
    _set(app, archive.asset_ids[0], workflow_state=WorkflowState.APPROVED)
    path = _share(signed_in(app, "editora"), archive.asset_ids[:1], password="clave-prensa")
    anonymous = app.test_client()
    first = anonymous.get(path).get_data(as_text=True)
    assert "Contraseña" in first and "/descargar/" not in first
    assert anonymous.get(f"{path}/descargar/{archive.asset_ids[0]}").status_code == 404
    assert post_form(anonymous, path, password="otra").status_code == 401
    assert post_form(anonymous, path, password="clave-prensa").status_code == 200
    assert anonymous.get(f"{path}/descargar/{archive.asset_ids[0]}").status_code == 200
    guesser = app.test_client()  # login_attempts is 3 in these tests: then even the right one waits
    guesser.get(path)
    assert [post_form(guesser, path, password=f"intento-{n}").status_code
            for n in range(3)] == [401] * 3
    assert post_form(guesser, path, password="clave-prensa").status_code == 429


def test_only_editors_make_links(app: Flask, archive: Archive) -> None:
    press = signed_in(app, "prensa")
    assert press.get(f"/compartir/nuevo?asset_id={archive.asset_ids[0]}").status_code == 403
    editor = signed_in(app, "editora")
    form = editor.get(f"/compartir/nuevo?asset_id={archive.asset_ids[0]}")
    assert form.status_code == 200


def test_a_collection_link_follows_the_collection_and_stops_in_a_blackout(
        app: Flask, archive: Archive) -> None:
    first, internal, later = archive.asset_ids
    for asset_id in archive.asset_ids:
        _set(app, asset_id, workflow_state=WorkflowState.PUBLISHED)
    _set(app, internal, internal_only=True)
    editor = signed_in(app, "editora")
    post_form(editor, "/colecciones/nueva", title="Mercados")
    with ctx_of(app).catalog.read() as session:
        collection_id = session.scalar(select(Collection.id))
    post_form(editor, "/colecciones/agregar", collection_id=str(collection_id),
              asset_id=[str(first), str(internal)])
    assert "/compartir/nuevo?collection_id=" in editor.get(
        f"/colecciones/{collection_id}").get_data(as_text=True)
    expires = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    made = post_form(editor, "/compartir", collection_id=str(collection_id), title="Mercados",
                     expires=expires, size="original").get_data(as_text=True)
    path = re.search(r'value="http://[^/]+(/enlace/[^"]+)"', made).group(1)  # type: ignore[union-attr]
    anonymous = app.test_client()
    text = anonymous.get(path).get_data(as_text=True)
    assert f"/descargar/{first}" in text and f"/descargar/{internal}" not in text
    original = anonymous.get(f"{path}/descargar/{first}")
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(original.data)) as picture:
        assert picture.size == (640, 480)  # the original's pixels, not a press size

    post_form(editor, "/colecciones/agregar", collection_id=str(collection_id),
              asset_id=str(later))
    assert f"/descargar/{later}" in anonymous.get(path).get_data(as_text=True)

    now = dt.datetime.now(dt.UTC)
    with ctx_of(app).catalog.write() as session:
        session.add(BlackoutPeriod(starts_at=now - dt.timedelta(hours=1),
                                   ends_at=now + dt.timedelta(days=1), reason="Veda 2027"))
    during = anonymous.get(path).get_data(as_text=True)
    assert "veda electoral" in during and "/descargar/" not in during
    assert anonymous.get(f"{path}/descargar/{first}").status_code == 404
