"""The shell, the justified grid, the selection bar per role, the asset page's keys, axe-core and
the weight budget, in Debian's Chromium against one live server shared by the module.

Screenshots of every main page at 1366x900 and 390x844 land in tests/artifacts/ (ui-*.png).
"""

from __future__ import annotations

import gzip
import re
import shutil
import sqlite3
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.media import make_photo
from tests.web.live import ARGS, CHROMIUM, LiveServer, run_dam, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PASSWORD = "clave-de-prueba-2025"
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
BUDGET = 100_000  # bytes of gzip-compressed CSS and JS a page may link
# Staff pages every signed-in admin sees, by name for the screenshots.
STAFF_PAGES = {
    "recientes": "/", "cronologia": "/cronologia", "eventos": "/eventos",
    "fotografos": "/fotografos", "colecciones": "/colecciones", "buscar": "/buscar?q=mercado",
    "buscar-vacio": "/buscar?q=zzzqqq", "subir": "/subir", "cargas": "/cargas",
    "consentimientos": "/consentimientos", "publicacion": "/publicacion",
    "cuentas": "/admin/usuarios", "cola": "/admin/cola", "bitacora": "/admin/bitacora",
    "publicaciones": "/publicaciones", "serie": "/publicaciones/serie?nombre=Gaceta+Iztapalapa",
    "notas-de-prensa": "/notas-de-prensa", "nota-web": "/notas-de-prensa/nota-web",
    "importar-hoja": "/admin/importar-hoja",
    "papelera": "/papelera",
}


def _run(base: Path, *args: str) -> None:
    assert run_dam(base, *args, env={"DAM_ADMIN_PASSWORD": PASSWORD}).wait(timeout=300) == 0, args


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("ui-site")
    cards = base / "tarjeta"
    cards.mkdir()
    for name in ("london-srgb.jpg", "tokyo-gps.jpg", "waterfall-orientation-6.jpg", "park.png"):
        shutil.copy(FIXTURES / "photos" / name, cards / name)
    shapes = [(1200, 800), (800, 1200), (1600, 600), (1080, 1440), (1200, 900), (900, 900)]
    for i, size in enumerate(shapes * 2):
        day = 14 + i % 2
        make_photo(cards / f"mercado_{i:02}.jpg", size, seed=10 + i,
                   taken=f"2025:03:{day} {9 + i % 8:02}:15:00")
    shutil.copy(FIXTURES / "video" / "fade_rotated.mp4", cards / "recorrido.mp4")
    shutil.copy(FIXTURES / "pdf" / "pdflatex-4-pages.pdf", cards / "gaceta.pdf")
    _run(base, "init")
    _run(base, "ingest", str(cards), "--event", "Inauguración del mercado", "--photographer",
         "Ana Peña", "--caption", "Inauguración del mercado de Santa Cruz Meyehualco",
         "--process", "--no-progress")
    catalogue = base / "catalogo.csv"  # the gazette's series and a screenshot as a clipping
    catalogue.write_text(
        "archivo,serie,numero,publication_kind,medio,tono,distribution_date\n"
        "gaceta.pdf,Gaceta Iztapalapa,3,bulletin,,,2025-03-01\n"
        "park.png,,,clipping,Reforma,negative,2025-03-20\n", encoding="utf-8")
    _run(base, "import", "sheet", str(catalogue))
    _trash_one(base)
    _run(base, "user", "admin", "--role", "admin", "--password", PASSWORD)
    _run(base, "user", "fotografa", "--role", "photographer", "--password", PASSWORD)
    _run(base, "user", "editora", "--role", "editor", "--password", PASSWORD)
    live = start_server(base, workers=1, env={"DAM_ADMIN_PASSWORD": PASSWORD})
    yield live
    live.stop()


