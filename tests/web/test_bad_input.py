"""Bad input is refused plainly: ids past 64 bits, queries nested too deep or too long."""

from __future__ import annotations

from flask import Flask

from tests.web.conftest import Archive, csrf, signed_in

HUGE = (str(2**64), str(10**30), str(2**63))


def test_path_ids_past_64_bits_are_not_found(app: Flask, archive: Archive) -> None:
    editor = signed_in(app, "editora")
    for number in (*HUGE, "0"):
        for path in (f"/material/{number}", f"/api/v1/assets/{number}",
                     f"/colecciones/{number}", f"/cargas/{number}",
                     f"/material/{number}/original"):
            assert editor.get(path).status_code == 404, path
    assert editor.get(f"/material/{2**63 - 1}").status_code == 404  # the largest id: none
    assert editor.get(f"/material/{archive.asset_ids[0]}").status_code == 200


def test_query_string_numbers_past_64_bits_fall_back(app: Flask, archive: Archive) -> None:
    editor = signed_in(app, "editora")
    for number in (*HUGE, "-1", "\u00b2"):
        assert editor.get(f"/?antes={number}").status_code == 200
        assert editor.get(f"/colecciones?antes={number}").status_code == 200
        assert editor.get(f"/buscar?q=mercado&pagina={number}").status_code == 200
        listed = editor.get(f"/api/v1/assets?before={number}&limit={number}")
        assert listed.status_code == 200 and listed.json["items"]
        found = editor.get(f"/api/v1/search?q=mercado&page={number}&per_page={number}")
        assert found.status_code in (200, 400)


def test_json_ids_past_64_bits_are_400_with_a_reason(app: Flask, archive: Archive) -> None:
    editor = signed_in(app, "editora")
    headers = {"X-CSRF-Token": csrf(editor)}
    operations = [{"field": "keywords", "op": "add", "value": ["mercado"]}]
    for bad in (2**64, 10**30, -1, 0, True, "12", 1.5):
        edited = editor.post("/api/v1/batch-edits", headers=headers,
                             json={"asset_ids": [archive.asset_ids[0], bad],
                                   "operations": operations})
        assert edited.status_code == 400, bad
        assert edited.json["error"] == "invalid" and "asset_ids" in edited.json["message"]
        upload = editor.post("/api/v1/uploads", headers=headers,
                             json={"batch_id": bad, "filename": "a.jpg", "size": 10})
        assert upload.status_code == 400 and "batch_id" in upload.json["message"], bad
    loupe = editor.get(f"/seleccion/lupa?ids={archive.asset_ids[0]},{2**64}")
    assert loupe.status_code == 400
    retried = editor.post("/colecciones/agregar", data={
        "csrf_token": csrf(editor), "asset_id": str(2**64), "collection_id": "1"})
    assert retried.status_code == 400


def test_a_query_nested_hundreds_deep_is_too_complex(app: Flask, archive: Archive) -> None:
    deep = "(" * 300 + "mercado" + ")" * 300
    editor = signed_in(app, "editora")
    page = editor.get("/buscar", query_string={"q": deep})
    assert page.status_code == 400 and "demasiado compleja" in page.text
    api = editor.get("/api/v1/search", query_string={"q": deep})
    assert api.status_code == 400 and api.json["error"] == "query"
    assert "demasiado compleja" in api.json["message"]
    assert editor.get("/buscar/todos.json", query_string={"q": deep}).status_code == 400
    assert editor.get("/seleccion/lupa", query_string={"source": f"search:{deep}"}
                      ).status_code == 400


def test_long_queries_and_control_characters(app: Flask, archive: Archive) -> None:
    editor = signed_in(app, "editora")
    api = editor.get("/api/v1/search", query_string={"q": "mercado " * 400})
    assert api.status_code == 400 and "demasiado larga" in api.json["message"]
    for query in ("merca\x00do", "\u202emercado", "mercado\r\n", "\U0001f4f7"):
        assert editor.get("/buscar", query_string={"q": query}).status_code == 200
        assert editor.get("/api/v1/search", query_string={"q": query}).status_code == 200
