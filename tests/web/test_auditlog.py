"""The bitácora page for admins: filters, paging, one entry, and the CSV export."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient

from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role
from tests.web.conftest import ctx_of, login
from web import auditlog

EDITOR = Actor(2, "editora", Role.EDITOR)
ADMIN = Actor(1, "admin", Role.ADMIN)


def _admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "admin")
    return client


def _record(app: Flask, *entries: tuple[Actor, str, dict[str, object]]) -> list[int]:
    with ctx_of(app).catalog.write() as session:
        made = [audit.record(session, actor, action, **kw) for actor, action, kw in entries]
        session.flush()
        return [e.id for e in made]


def test_filters_show_matching_entries_newest_first(app: Flask) -> None:
    ids = _record(
        app,
        (EDITOR, "edit", {"asset_id": 5, "field": "caption", "old": "Pie viejo",
                          "new": "Pie nuevo: mercado"}),
        (ADMIN, "state", {"asset_id": 5, "field": "workflow_state", "old": "draft",
                          "new": "approved"}),
        (EDITOR, "collection_add", {"asset_id": 6, "collection_id": 3}),
        (EDITOR, "edit", {"asset_id": 6, "field": "keywords", "old": ["a"], "new": ["a", "b"]}),
    )
    client = _admin(app)

    def shown(query: str) -> list[int]:
        page = client.get(f"/admin/bitacora{query}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        return [i for i in reversed(ids) if f"/admin/bitacora/{i}\"" in html]

    assert shown("") == list(reversed(ids))
    assert shown("?usuario=editora") == [ids[3], ids[2], ids[0]]
    assert shown("?accion=edit&material=6") == [ids[3]]
    assert shown("?campo=workflow_state") == [ids[1]]
    assert shown("?texto=MERCADO") == [ids[0]]
    assert shown("?desde=2000-01-01&hasta=2000-12-31") == []
    html = client.get("/admin/bitacora?material=6").get_data(as_text=True)
    assert 'href="/material/6"' in html
    change = ('<span class="change-old" dir="auto">a</span><span class="change-arrow" '
              'aria-hidden="true">→</span>')
    assert change in html and '<span class="new" dir="auto">a, b</span>' in html
    for bad in ("?material=seis", "?desde=ayer", "?antes=x"):
        assert client.get(f"/admin/bitacora{bad}").status_code == 400


def test_paging_by_id_with_older_links(app: Flask) -> None:
    ids = _record(app, *[(EDITOR, "edit", {"asset_id": 1, "field": "headline", "new": f"t{i}"})
                         for i in range(auditlog.PAGE + 5)])
    client = _admin(app)
    first = client.get("/admin/bitacora?accion=edit").get_data(as_text=True)
    assert f'/admin/bitacora/{ids[-1]}"' in first and f'/admin/bitacora/{ids[4]}"' not in first
    older = f"/admin/bitacora?accion=edit&amp;antes={ids[5]}"
    assert older in first
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert [i for i in ids if f'/admin/bitacora/{i}"' in second] == ids[:5]
    assert 'rel="next"' not in second


def test_values_are_escaped_and_shortened_and_the_entry_shows_them_in_full(app: Flask) -> None:
    long_caption = "<script>alert(1)</script> مرحبا 🎉 " + "x" * 50_000
    [entry_id] = _record(app, (EDITOR, "edit", {"asset_id": 9, "field": "caption",
                                                "old": None, "new": long_caption}))
    client = _admin(app)
    listing = client.get("/admin/bitacora").get_data(as_text=True)
    assert "<script>alert" not in listing and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    assert "x" * 100 not in listing and "…" in listing
    full = client.get(f"/admin/bitacora/{entry_id}").get_data(as_text=True)
    assert "x" * 50_000 in full and "مرحبا 🎉" in full and "<script>alert" not in full
    assert client.get("/admin/bitacora/999999").status_code == 404


def test_csv_export_is_filtered_and_guards_against_formulas(app: Flask) -> None:
    _record(
        app,
        (EDITOR, "edit", {"asset_id": 4, "field": "caption", "old": "=HYPERLINK(\"x\")",
                          "new": "+52 55 1234"}),
        (EDITOR, "edit", {"asset_id": 4, "field": "keywords", "old": ["@usuario"],
                          "new": "<b>Peña</b>, Iztapalapa"}),
        (ADMIN, "cull", {"asset_id": 4, "field": "cull_mark", "old": 0, "new": -1}),
        (ADMIN, "state", {"asset_id": 8, "field": "workflow_state"}),
    )
    response = _admin(app).get("/admin/bitacora.csv?material=4")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["field"] for r in rows] == ["cull_mark", "keywords", "caption"]
    by_field = {r["field"]: r for r in rows}
    assert by_field["caption"]["old"] == "'=HYPERLINK(\"x\")"
    assert by_field["caption"]["new"] == "'+52 55 1234"
    assert by_field["keywords"]["old"] == "'@usuario"
    assert by_field["keywords"]["new"] == "<b>Peña</b>, Iztapalapa"  # CSV is data, not HTML
    assert (by_field["cull_mark"]["old"], by_field["cull_mark"]["new"]) == ("0", "'-1")
    assert by_field["caption"]["user"] == "editora" and by_field["caption"]["asset_id"] == "4"


def test_csv_streams_every_matching_entry(app: Flask) -> None:
    count = auditlog.CSV_CHUNK + 7
    _record(app, *[(EDITOR, "download", {"asset_id": i}) for i in range(count)])
    text = _admin(app).get("/admin/bitacora.csv?accion=download").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == count and len({r["id"] for r in rows}) == count


def test_the_log_is_for_admins_only(app: Flask) -> None:
    for name in ("editora", "fotografa", "prensa"):
        client = app.test_client()
        login(client, name)
        for path in ("/admin/bitacora", "/admin/bitacora.csv", "/admin/bitacora/1"):
            assert client.get(path).status_code == 403, (name, path)
    assert "/entrar" in app.test_client().get("/admin/bitacora").headers["Location"]