def _trash_one(base: Path) -> None:
    """One more photo, in the trash: the Papelera has a row to show (hidden everywhere else)."""
    extra = base / "descarte"
    extra.mkdir()
    make_photo(extra / "descartada.jpg", (1200, 800), seed=99)
    _run(base, "ingest", str(extra), "--event", "Descartes", "--process", "--no-progress")
    with sqlite3.connect(base / "var" / "catalog.sqlite3") as db:
        (asset_id,) = db.execute(
            "SELECT id FROM assets WHERE original_filename = 'descartada.jpg'").fetchone()
    _run(base, "trash", str(asset_id))


def _sign_in(page: Any, server: LiveServer, user: str = "admin") -> None:
    page.goto(server.url + "/entrar")
    page.get_by_label("Usuario").fill(user)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(server.url + "/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module (Playwright's sync API allows one driver at a time)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=ARGS)
        yield launched
        launched.close()


@contextmanager
def chromium_page(browser: Any, **options: Any) -> Iterator[Any]:
    """A fresh context (cookies, viewport) in Spanish; bypass_csp lets axe-core run."""
    context = browser.new_context(**{"locale": "es-MX", "bypass_csp": True, **options})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def admin(server: LiveServer, browser: Any) -> Iterator[Any]:
    with chromium_page(browser, **DESKTOP) as page:
        _sign_in(page, server)
        yield page


def shot(page: Any, name: str) -> None:
    """A full-page screenshot once every picture has arrived (lazy ones too)."""
    page.evaluate("document.querySelectorAll('img[loading=lazy]')"
                  ".forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def page_weight(page: Any) -> int:
    """Bytes of the page's linked CSS and JS, each gzip-compressed."""
    urls = page.evaluate("""() => [
        ...Array.from(document.querySelectorAll('link[rel=stylesheet]')).map(l => l.href),
        ...Array.from(document.querySelectorAll('script[src]')).map(s => s.src)]""")
    total = 0
    for url in set(urls):
        with urllib.request.urlopen(url, timeout=10) as response:
            total += len(gzip.compress(response.read(), 9))
    return total


def test_every_main_page_has_the_shell_passes_axe_and_stays_light(server: LiveServer,
                                                                 admin: Any) -> None:
    weights = {}
    for name, path in STAFF_PAGES.items():
        admin.goto(server.url + path)
        assert admin.locator("header.top #q-top").count() == 1, name  # search always there
        assert admin.locator("nav#sidebar").is_visible(), name
        shot(admin, f"{name}-1366")
        assert serious_violations(admin) == [], name
        weights[name] = page_weight(admin)
        assert weights[name] < BUDGET, (name, weights[name])
    print("CSS+JS gzip bytes per page:", weights)
    groups = admin.locator("#sidebar .nav-group").all_inner_texts()
    assert [g.strip().lower() for g in groups] == ["explorar", "trabajo", "publicar",
                                                    "administración"]
    admin.goto(server.url + "/")
    for _ in range(3):  # skip link, brand, search: each shows where the keyboard is
        admin.keyboard.press("Tab")
        outline = admin.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), admin.evaluate("document.activeElement.outerHTML")


def test_the_sidebar_offers_only_what_the_role_may_open(server: LiveServer, browser: Any) -> None:
    with chromium_page(browser, **DESKTOP) as page:
        _sign_in(page, server, "fotografa")
        links = page.locator("#sidebar a").evaluate_all("els => els.map(e => e.href)")
        groups = [g.strip().lower() for g in page.locator("#sidebar .nav-group").all_inner_texts()]
        assert groups == ["explorar", "trabajo"]
        for href in links:
            assert page.request.get(href).status == 200, href  # nothing offered ends in 403


def test_a_phone_gets_a_menu_and_every_page_fits(server: LiveServer, browser: Any) -> None:
    with chromium_page(browser, **PHONE) as page:
        _sign_in(page, server)
        for name, path in STAFF_PAGES.items():
            page.goto(server.url + path)
            shot(page, f"{name}-390")
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], (name, width)
        assert not page.locator("#sidebar").is_visible() or page.evaluate(
            "document.getElementById('sidebar').getBoundingClientRect().right <= 0")
        page.get_by_role("button", name="Menú").click()
        page.locator("#sidebar a[href='/cronologia']").wait_for(state="visible")
        page.wait_for_timeout(300)
        shot(page, "menu-390")
        page.keyboard.press("Escape")
        assert page.get_by_role("button", name="Menú").get_attribute("aria-expanded") == "false"
        page.goto(server.url + "/")
        page.locator(".cell[data-w='300'][data-h='400'] a").first.click()
        page.wait_for_url(re.compile(r".*/material/\d+"))
        shot(page, "material-390")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], ("material", width)


