"""The grid of thumbnails (web/grid_html.py): what a cell says, in Spanish first, escaped; and a
search reads OCR pages only for material OCR may have read."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import Flask, g
from sqlalchemy import event, update

from dam.curation.actor import Actor
from dam.curation.edits import edit_asset
from dam.enums import OcrState, Role
from dam.models import Asset, OcrPage
from dam.search.highlight import Fragment
from tests.web.conftest import add_photos, ctx_of, signed_in, state_of
from web.accounts import CurrentUser
from web.facet_text import FacetText
from web.ocr_view import PageHit
from web.queries import GridItem, RenditionRef

EDITOR = Actor(None, "editora", Role.EDITOR)
HOSTILE = '<script>alert("x")</script> & "comillas"'


def _item(asset_id: int, **fields: object) -> GridItem:
    values: dict[str, object] = {
        "media_type": "photo", "state": "ready", "title": f"Foto {asset_id}", "caption": None,
        "error": None, "taken_at": None, "event": None, "creator": None, "duration": None,
        "thumb": RenditionRef(f"renditions/aa/bb/{asset_id}/thumbnail.jpg", 17, 400, 267,
                              "image/jpeg")}
    values.update(fields)
    return GridItem(asset_id, **values)  # type: ignore[arg-type]


def _render(app: Flask, items: list[GridItem], role: Role = Role.EDITOR, **options: object
            ) -> str:
    with app.test_request_context("/"):
        g.user = CurrentUser(id=1, username="editora", display_name="Editora", role=role,
                             epoch=0, locale="es_MX")
        template = app.jinja_env.from_string(
            '{% from "_macros.html" import grid %}{{ grid(items, **options) }}')
        return template.render(items=items, options=options)


def _cells(html: str) -> list[str]:
    return re.findall(r'<li class="cell".*?</li>', html, re.S)


def test_a_cell_escapes_what_people_typed_and_names_its_badges_in_spanish(app: Flask) -> None:
    items = [
        _item(1, title=HOSTILE, color="#a0b0c0"),
        _item(2, media_type="video", duration=65.4, workflow="approved"),
        _item(3, media_type="document", pages=7, thumb=None),
        _item(4, state="failed", error="archivo dañado", thumb=None),
    ]
    html = _render(app, items, selectable=True)
    hostile, video, document, failed = _cells(html)
    assert "<script>" not in html
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;comillas&#34;"
    assert f'alt="{escaped}"' in hostile
    assert f'aria-label="Seleccionar: {escaped}"' in hostile
    assert f'<span class="caption">{escaped}</span>' in hostile
    assert 'data-w="400" data-h="267" data-color="#a0b0c0"' in hostile
    assert 'src="/files/renditions/aa/bb/1/thumbnail.jpg?v=17"' in hostile
    assert 'href="/material/1"' in hostile
    assert "ico-play" in video and ">1:05</span>" in video
    assert '<span class="badge state-approved">Aprobado para publicación</span>' in video
    assert "PDF · 7 páginas" in document and "Publicación</span>" in document  # no thumbnail
    assert '<span class="badge badge-failed">Falló</span>' in failed
    assert '<span class="error-text">El procesamiento falló</span>' in failed
    assert 'data-context="lista:1,2,3,4"' in html


def test_press_staff_get_no_checkboxes_and_an_empty_grid_says_so(app: Flask) -> None:
    assert 'type="checkbox"' not in _render(app, [_item(1)], role=Role.VIEWER, selectable=True)
    assert "Todavía no hay material aquí." in _render(app, [])
    assert "Nada coincide &lt;aquí&gt;" in _render(app, [], empty="Nada coincide <aquí>")
    assert "data-context" not in _render(app, [_item(1)], context=False)


def test_a_dated_grid_heads_each_capture_day_once(app: Flask) -> None:
    day = dt.datetime(2025, 3, 1, 10, 5)
    items = [_item(1, taken_at=day), _item(2, taken_at=day.replace(hour=18)),
             _item(3, taken_at=day + dt.timedelta(days=1)), _item(4)]
    html = _render(app, items, dated=True)
    heads = re.findall(r'<h2 class="date-title">(.*?)</h2>', html)
    assert heads == ["sábado, 1 de marzo de 2025", "domingo, 2 de marzo de 2025", "Sin fecha"]
    assert '<time datetime="2025-03-01T18:05:00">' in html


def test_search_hits_are_marked_and_an_ocr_hit_opens_its_page(app: Flask) -> None:
    hit = PageHit(3, "/material/2?pagina=3&q=mercado#pagina-3",
                  [Fragment("en el "), Fragment("Mercado", hit=True), Fragment(" <nuevo>")])
    html = _render(app, [_item(1), _item(2)],
                   snippets={1: [Fragment("la "), Fragment("mercado", hit=True)]}, pages={2: hit})
    first, second = _cells(html)
    assert '<span class="info always">' in first and "la <mark>mercado</mark>" in first
    assert 'href="/material/2?pagina=3&amp;q=mercado#pagina-3"' in second
    assert '<strong class="page-hit">página 3</strong> en el <mark>Mercado</mark> &lt;nuevo&gt;' \
        in second


def test_a_search_reads_ocr_pages_only_for_printed_matter(app: Flask, tmp_path: Path) -> None:
    """Photos are not read by OCR unless marked as printed matter (a poster): a search whose
    results are only photos asks nothing of the OCR pages; a poster's OCR hit names its page."""
    ctx = ctx_of(app)
    poster, photo = add_photos(app, tmp_path, count=2).asset_ids
    with ctx.catalog.write() as session:
        for asset_id in (poster, photo):
            version = session.get(Asset, asset_id).edit_version
            edit_asset(session, EDITOR, asset_id, {"caption": "Cartel de vacunación"}, version)
    client = signed_in(app, "editora")
    statements: list[str] = []

    def log(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engines = {ctx.catalog.engine, ctx.catalog.glance_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", log)
    try:
        state_of(app).search.sync()
        html = client.get("/buscar?q=vacunacion").get_data(as_text=True)
        assert f'href="/material/{photo}"' in html and "page-hit" not in html
        assert not [s for s in statements if "ocr_pages" in s]

        with ctx.catalog.write() as session:
            version = session.get(Asset, poster).edit_version
            edit_asset(session, EDITOR, poster, {"publication_kind": "poster"}, version)
            session.execute(update(OcrPage).where(OcrPage.asset_id == poster).values(
                state=OcrState.DONE, text="Jornada de vacunación en Xalpa"))
        state_of(app).search.sync()
        statements.clear()
        html = client.get("/buscar?q=vacunacion").get_data(as_text=True)
        assert f'href="/material/{poster}?pagina=1&amp;q=vacunacion#pagina-1"' in html
        assert "Jornada de <mark>vacunación</mark> en Xalpa" in html
        assert len([s for s in statements if "ocr_pages" in s]) == 1
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", log)


def test_the_sidebar_names_facet_values_as_the_office_does(app: Flask) -> None:
    with app.test_request_context("/"):
        g.user = CurrentUser(id=1, username="editora", display_name="Editora",
                             role=Role.EDITOR, epoch=0, locale="es_MX")
        names = FacetText()
        assert names.value("pubkind", "recorte") == "Nota de prensa (recorte)"
        assert names.value("pick", "elegida") == "Elegida"
        assert names.value("type", "document") == "Publicación"
        assert [names.value("stars", v) for v in ("0", "1", "4")] == [
            "Sin estrellas", "1 estrella o más", "4 estrellas o más"]
        assert names.value("area", "Dirección General de Obras") == "Dirección General de Obras"
        assert names.value("tone", "desconocido") == "desconocido"
