"""In Debian's Chromium (issue 16): a share link opened by an anonymous journalist, a saved
search, a batch's capture time corrected and undone, and the map with tiles from a local stub.

One live `dam serve` for the module; screenshots at 1366x900 and 390x844 go to tests/artifacts/.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from dam.catalog import BatchInfo
from dam.context import open_context
from dam.db import Catalog
from dam.enums import AssetState, Role, WorkflowState
from dam.models import Asset, AuditEntry, ShareLink
from ingest.batching import ingest_paths
from tests.changefeed_check import record_fixture_writes
from tests.conftest import make_settings
from tests.media import make_photo
from tests.web.live import LiveServer, chromium_page, start_server
from tests.web.test_browser import CHROMIUM, shot
from web.accounts import create_user

PASSWORD = "clave-de-editora-2025"
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TAKEN = dt.datetime(2025, 3, 14, 11, 30)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]


@dataclass
class TileStub:
    """A tiny tile server: one grey PNG for any /z/x/y.png, and the paths asked for."""

    url: str
    paths: list[str] = field(default_factory=list)


def _tile_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (226, 229, 222)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileStub]:
    png = _tile_png()
    stub = TileStub("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            stub.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    class Quiet(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # the browser drops tiles it no longer needs: broken pipes are expected

    server = Quiet(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


@dataclass
class Site:
    server: LiveServer
    base: Path
    ids: list[int]
    batch_id: int

    def catalog(self) -> Catalog:
        return Catalog(make_settings(self.base).catalog_url)


def _prepare(base: Path, folder: Path) -> tuple[list[int], int]:
    """An editor and four photos of a market with positions (processed by the server)."""
    ctx = open_context(make_settings(base))
    try:
        create_user(ctx.catalog, "editora", Role.EDITOR, password=PASSWORD,
                    display_name="Editora")
        photos = [make_photo(folder / f"tianguis_{i}.jpg", (1200, 800), seed=90 + i,
                             gps=(19.3574 + i * 0.002, -99.0671 + i * 0.003)) for i in range(4)]
        info = BatchInfo(event="Tianguis de Santa Cruz Meyehualco", place="Iztapalapa",
                         photographer="Ana Peña", area="Comunicación Social")
        report = ingest_paths(ctx, photos, info)
        return [r.asset_id for r in report.results if r.asset_id], report.batch_id
    finally:
        ctx.close()


def _wait_processed(site: Site) -> None:
    catalog = site.catalog()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with catalog.read() as session:
                ready = session.scalar(select(func.count(Asset.id)).where(
                    Asset.state == AssetState.READY))
            if ready == len(site.ids):
                break
            time.sleep(0.3)
        with catalog.write() as session:  # three approved photos, one still a draft
            for asset_id in site.ids[:3]:
                asset = session.get(Asset, asset_id)
                asset.workflow_state = WorkflowState.APPROVED
                asset.headline = f"Tianguis, puesto {asset_id}"
                asset.caption = ("Comerciantes del tianguis de Santa Cruz Meyehualco instalan "
                                 "sus puestos por la mañana.")
            record_fixture_writes(session)
    finally:
        catalog.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tiles: TileStub) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("features") / "site"
    live = start_server(base, workers=1, env={
        "DAM_MAP_TILE_URL": tiles.url + "/{z}/{x}/{y}.png"})
    ids, batch_id = _prepare(base, tmp_path_factory.mktemp("fotos"))
    found = Site(live, base, ids, batch_id)
    _wait_processed(found)
    yield found
    live.stop()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    with chromium_page(viewport=WIDE) as opened:  # the page's real Content-Security-Policy
        yield opened


def _sign_in(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/entrar")
    page.get_by_label("Usuario").fill("editora")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(url + "/")


def _wait_until(page, script: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """Poll ``script`` from Python (the page's CSP forbids the eval wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"timed out waiting for {script}"
        time.sleep(0.1)


def _accessible(page, whole: bool) -> None:  # type: ignore[no-untyped-def]
    """No serious or critical axe-core violation (staff pages: in <main>, the shell is shared)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=None if whole else {"include": [["main"]]})
    bad = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: {bad}"


def _both_sizes(page, name: str, *, whole: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(WIDE)
    _accessible(page, whole)
    shot(page, f"{name}-1366")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-390")
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size(WIDE)
    assert fits, f"{name} is wider than a phone"


def _count(site: Site, action: str) -> int:
    catalog = site.catalog()
    try:
        with catalog.read() as session:
            return session.scalar(select(func.count(AuditEntry.id)).where(
                AuditEntry.action == action)) or 0
    finally:
        catalog.dispose()


def _make_link(page, site: Site, title: str) -> str:  # type: ignore[no-untyped-def]
    """The editor selects every photo of the search and shares them; the link's address."""
    page.goto(site.server.url + "/buscar?q=tianguis")
    for box in page.locator("input.select").all():
        box.check()
    page.get_by_role("button", name="Compartir con un enlace").click()
    page.wait_for_url("**/compartir/nuevo?**")
    page.get_by_label("Título").fill(title)
    page.get_by_label("Mensaje para quien lo recibe (opcional)").fill(
        "Fotos del tianguis para la nota de mañana. Crédito: Ana Peña / Alcaldía Iztapalapa.")
    page.get_by_label("Marca de agua en los JPEG para prensa (opcional)").fill("PRENSA")
    page.get_by_role("button", name="Crear el enlace").click()
    return page.locator("[data-share-url]").input_value()


def test_a_journalist_opens_a_share_link_without_signing_in(site: Site, page) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, site.server.url)
    link = _make_link(page, site, "Tianguis de Santa Cruz Meyehualco")
    shot(page, "compartir-enlace-listo-1366")
    browser = page.context.browser
    journalist = browser.new_context(locale="es-MX", viewport=WIDE).new_page()
    try:
        journalist.goto(link)
        _wait_until(journalist,
            "[...document.querySelectorAll('.share-thumb img')].every(i => i.complete "
            "&& i.naturalWidth > 0)")
        assert journalist.locator(".share-item").count() == 3  # the draft never appears
        assert journalist.get_by_text("Descargar todo (ZIP)").is_visible()
        _both_sizes(journalist, "compartir-destinatario", whole=True)
        before = _count(site, "share_download")
        with journalist.expect_download() as download:
            journalist.locator(".share-download").first.click()
        assert download.value.suggested_filename.endswith(".jpg")
        deadline = time.monotonic() + 10
        while _count(site, "share_download") == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _count(site, "share_download") == before + 1  # audited

        page.goto(site.server.url + "/compartidos")
        row = page.locator("tr", has_text="Tianguis de Santa Cruz Meyehualco")
        assert row.locator("td.num").nth(1).inner_text() == "1"  # one download counted
        shot(page, "compartidos-1366")
        row.get_by_role("button", name="Revocar").click()
        page.get_by_text("ya no abre").wait_for()
        journalist.goto(link)
        assert journalist.get_by_role("heading", name="Enlace no disponible").is_visible()
        assert journalist.get_by_text("retiró el enlace").is_visible()
        _both_sizes(journalist, "compartir-revocado", whole=True)

        expired = _make_link(page, site, "Enlace que vence")
        catalog = site.catalog()
        try:
            with catalog.write() as session:
                share = session.scalars(select(ShareLink).where(
                    ShareLink.title == "Enlace que vence")).one()
                share.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
                record_fixture_writes(session)
        finally:
            catalog.dispose()
        response = journalist.goto(expired)
        assert response is not None and response.status == 404
        assert journalist.get_by_text("Este enlace venció").is_visible()
    finally:
        journalist.context.close()