def test_the_grid_keeps_every_pictures_shape_in_full_rows(server: LiveServer, admin: Any) -> None:
    admin.goto(server.url + "/")
    cells = admin.evaluate("""() => Array.from(document.querySelectorAll('.grid .cell[data-w]'))
        .map(c => { const r = c.getBoundingClientRect(); const i = c.querySelector('img');
                    return {top: Math.round(r.top), left: r.left, right: r.right, w: r.width,
                            h: r.height, ratio: c.dataset.w / c.dataset.h,
                            iw: i.getBoundingClientRect().width}; })""")
    assert len(cells) >= 15
    for c in cells:  # no square crops: the cell has the thumbnail's own shape (within 2 px)
        assert abs(c["w"] - c["ratio"] * c["h"]) <= 2, c
    rows: dict[int, list[dict]] = {}
    for c in cells:
        rows.setdefault(c["top"], []).append(c)
    full = list(rows.values())[:-1]
    assert len(full) >= 2
    grid = admin.evaluate("document.querySelector('.grid').getBoundingClientRect().right")
    for row in full:  # justified: every row but the last ends at the grid's right edge
        assert abs(max(c["right"] for c in row) - grid) <= 6, row
    assert len({round(c["h"]) for c in cells}) > 1  # rows differ in height, not in crops


def test_search_by_date_has_day_headings_and_badges(server: LiveServer, admin: Any) -> None:
    admin.goto(server.url + "/buscar?q=mercado&orden=taken_asc")
    heads = admin.locator(".grid .date-head").all_inner_texts()
    assert sum("de marzo de 2025" in h for h in heads) == 2, heads  # the two days of the event
    admin.goto(server.url + "/")
    badges = " ".join(admin.locator(".cell .badges").all_inner_texts())
    assert re.search(r"\d:\d\d", badges), badges  # the video's running time
    assert "PDF · 4 páginas" in badges


