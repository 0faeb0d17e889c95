"""The JSON API: OpenAPI document, search, keyed asset pages, escaping, health."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from dam.models import Asset
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, add_photos, ctx_of, login


def _api(app: Flask, name: str = "prensa"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, name)
    return client


def test_openapi_document_lists_every_api_route(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.") and doc["components"]["securitySchemes"]["token"]
    api_rules = {r.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{")
                 .replace(">", "}") for r in app.url_map.iter_rules()
                 if r.rule.startswith("/api/v1")}
    assert api_rules == set(doc["paths"])


def test_search_and_asset_json(app: Flask, archive: Archive) -> None:
    client = _api(app)
    found = client.get("/api/v1/search?q=inauguracion&tipo=photo").json
    assert found["total"] == 3 and len(found["hits"]) == 3
    assert dict(found["facets"]["type"]) == {"photo": 3}
    hit = found["hits"][0]
    asset = client.get(hit["url"]).json
    assert asset["id"] == hit["id"] and asset["event"] == "Inauguración del mercado"
    assert {r["kind"] for r in asset["renditions"]} == {"thumbnail", "preview"}
    bad = client.get('/api/v1/search?q="sin cerrar')
    assert bad.status_code == 400 and bad.json["error"] == "query"
    assert client.get("/api/v1/assets/999999").status_code == 404


def test_asset_listing_follows_keys(app: Flask, tmp_path: Path) -> None:
    archive = add_photos(app, tmp_path / "k", count=5)
    client = _api(app)
    seen, url = [], "/api/v1/assets?limit=2"
    while url:
        page = client.get(url).json
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert seen == sorted(archive.asset_ids, reverse=True)


def test_json_never_carries_raw_markup(app: Flask, archive: Archive) -> None:
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, archive.asset_ids[0]).caption = "</script><img src=x onerror=alert(1)>"
        record_fixture_writes(session)
    client = _api(app)
    response = client.get(f"/api/v1/assets/{archive.asset_ids[0]}")
    assert b"<" not in response.data and b">" not in response.data
    assert response.json["caption"] == "</script><img src=x onerror=alert(1)>"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_api_routes_answer_json(app: Flask) -> None:
    client = _api(app)
    response = client.get("/api/v1/nada")
    assert response.status_code == 404 and response.json["error"] == "not_found"
    assert client.delete("/api/v1/batches").status_code == 405


def test_healthz_reports_each_part(app: Flask, archive: Archive) -> None:
    response = _api(app, "admin").get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"
    assert set(response.json["checks"]) == {"catalog", "store", "index", "queue", "disk",
                                          "fixity"}
    assert response.headers["X-Request-Id"]
    sent = app.test_client().get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert sent.headers["X-Request-Id"] == "abc-123"


def test_the_api_reference_page_lists_every_operation(app: Flask) -> None:
    page = app.test_client().get("/api/v1/docs")  # public, like the OpenAPI document
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    doc = app.test_client().get("/api/v1/openapi.json").json
    for path, methods in doc["paths"].items():
        for method in methods:
            assert f'id="{method}-{path.replace("/", "-").replace("{", "").replace("}", "")}"' \
                in html, (method, path)
    assert "/api/v1/uploads/{upload_id}/complete" in html
