"""Browsing, the asset page, downloads and rendition serving, the search page, escaping."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from dam.catalog import BatchInfo
from dam.models import Asset, Rendition
from ingest.metadata import extract_metadata
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, add_photos, ctx_of, login, state_of

EVIL = '<script>alert("x")</script> Inauguración del <b>mercado</b>'


def _signed_in(app: Flask, name: str = "prensa"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, name)
    return client


def _set_caption(app: Flask, asset_id: int, caption: str) -> None:
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, asset_id).caption = caption
        record_fixture_writes(session)


def test_browse_grid_pages_by_key(app: Flask, tmp_path: Path) -> None:
    archive = add_photos(app, tmp_path / "g", count=5)
    client = _signed_in(app)
    from web import browse

    browse.PER_PAGE, saved = 2, browse.PER_PAGE
    try:
        first = client.get("/")
        ids = [int(i) for i in re.findall(r'href="/material/(\d+)"', first.text)]
        assert ids == sorted(archive.asset_ids, reverse=True)[:2]  # newest first
        older = re.search(r'href="/\?antes=(\d+)"', first.text).group(1)
        second = client.get(f"/?antes={older}")
        ids2 = [int(i) for i in re.findall(r'href="/material/(\d+)"', second.text)]
        assert ids2 == sorted(archive.asset_ids, reverse=True)[2:4]
    finally:
        browse.PER_PAGE = saved
    assert 'alt="foto_0.jpg"' in client.get("/").text or "foto_" in client.get("/").text


def test_timeline_events_and_photographers(app: Flask, archive: Archive) -> None:
    client = _signed_in(app)
    timeline = client.get("/cronologia")
    assert "2025" in timeline.text and "marzo" in timeline.text
    month = client.get("/cronologia/2025/3")
    assert month.status_code == 200 and "3 materiales" in month.text
    assert client.get("/cronologia/2025/13").status_code == 404
    events = client.get("/eventos")
    assert "Inauguración del mercado" in events.text
    event = client.get("/evento?nombre=Inauguración del mercado")
    assert event.status_code == 200 and len(re.findall(r'class="cell', event.text)) == 3
    assert client.get("/evento?nombre=No existe").status_code == 404
    assert "Ana Peña" in client.get("/fotografos").text
    recent = client.get("/fotografo?nombre=Ana Peña")
    assert recent.status_code == 200 and "Subidas recientes de" in recent.text


def test_asset_page_shows_metadata_and_escapes_captions(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    _set_caption(app, asset_id, EVIL)
    client = _signed_in(app)
    page = client.get(f"/material/{asset_id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert f'alt="{EVIL}"' not in page.text
    assert "19.357400, -99.067100" in page.text
    assert "openstreetmap.org/?mlat=19.3574&amp;mlon=-99.0671" in page.text
    assert "Canon EOS R6" in page.text and "Más de este evento" in page.text
    with ctx_of(app).catalog.read() as session:
        assert session.get(Asset, asset_id).sha256 in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/material/999999").status_code == 404


def test_press_jpeg_carries_caption_credit_and_copyright(app: Flask, archive: Archive,
                                                          tmp_path: Path) -> None:
    asset_id = archive.asset_ids[0]
    _set_caption(app, asset_id, "Inauguración del mercado <b>remodelado</b>")
    client = _signed_in(app)
    response = client.get(f"/material/{asset_id}/jpeg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "foto_0-prensa.jpg" in response.headers["Content-Disposition"]
    path = tmp_path / "prensa.jpg"
    path.write_bytes(response.data)
    meta = extract_metadata(path, "image/jpeg")
    assert meta.caption == "Inauguración del mercado <b>remodelado</b>"
    assert meta.credit == "Foto: Ana Peña / Alcaldía Iztapalapa"
    assert meta.copyright_notice == "© 2025 Alcaldía Iztapalapa" and meta.creator == "Ana Peña"


def test_original_download_supports_ranges(app: Flask, archive: Archive) -> None:
    client = _signed_in(app)
    asset_id = archive.asset_ids[0]
    with client.get(f"/material/{asset_id}/original") as full:
        assert full.status_code == 200
        assert 'filename=foto_0.jpg' in full.headers["Content-Disposition"]
        body = full.data
    with client.get(f"/material/{asset_id}/original", headers={"Range": "bytes=10-19"}) as part:
        assert part.status_code == 206 and part.data == body[10:20]


def test_renditions_are_immutable_cached_and_conditional(app: Flask, archive: Archive) -> None:
    client = _signed_in(app)
    with ctx_of(app).catalog.read() as session:
        thumb = session.query(Rendition).filter_by(asset_id=archive.asset_ids[0],
                                                   kind="thumbnail").one()
        key = thumb.key
    with client.get(f"/files/{key}?v=1") as first:
        assert first.status_code == 200 and first.mimetype == "image/jpeg"
        assert first.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        etag = first.headers["ETag"]
    with client.get(f"/files/{key}?v=1", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get(f"/files/{key}", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and len(part.data) == 100
    for bad in ("../../etc/passwd", "renditions/../originals/x", "originals/zz/yy/abc",
                f"{key}/extra", "renditions/00/00/" + "0" * 64 + "/thumbnail.jpg"):
        with client.get(f"/files/{bad}") as response:
            assert response.status_code == 404, bad


def test_search_page_facets_chips_and_did_you_mean(app: Flask, tmp_path: Path) -> None:
    add_photos(app, tmp_path / "a", count=2)
    other = BatchInfo(event="Jornada de bacheo", area="Dirección General de Servicios Urbanos",
                      place="Ermita", photographer="Héctor Ramírez")
    add_photos(app, tmp_path / "b", count=2, info=other, gps=None)
    client = _signed_in(app)
    page = client.get("/buscar?q=inauguracion")
    assert page.status_code == 200 and "2 resultados" in page.text
    assert "Dirección General de Obras" in page.text  # a facet value in the sidebar
    filtered = client.get("/buscar?q=&area=Dirección General de Servicios Urbanos")
    assert "2 resultados" in filtered.text
    assert 'aria-label="Quitar filtro Área: Dirección General de Servicios Urbanos"' \
        in filtered.text
    typo = client.get("/buscar?q=bacheoo")
    assert "bacheo" in typo.text and ("Quiso decir" in typo.text or "se muestran" in typo.text)
    bad = client.get('/buscar?q="sin cerrar')
    assert bad.status_code == 400 and "No se entendió" in bad.text
    shared = client.get("/buscar?q=mercado&tipo=photo&orden=taken_asc&pagina=1")
    assert shared.status_code == 200 and "Tomadas más antiguas" in shared.text


def test_english_is_selectable(app: Flask, archive: Archive) -> None:
    client = _signed_in(app)
    from tests.web.conftest import csrf

    response = client.post("/idioma", data={"lang": "en", "next": "/cronologia",
                                            "csrf_token": csrf(client)})
    assert response.headers["Location"] == "/cronologia"
    page = client.get("/cronologia")
    assert '<html lang="en">' in page.text and "Timeline" in page.text and "March" in page.text
    assert client.post("/idioma", data={"lang": "xx", "csrf_token": csrf(client)}
                       ).status_code == 400


def test_search_while_another_process_rebuilds_the_index_says_so(
    app: Flask, archive: Archive, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    import dam.search.service as service_module

    search = state_of(app).search
    search.close()
    shutil.rmtree(search.location.root)  # the index is gone, and another process rebuilds it
    monkeypatch.setattr(service_module, "REBUILD_WAIT_SECONDS", 0.2)
    client = _signed_in(app)
    with search.location.rebuild_lock():
        page = client.get("/buscar?q=inauguracion")
        assert page.status_code == 503 and "el índice se está reconstruyendo" in page.text
        assert "No se entendió" not in page.text
        api = client.get("/api/v1/search?q=inauguracion")
        assert api.status_code == 503 and api.json["error"] == "search_unavailable"
    assert client.get("/buscar?q=inauguracion").status_code == 200  # this process rebuilds it


def test_search_filters_by_culling_marks(app: Flask, archive: Archive) -> None:
    """The picks of an event, one click away in the sidebar, and bookmarkable."""
    first, second, third = archive.asset_ids
    with ctx_of(app).catalog.write() as session:
        for asset_id, (rating, pick) in zip(archive.asset_ids, [(4, 1), (1, 1), (0, -1)],
                                            strict=True):
            asset = session.get(Asset, asset_id)
            asset.rating, asset.cull_mark = rating, pick
        record_fixture_writes(session)
    state_of(app).search.sync()
    client = _signed_in(app)
    page = client.get("/buscar?q=inauguracion").text
    assert "<summary>Selección</summary>" in page and "Elegida</a>" in page
    picked = client.get("/buscar?q=inauguracion&seleccion=elegida").text
    assert "2 resultados" in picked and f"/material/{third}\"" not in picked
    assert "Selección: Elegida" in picked  # the removable chip
    best = client.get("/buscar?q=seleccion:elegida estrellas:3").text
    assert "1 resultado" in best and f"/material/{first}\"" in best
    api = client.get("/api/v1/search?q=inauguracion&estrellas=1").json
    assert {h["id"] for h in api["hits"]} == {first, second}


def test_search_results_mark_the_words_that_matched(app: Flask, archive: Archive) -> None:
    first = archive.asset_ids[0]
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, first).caption = (
            "Inauguración del mercado <script>alert(1)</script> en Santa Cruz Meyehualco")
        record_fixture_writes(session)
    state_of(app).search.sync()
    client = _signed_in(app)
    page = client.get("/buscar?q=inauguracion meyehualco").text
    assert "<mark>Inauguración</mark> del mercado &lt;script&gt;alert(1)&lt;/script&gt; en " \
        "Santa Cruz <mark>Meyehualco</mark>" in page
    assert "<script>alert(1)</script>" not in page
    negated = client.get("/buscar?q=mercado -bacheo").text
    assert "<mark>mercado</mark>" in negated and "<mark>bacheo</mark>" not in negated
    assert "<mark>" not in client.get("/buscar?q=tipo:foto").text  # filters alone mark nothing
    api = client.get("/api/v1/search?q=meyehualco").json
    marked = {h["id"]: h["highlight"] for h in api["hits"]}
    assert marked[first] == [  # plain text for scripts: the JSON escapes "<" as \u003c
        ["Inauguración del mercado <script>alert(1)</script> en Santa Cruz ", False],
        ["Meyehualco", True]]


def test_select_all_results_of_a_search(app: Flask, archive: Archive, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every result, not only this page's, can go into the selection (up to a limit)."""
    from web import listing, search

    client = _signed_in(app, "editora")  # press staff read and download: no selection bar
    every = client.get("/buscar/todos.json?q=inauguracion").json
    assert sorted(every["ids"]) == sorted(archive.asset_ids)
    assert every["total"] == 3 and every["capped"] is False
    assert "data-select-every" not in client.get("/buscar?q=inauguracion").text  # one page
    monkeypatch.setattr(listing, "PER_PAGE", 2)
    page = client.get("/buscar?q=inauguracion&tipo=photo").text
    assert "Seleccionar los 3 resultados" in page
    assert 'data-url="/buscar/todos.json?q=inauguracion&amp;tipo=photo"' in page
    monkeypatch.setattr(search, "SELECT_ALL_LIMIT", 2)
    capped = client.get("/buscar/todos.json?q=inauguracion").json
    assert len(capped["ids"]) == 2 and capped["capped"] is True
    assert client.get('/buscar/todos.json?q="sin cerrar').status_code == 400
    anonymous = app.test_client().get("/buscar/todos.json?q=inauguracion")
    assert anonymous.status_code in (302, 401, 404)
