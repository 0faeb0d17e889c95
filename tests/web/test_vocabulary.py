"""Vocabulary and caption template admin pages, and the suggestion API fields use."""

from __future__ import annotations

import pytest
from flask import Flask

from dam.curation import audit
from dam.curation.audit import LogFilter
from dam.models import CaptionTemplate, VocabularyTerm
from tests.web.conftest import ctx_of, post_form, signed_in, use_english


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)  # these tests read the pages' English text


def _terms(app: Flask, kind: str) -> dict[str, VocabularyTerm]:
    with ctx_of(app).catalog.read() as session:
        terms = {t.label: t for t in session.query(VocabularyTerm).filter_by(vocabulary=kind)}
        session.expunge_all()
        return terms


def test_admin_adds_imports_edits_and_deactivates_terms(app: Flask) -> None:
    admin = signed_in(app, "admin")
    territory = post_form(admin, "/admin/vocabularios/territory", label="Cabeza de Juárez")
    assert territory.status_code == 302
    added = post_form(admin, "/admin/vocabularios/colonia", label="Santa Cruz Meyehualco",
                  code="=SCM", parent="cabeza de juarez")
    assert added.status_code == 302 and added.headers["Location"].endswith("/colonia")
    imported = post_form(admin, "/admin/vocabularios/colonia/importar",
                     terms='Santa Cruz Meyehualco\n"Barrio San Pablo, Iztapalapa",sp,'
                           "Cabeza de Juárez\n")
    assert imported.status_code == 302
    page = admin.get("/admin/vocabularios/colonia").get_data(as_text=True)
    assert "1 added, 0 updated, 1 already up to date." in page
    assert "Barrio San Pablo, Iztapalapa" in page and "=scm" in page and "=sp" in page
    assert page.count("Cabeza de Juárez") >= 2  # shown as each colonia's division
    terms = _terms(app, "colonia")
    term_id = terms["Santa Cruz Meyehualco"].id
    assert admin.get(f"/admin/vocabularios/termino/{term_id}").status_code == 200
    saved = post_form(admin, f"/admin/vocabularios/termino/{term_id}",
                      label="Santa Cruz Meyehualco", code="meye", parent="Cabeza de Juárez",
                      note="<b>nota</b>")
    assert saved.status_code == 302
    assert post_form(admin, f"/admin/vocabularios/termino/{term_id}/estado").status_code == 302
    term = _terms(app, "colonia")["Santa Cruz Meyehualco"]
    assert (term.code, term.note, term.active) == ("meye", "<b>nota</b>", False)
    page = admin.get("/admin/vocabularios/colonia").get_data(as_text=True)
    assert "&lt;b&gt;nota&lt;/b&gt;" in page and "<b>nota" not in page
    assert admin.get("/admin/vocabularios").status_code == 200
    with ctx_of(app).catalog.read() as session:
        log = audit.search_log(session, LogFilter(action="vocabulary", username="admin"))
        assert {e.field for e in log} >= {"add", "import", "code", "note", "active"}


def test_bad_term_input_is_a_400_with_the_reason(app: Flask) -> None:
    admin = signed_in(app, "admin")
    post_form(admin, "/admin/vocabularios/place", label="Explanada", code="ex")
    for url, data, reason in (
        ("/admin/vocabularios/place", {"label": "Otro", "code": "ex"}, "already used"),
        ("/admin/vocabularios/place", {"label": "Otro", "code": "no vale"}, "code"),
        ("/admin/vocabularios/colonia", {"label": "X", "parent": "Nadie"}, "Nadie"),
        ("/admin/vocabularios/colonia/importar", {"terms": "A\nB,,Nadie"}, "line 2"),
        ("/admin/vocabularios/place", {}, "label"),
    ):
        response = post_form(admin, url, **data)
        assert response.status_code == 400, url
        assert reason in response.get_data(as_text=True)
    assert admin.get("/admin/vocabularios/nonsense").status_code == 404
    assert admin.get("/admin/vocabularios/termino/999").status_code == 404
    assert post_form(admin, "/admin/vocabularios/termino/999/estado").status_code == 404
    assert list(_terms(app, "place")) == ["Explanada"]


def test_caption_templates_pages_and_preview(app: Flask) -> None:
    admin = signed_in(app, "admin")
    body = "{fotografo} / {evento}, {lugar}."
    assert post_form(admin, "/admin/plantillas", name="Evento", body=body).status_code == 302
    bad = post_form(admin, "/admin/plantillas", name="Mala", body="Foto en {lugr}")
    assert bad.status_code == 400 and "{lugr}" in bad.get_data(as_text=True)
    with ctx_of(app).catalog.read() as session:
        template_id = session.query(CaptionTemplate).one().id
    page = admin.get(f"/admin/plantillas/{template_id}").get_data(as_text=True)
    assert "Ana Peña / Inauguración del mercado, Santa Cruz Meyehualco." in page  # preview
    preview = post_form(admin, "/admin/plantillas/vista-previa", body="{evento} 🎉").json
    assert preview == {"preview": "Inauguración del mercado 🎉"}
    unknown = post_form(admin, "/admin/plantillas/vista-previa", body="{nada}").json
    assert "{nada}" in unknown["error"]
    saved = post_form(admin, f"/admin/plantillas/{template_id}", name="Evento", body="{evento}")
    assert saved.status_code == 302
    photographer = signed_in(app, "fotografa")
    assert photographer.get("/api/v1/plantillas").json == [
        {"id": template_id, "name": "Evento", "body": "{evento}"}]
    assert post_form(admin, f"/admin/plantillas/{template_id}/borrar").status_code == 302
    assert photographer.get("/api/v1/plantillas").json == []
    assert admin.get(f"/admin/plantillas/{template_id}").status_code == 404


def test_suggestions_and_codes_api(app: Flask) -> None:
    admin = signed_in(app, "admin")
    post_form(admin, "/admin/vocabularios/colonia/importar",
          terms="San Lorenzo Tezonco,slt\nTezonco Norte\nIztapalapa Centro\n")
    post_form(admin, "/admin/vocabularios/place", label="Cabeza de Juárez", code="cb")
    photographer = signed_in(app, "fotografa")
    assert photographer.get("/api/v1/vocabulario/colonia?q=tezonco").json == [
        "Tezonco Norte", "San Lorenzo Tezonco"]
    assert photographer.get("/api/v1/vocabulario/colonia?q=IZTAPA").json == ["Iztapalapa Centro"]
    assert photographer.get("/api/v1/vocabulario/colonia?q=t&limit=1").json == ["Tezonco Norte"]
    assert photographer.get("/api/v1/vocabulario/nonsense?q=a").status_code == 404
    assert photographer.get("/api/v1/codigos").json == {"slt": "San Lorenzo Tezonco",
                                                        "cb": "Cabeza de Juárez"}
    press = signed_in(app, "prensa")
    assert press.get("/api/v1/codigos").status_code == 403
    assert app.test_client().get("/api/v1/vocabulario/colonia?q=a").status_code == 401


def test_admin_pages_are_for_admins_only(app: Flask) -> None:
    for name in ("editora", "fotografa", "prensa"):
        client = signed_in(app, name)
        for path in ("/admin/vocabularios", "/admin/vocabularios/colonia", "/admin/plantillas"):
            assert client.get(path).status_code == 403, (name, path)
        assert post_form(client, "/admin/vocabularios/area", label="Colada").status_code == 403
        assert post_form(client, "/admin/plantillas", name="x", body="{evento}").status_code == 403
    assert _terms(app, "area") == {}
