"""Admin pages for export profiles and the institutional band: roles, CSRF, forms, uploads."""

from __future__ import annotations

import io

from flask import Flask
from PIL import Image
from sqlalchemy import select

from dam.models import AuditEntry
from publish.branding import current_key
from publish.profiles import DEFAULT_PROFILES, load_profile
from tests.web.conftest import csrf, ctx_of, post_form, signed_in, use_english

FORM = {"label": "Público (ciudadanía)", "sizes": "1200, 600", "quality": "80",
        "format": "jpeg", "keep_date": "1", "c2pa": "1", "watermark": "Alcaldía",
        "blocks": ["embargoed", "unapproved", "minors_without_consent"]}


def _band(size: tuple[int, int] = (600, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 0, 90, 255)).save(out, "PNG")
    return out.getvalue()


def _upload(client, data: bytes, filename: str = "pleca.png"):  # type: ignore[no-untyped-def]
    return client.post("/admin/pleca", data={"csrf_token": csrf(client),
                                             "band": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_admins_see_the_profiles_and_editors_are_refused(app: Flask) -> None:
    use_english(app)
    admin, editor = signed_in(app, "admin"), signed_in(app, "editora")
    page = admin.get("/admin/perfiles")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for profile in DEFAULT_PROFILES.values():
        assert profile.label in html
    assert "Public: always removes" in html and "GPS position" in html
    assert 'href="/admin/perfiles"' in admin.get("/").get_data(as_text=True)  # the nav link
    for path in ("/admin/perfiles", "/admin/perfiles/publico", "/admin/pleca.png"):
        assert editor.get(path).status_code == 403
    assert post_form(editor, "/admin/perfiles/publico", **FORM).status_code == 403
    assert _upload(editor, _band()).status_code == 403
    assert app.test_client().get("/admin/perfiles").status_code == 302  # to sign in


def test_edit_form_shows_the_fixed_stripped_list_for_public_profiles(app: Flask) -> None:
    use_english(app)
    admin = signed_in(app, "admin")
    public = admin.get("/admin/perfiles/publico").get_data(as_text=True)
    assert 'id="always-stripped"' in public and 'name="keep_gps"' not in public
    assert 'value="original"' not in public
    internal = admin.get("/admin/perfiles/archivo").get_data(as_text=True)
    assert 'id="always-stripped"' not in internal and 'name="keep_gps"' in internal
    assert admin.get("/admin/perfiles/nope").status_code == 404


def test_the_profile_form_is_in_spanish_throughout(app: Flask) -> None:
    """Its restriction and metadata labels are lazy strings: they must reach the catalog too."""
    page = signed_in(app, "admin").get("/admin/perfiles/publico").get_data(as_text=True)
    for spanish in ("Bajo embargo", "Consentimiento revocado", "Notas del fabricante",
                    "Números de serie de cámara y lente"):
        assert spanish in page
    assert "Under embargo" not in page and "Maker notes" not in page


def test_saving_a_profile_changes_it_and_logs_it(app: Flask) -> None:
    admin = signed_in(app, "admin")
    response = post_form(admin, "/admin/perfiles/publico", **FORM)
    assert response.status_code == 303
    with ctx_of(app).catalog.read() as session:
        profile = load_profile(session, "publico")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export_profile")
                                ).one()
        who, new = entry.username, entry.new_value
    assert profile.sizes == (1200, 600) and profile.quality == 80
    assert profile.watermark == "Alcaldía" and not profile.keep_camera
    assert profile.blocks == frozenset({"embargoed", "unapproved", "minors_without_consent"})
    assert who == "admin" and new["quality"] == 80


def test_bad_values_are_refused_with_the_reason(app: Flask) -> None:
    use_english(app)
    admin = signed_in(app, "admin")
    for changes, reason in (({"sizes": "1600, grande"}, "whole numbers"),
                            ({"quality": "500"}, "between 1 and 100"),
                            ({"format": "original"}, "cannot export the original"),
                            ({"blocks": ["nope"]}, "unknown restriction")):
        response = post_form(admin, "/admin/perfiles/publico", **{**FORM, **changes})
        assert response.status_code == 400
        assert reason in response.get_data(as_text=True)
    with ctx_of(app).catalog.read() as session:
        assert load_profile(session, "publico") == DEFAULT_PROFILES["publico"]


def test_forms_need_the_csrf_token(app: Flask) -> None:
    admin = signed_in(app, "admin")
    assert admin.post("/admin/perfiles/publico", data=FORM).status_code == 400
    assert admin.post("/admin/perfiles/publico/restablecer").status_code == 400
    assert admin.post("/admin/pleca/quitar").status_code == 400
    with ctx_of(app).catalog.read() as session:
        assert load_profile(session, "publico") == DEFAULT_PROFILES["publico"]


def test_reset_brings_back_the_defaults(app: Flask) -> None:
    admin = signed_in(app, "admin")
    post_form(admin, "/admin/perfiles/redes", **{**FORM, "band": "1"})
    assert post_form(admin, "/admin/perfiles/redes/restablecer").status_code == 303
    with ctx_of(app).catalog.read() as session:
        assert load_profile(session, "redes") == DEFAULT_PROFILES["redes"]
    assert post_form(admin, "/admin/perfiles/nope/restablecer").status_code == 404


def test_band_upload_preview_and_removal(app: Flask) -> None:
    admin = signed_in(app, "admin")
    assert admin.get("/admin/pleca.png").status_code == 404  # no band yet
    assert _upload(admin, _band()).status_code == 303
    page = admin.get("/admin/perfiles").get_data(as_text=True)
    assert 'src="/admin/pleca.png"' in page
    preview = admin.get("/admin/pleca.png")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    assert Image.open(io.BytesIO(preview.data)).size == (600, 60)
    assert post_form(admin, "/admin/pleca/quitar").status_code == 303
    assert admin.get("/admin/pleca.png").status_code == 404
    with ctx_of(app).catalog.read() as session:
        assert current_key(session) is None


def test_a_text_file_renamed_png_is_refused(app: Flask) -> None:
    use_english(app)
    admin = signed_in(app, "admin")
    response = _upload(admin, b"just some text, not a picture\n", "pleca.png")
    assert response.status_code == 400
    assert "not a PNG or JPEG" in response.get_data(as_text=True)
    square = _upload(admin, _band((400, 400)))
    assert square.status_code == 400 and "times as wide" in square.get_data(as_text=True)
    missing = admin.post("/admin/pleca", data={"csrf_token": csrf(admin)})
    assert missing.status_code == 400
    with ctx_of(app).catalog.read() as session:
        assert current_key(session) is None
