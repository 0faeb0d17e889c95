"""The staff map: positions of the current search's matches, tiles from the configured host."""

from __future__ import annotations

from flask import Flask

from dam.models import Asset
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, ctx_of, signed_in


def test_the_map_shows_the_positions_of_the_search(app: Flask, archive: Archive) -> None:
    with ctx_of(app).catalog.write() as session:  # one photo without a position
        asset = session.get(Asset, archive.asset_ids[2])
        asset.gps_latitude = asset.gps_longitude = None
        record_fixture_writes(session)
    press = signed_in(app, "prensa")
    page = press.get("/mapa?q=mercado&pagina=3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-points="/mapa/puntos.json?q=mercado"' in html
    assert "vendor/leaflet/leaflet.js" in html and "unpkg" not in html
    assert "https://tile.openstreetmap.org" in page.headers["Content-Security-Policy"]
    data = press.get("/mapa/puntos.json?q=mercado").get_json()
    assert sorted(p[0] for p in data["points"]) == archive.asset_ids[:2]
    assert data["points"][0][1:3] == [19.3574, -99.0671]
    assert press.get("/mapa/puntos.json?q=ningunacoincidencia").get_json()["points"] == []
    assert len(press.get("/mapa/puntos.json").get_json()["points"]) == 2  # the whole archive
    assert "/mapa?q=mercado" in press.get("/buscar?q=mercado").get_data(as_text=True)


def test_the_map_is_for_staff_only(app: Flask, archive: Archive) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/mapa").status_code == 302
    assert anonymous.get("/mapa/puntos.json").status_code == 302
