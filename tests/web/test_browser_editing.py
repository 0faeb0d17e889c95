"""In Debian's Chromium: an editor selects three thumbnails and batch-edits them in one go.

Runs against a real `dam serve`; the screenshot of the batch edit form is kept under
tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.context import open_context
from dam.db import Catalog
from dam.enums import Role
from dam.models import Asset, CaptionTemplate
from ingest.batching import ingest_paths
from tests.conftest import make_settings
from tests.media import make_photo
from tests.web.live import LiveServer, chromium_page, start_server
from tests.web.test_browser import CHROMIUM, shot
from web.accounts import create_user

PASSWORD = "clave-de-editora-2025"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    base = tmp_path / "site"
    live = start_server(base, workers=1)
    yield live, base
    live.stop()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    with chromium_page() as opened:  # the page's real Content-Security-Policy stays on
        yield opened


def _prepare(base: Path, tmp_path: Path) -> list[int]:
    """An editor, a caption template and three photos (processed by the server's worker)."""
    ctx = open_context(make_settings(base))
    try:
        create_user(ctx.catalog, "editora", Role.EDITOR, password=PASSWORD,
                    display_name="Editora")
        with ctx.catalog.write() as session:
            session.add(CaptionTemplate(name="Crédito y evento",
                                        body="{fotografo} / {evento}, {lugar}, {fecha}."))
        photos = [make_photo(tmp_path / f"feria_{i}.jpg", (800, 600), seed=60 + i)
                  for i in range(3)]
        info = BatchInfo(event="Feria de la salud", place="Colonia Reforma Política",
                         photographer="Luis Gómez")
        report = ingest_paths(ctx, photos, info)
        return [r.asset_id for r in report.results if r.asset_id]
    finally:
        ctx.close()


def _sign_in_as_editor(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/entrar")
    page.get_by_label("Usuario").fill("editora")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(url + "/")


def _catalog_state(base: Path, ids: list[int]) -> list[tuple[list[str], str | None]]:
    catalog = Catalog(make_settings(base).catalog_url)
    try:
        with catalog.read() as session:
            rows = session.execute(select(Asset.keywords, Asset.caption)
                                   .where(Asset.id.in_(ids)).order_by(Asset.id))
            return [(list(k or []), c) for k, c in rows]
    finally:
        catalog.dispose()


def test_select_three_thumbnails_and_batch_edit_them(site, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, base = site
    ids = _prepare(base, tmp_path)
    assert len(ids) == 3
    _sign_in_as_editor(page, server.url)
    for _ in range(90):  # the worker makes the thumbnails
        if page.locator(".grid .cell img").count() == 3:
            break
        page.wait_for_timeout(1000)
        page.reload()
    boxes = page.locator('.grid input[form="selection-form"]')
    assert boxes.count() == 3
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])  # a range: the middle one too
    page.wait_for_function(
        "document.querySelectorAll('input[form=\"selection-form\"]:checked').length === 3")
    assert "3" in page.inner_text("[data-selection-count]")
    shot(page, "seleccion-en-la-reticula")
    page.locator('#selection-form button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/seleccion/editar\?.*"))
    page.select_option("#op_keywords", "add")
    page.fill("#value_keywords", "salud, vacunación")
    page.select_option("#template_id", label="Crédito y evento")
    assert page.input_value("#op_caption") == "template"
    shot(page, "edicion-por-lote")
    page.locator('form.batch-edit button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/ediciones/\d+.*"))
    shot(page, "edicion-por-lote-hecha")
    for keywords, caption in _catalog_state(base, ids):
        assert keywords[-2:] == ["salud", "vacunación"]
        assert caption == ("Luis Gómez / Feria de la salud, Colonia Reforma Política, "
                           "14 de marzo de 2025.")  # the day the camera recorded


def test_the_selection_is_kept_across_pages_and_grids(site, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An editor picks from two searches, then edits everything picked in one go."""
    server, base = site
    ctx = open_context(make_settings(base))
    try:
        create_user(ctx.catalog, "editora", Role.EDITOR, password=PASSWORD)
        ids = []
        for event, seed in (("Feria de la salud", 70), ("Jornada de bacheo", 80)):
            photos = [make_photo(tmp_path / f"{seed}_{i}.jpg", (640, 480), seed=seed + i)
                      for i in range(2)]
            report = ingest_paths(ctx, photos, BatchInfo(event=event, photographer="Luis Gómez"))
            ids += [r.asset_id for r in report.results if r.asset_id]
    finally:
        ctx.close()
    _sign_in_as_editor(page, server.url)

    def search(words: str) -> None:
        for _ in range(60):  # the server's index follows the catalog within a second or so
            page.goto(f"{server.url}/buscar?q={words}")
            if page.locator('.grid input[form="selection-form"]').count() == 2:
                return
            page.wait_for_timeout(500)
        raise AssertionError(f"no results for {words}")

    search("salud")
    page.locator('.grid input[form="selection-form"]').first.click()  # the bar appears
    page.get_by_role("button", name="Seleccionar todo en esta página").click()
    assert page.inner_text("[data-selection-count]") == "2 materiales seleccionados."
    search("bacheo")  # another search: what was picked there is still picked
    count = page.inner_text("[data-selection-count]")
    assert count.startswith("2 materiales seleccionados.")
    assert "2 de ellos en otras páginas" in count
    page.locator('.grid input[form="selection-form"]').first.click()
    assert page.inner_text("[data-selection-count]").startswith("3 materiales seleccionados.")
    search("salud")
    assert page.locator('.grid input[form="selection-form"]:checked').count() == 2  # restored
    page.locator('#selection-form button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/seleccion/editar\?.*"))
    sent = sorted(int(v) for v in re.findall(r"asset_id=(\d+)", page.url))
    assert len(sent) == 3 and set(sent) <= set(ids)
    page.select_option("#op_keywords", "add")
    page.fill("#value_keywords", "selección entre páginas")
    page.locator('form.batch-edit button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/ediciones/\d+.*"))
    tagged = [i for i, (keywords, _c) in zip(ids, _catalog_state(base, ids), strict=True)
              if "selección entre páginas" in keywords]
    assert sorted(tagged) == sent
    search("salud")  # applied: the selection starts afresh
    assert page.inner_text("[data-selection-count]") == "Ningún material seleccionado."


def test_select_every_result_of_a_search_beyond_the_page(site, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """62 results, 60 on a page: one click takes all 62 into the selection."""
    server, base = site
    ctx = open_context(make_settings(base))
    try:
        create_user(ctx.catalog, "editora", Role.EDITOR, password=PASSWORD)
        photos = [make_photo(tmp_path / f"t_{i}.jpg", (64, 48), seed=i) for i in range(62)]
        report = ingest_paths(ctx, photos, BatchInfo(event="Tianguis navideño"))
        assert len([r for r in report.results if r.asset_id]) == 62
    finally:
        ctx.close()
    _sign_in_as_editor(page, server.url)
    for _ in range(60):  # the index follows the catalog
        page.goto(f"{server.url}/buscar?q=tianguis")
        if "62 resultados" in page.inner_text("h1.count-line"):
            break
        page.wait_for_timeout(500)
    assert page.locator('.grid input[form="selection-form"]').count() == 60
    assert page.locator("#selection-form").is_hidden()  # nothing selected: no toolbar
    page.locator('.grid input[form="selection-form"]').first.click()
    page.get_by_role("button", name="Seleccionar los 62 resultados").click()
    for _ in range(100):  # polled from here: the page's CSP forbids evaluated predicates
        if page.inner_text("[data-selection-count]").startswith("62 "):
            break
        page.wait_for_timeout(100)
    count = page.inner_text("[data-selection-count]")
    assert count.startswith("62 materiales seleccionados.") and "2 de ellos en otras" in count
    assert page.locator('.grid input[form="selection-form"]:checked').count() == 60
