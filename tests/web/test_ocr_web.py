"""OCR in the web app: a search hit says "página N" and opens that page with the words boxed on
its preview; pages OCR is unsure of are flagged on the asset page and in a list for staff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from dam import queue
from dam.catalog import BatchInfo
from ingest.batching import ingest_paths
from ingest.ocr import tessdata_path
from ingest.pipeline import process_asset
from ingest.worker import run_job
from tests.scans import TEXT_A, TEXT_B, draw_page, save_pdf, soiled
from tests.web.conftest import ctx_of, signed_in, state_of


@pytest.fixture
def gaceta(app: Flask, tmp_path: Path) -> int:
    """A scanned gaceta read by OCR: page 1 soiled past reading, page 2 clean ("Peñón")."""
    try:
        tessdata_path()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(str(exc))
    ctx = ctx_of(app)
    pages = [soiled(draw_page(TEXT_B, size=(620, 874)), 0.15), draw_page(TEXT_A)]
    pdf = save_pdf(pages, tmp_path / "gaceta.pdf")
    asset_id = ingest_paths(ctx, [pdf], BatchInfo(event="Gaceta")).results[0].asset_id
    process_asset(ctx, asset_id)
    while (job := queue.claim(ctx.catalog, "prueba", 60)) is not None:
        run_job(ctx, job, "prueba")
    state_of(app).search.sync()
    return asset_id


def test_a_search_hit_in_ocr_text_names_its_page(app: Flask, gaceta: int) -> None:
    client = signed_in(app, "prensa")
    html = client.get("/buscar?q=penon").get_data(as_text=True)
    assert "página 2" in html
    link = f'/material/{gaceta}?pagina=2&amp;q=penon#pagina-2'
    assert link in html
    assert "<mark>Peñón</mark>" in html  # the page's words around the hit, accent as printed


def test_the_page_opens_with_the_words_boxed_on_its_preview(app: Flask, gaceta: int) -> None:
    client = signed_in(app, "prensa")
    html = client.get(f"/material/{gaceta}?pagina=2&q=penon+ninas").get_data(as_text=True)
    page = html[html.index('id="pagina-2"'):]
    page = page[:page.index("</li>")]
    svg = re.search(r'<svg class="ocr-marks"[^>]*aria-label="([^"]+)"', page)
    assert svg and "página 2" in svg.group(1)
    boxes = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"><title>([^<]+)',
                       page)
    # "ninas" finds "niñas" and, by its stem, "niños", as search does
    assert sorted(b[4].strip(".,") for b in boxes) == ["Peñón", "niñas", "niños"]
    for x, y, w, h, _word in boxes:
        assert 0 <= int(x) < 10_000 and 0 <= int(y) < 10_000 and int(w) > 0 and int(h) > 0
    assert '<svg class="ocr-marks"' not in html[:html.index('id="pagina-2"')]  # page 1: none
    assert "<mark>Peñón</mark>" in html and "<mark>niñas</mark>" in html  # the page's text


def test_unsure_pages_are_flagged_for_staff(app: Flask, gaceta: int) -> None:
    client = signed_in(app, "prensa")
    html = client.get(f"/material/{gaceta}").get_data(as_text=True)
    assert "Revisar OCR" in html
    assert f'/material/{gaceta}?pagina=1#pagina-1' in html
    listing = client.get("/ocr/revisar")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert f'href="/material/{gaceta}"' in text
    assert f'/material/{gaceta}?pagina=1#pagina-1' in text
    assert "No se reconocieron palabras" in text
    assert "pagina=2#" not in text  # the clean page is not listed
    assert app.test_client().get("/ocr/revisar").status_code == 302  # the public: sign in


def test_the_api_gives_the_page_of_a_hit_in_ocr_text(app: Flask, gaceta: int) -> None:
    client = signed_in(app, "prensa")
    found = client.get("/api/v1/search?q=Pe%C3%B1%C3%B3n").get_json()
    (hit,) = [h for h in found["hits"] if h["id"] == gaceta]
    assert hit["page"] == 2
    assert ["Peñón", True] in hit["page_highlight"]


HOSTILE = ["((((((((((((((((((((((a", "\x00\u202e", "a" * 5000, "fotografo:", "-penon", "pen*",
           '"del peñón"']


def test_hostile_words_never_break_the_page(app: Flask, gaceta: int) -> None:
    client = signed_in(app, "prensa")
    for query in HOSTILE:
        for pagina in ("2", "-1", "99999999999999999999999", "x"):
            response = client.get(f"/material/{gaceta}",
                                  query_string={"pagina": pagina, "q": query})
            assert response.status_code == 200, (query, pagina)
        assert client.get("/buscar", query_string={"q": query}).status_code in (200, 400)