def _selection_buttons(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#selection-form button:visible").all_inner_texts()]


def test_the_selection_bar_appears_when_needed_with_the_roles_actions(server: LiveServer,
                                                                    browser: Any) -> None:
    with chromium_page(browser, **DESKTOP) as page:
        _sign_in(page, server, "fotografa")
        page.goto(server.url + "/")
        bar = page.locator("#selection-form")
        assert bar.is_hidden()  # nothing selected: no toolbar
        boxes = page.locator(".grid input.select")
        boxes.nth(0).check()
        assert bar.is_visible()
        assert "1 material seleccionado" in bar.inner_text()
        boxes.nth(4).click(modifiers=["Shift"])  # a range
        assert "5 materiales seleccionados" in bar.inner_text()
        shot(page, "seleccion-1366")
        buttons = _selection_buttons(page)
        assert "Agregar a la colección" not in buttons  # photographers may not (it would be 403)
        states = page.locator("#selection-state option").all_inner_texts()
        assert states == ["Revisado"], states
        page.keyboard.press("Escape")
        assert bar.is_hidden()
        page.locator("main h1").click()
        page.keyboard.press("Control+a")
        total = page.locator(".grid input.select").count()
        assert f"{total} materiales seleccionados" in bar.inner_text()
        page.keyboard.press("Escape")
    with chromium_page(browser, **DESKTOP) as page:
        _sign_in(page, server, "editora")
        page.goto(server.url + "/")
        page.locator(".grid input.select").nth(0).check()
        assert "Agregar a la colección" in _selection_buttons(page)
        page.keyboard.press("Escape")


def test_the_asset_page_walks_its_list_with_the_arrow_keys(server: LiveServer,
                                                           admin: Any) -> None:
    admin.goto(server.url + "/buscar?q=mercado&orden=taken_asc")
    hrefs = admin.locator(".hits .cell a").evaluate_all("els => els.map(e => e.href)")
    admin.locator(".hits .cell a").nth(1).click()
    admin.wait_for_url(re.compile(r".*/material/\d+\?en="))
    first = admin.url
    shot(admin, "material-1366")
    assert serious_violations(admin) == []
    admin.keyboard.press("ArrowRight")
    admin.wait_for_url(lambda url: url != first)
    assert admin.url.split("?")[0] == hrefs[2].split("?")[0]
    admin.keyboard.press("ArrowLeft")
    admin.wait_for_url(lambda url: url.split("?")[0] == first.split("?")[0])
    tabs = admin.get_by_role("tab").all_inner_texts()
    assert tabs[:3] == ["Información", "Derechos", "Historial"], tabs


def test_a_portrait_picture_is_never_squashed(server: LiveServer, admin: Any) -> None:
    admin.goto(server.url + "/")
    admin.locator(".cell[data-w='300'][data-h='400'] a").first.click()  # a portrait photo
    admin.wait_for_url(re.compile(r".*/material/\d+"))
    box = admin.evaluate("""() => { const i = document.getElementById('preview');
        const r = i.getBoundingClientRect();
        return [r.width, r.height, i.naturalWidth, i.naturalHeight]; }""")
    assert abs(box[0] / box[1] - box[2] / box[3]) < 0.02, box
    assert box[1] <= 900
    tabs = admin.get_by_role("tab").all_inner_texts()
    assert tabs == ["Información", "Derechos", "Historial", "Versiones", "Redes"], tabs
    admin.get_by_role("tab", name="Redes").focus()
    admin.keyboard.press("ArrowLeft")  # the tabs follow the arrow keys
    assert admin.get_by_role("tab", name="Versiones").get_attribute("aria-selected") == "true"
    admin.keyboard.press("ArrowLeft")
    assert admin.get_by_role("tab", name="Historial").get_attribute("aria-selected") == "true"
    admin.locator("#panel-history li, #panel-history p.muted").first.wait_for()
    admin.get_by_role("tab", name="Redes").click()
    admin.locator("#panel-social [data-social]").wait_for()  # loaded when opened
    shot(admin, "material-redes-1366")
    assert serious_violations(admin) == []


def test_public_pages_are_clean_and_accessible(server: LiveServer, admin: Any,
                                               browser: Any) -> None:
    admin.goto(server.url + "/")
    token = admin.locator("meta[name=csrf-token]").get_attribute("content")
    asset_id = admin.locator(".cell[data-w='400'][data-h='300'] input.select").first.get_attribute(
        "value")
    for state in ("reviewed", "approved", "published"):
        admin.request.post(server.url + "/seleccion/estado", form={
            "csrf_token": token, "state": state, "asset_id": asset_id, "next": "/"})
    for name, options in (("1366", DESKTOP), ("390", PHONE)):
        with chromium_page(browser, **options) as page:
            for label, path in (("entrar", "/entrar"), ("publico", f"/material/{asset_id}")):
                assert page.goto(server.url + path).status == 200, path
                shot(page, f"{label}-{name}")
                assert serious_violations(page) == [], path
                width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                assert width[0] <= width[1], (path, width)
            assert page.locator("#sidebar").count() == 0  # no staff navigation for the public