def test_a_saved_search(site: Site, page) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, site.server.url)
    page.goto(site.server.url + "/buscar?q=tianguis")
    page.get_by_text("Guardar búsqueda").click()
    page.get_by_label("Nombre").fill("Tianguis de Iztapalapa")
    page.get_by_label("Compartir con el equipo").check()
    page.get_by_role("button", name="Guardar", exact=True).click()
    page.wait_for_url("**/busquedas-guardadas")
    saved = page.get_by_role("link", name="Tianguis de Iztapalapa")
    saved.wait_for()
    _both_sizes(page, "busquedas-guardadas")
    saved.click()
    page.wait_for_url("**/buscar?q=tianguis")


def test_a_batch_capture_time_is_corrected_and_undone(site: Site, page) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, site.server.url)
    page.goto(f"{site.server.url}/cargas/{site.batch_id}")
    page.get_by_role("link", name="Corregir la hora de captura").click()
    page.locator("#shift-sign").select_option("-")
    page.get_by_label("Horas").fill("1")
    page.locator("#shift-offset").get_by_role("button", name="Vista previa").click()
    page.get_by_text("2025-03-14 10:30:00").first.wait_for()
    _both_sizes(page, "corregir-hora")
    page.get_by_role("button", name="Aplicar la corrección").click()
    page.get_by_role("heading", name="Hora de captura corregida").wait_for()
    assert _taken(site) == {TAKEN - dt.timedelta(hours=1)}
    page.get_by_role("button", name="Deshacer la corrección").click()
    page.get_by_role("heading", name="Corrección deshecha").wait_for()
    assert _taken(site) == {TAKEN}


def _taken(site: Site) -> set[dt.datetime]:
    catalog = site.catalog()
    try:
        with catalog.read() as session:
            return {t.replace(tzinfo=None) for t in session.scalars(
                select(Asset.taken_at).where(Asset.id.in_(site.ids)))}
    finally:
        catalog.dispose()


def test_the_map_clusters_the_search_with_tiles_from_the_stub(site: Site, page,  # type: ignore[no-untyped-def]
                                                              tiles: TileStub) -> None:
    _sign_in(page, site.server.url)
    page.goto(site.server.url + "/buscar?q=tianguis")
    page.get_by_role("link", name="Ver en el mapa").click()
    page.wait_for_url("**/mapa?q=tianguis")
    _wait_until(page, "document.querySelector('[data-map]').dataset.count === '4'")
    _wait_until(page, "[...document.querySelectorAll('.leaflet-tile')].some("
                           "t => t.complete && t.naturalWidth === 256)")
    assert tiles.paths and all(p.endswith(".png") for p in tiles.paths)
    assert page.locator(".leaflet-marker-icon").count() >= 1
    assert page.get_by_text("4 materiales con ubicación.").is_visible()
    _both_sizes(page, "mapa")
    for _ in range(6):  # farther out, the four positions gather in one cluster
        page.get_by_role("button", name="Alejar").click()
        time.sleep(0.4)  # the zoom animates: a click during it is dropped
    page.locator(".marker-cluster", has_text="4").wait_for()
    shot(page, "mapa-agrupado-1366")
