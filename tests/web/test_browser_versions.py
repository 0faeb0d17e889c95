"""The Versions tab in Debian's Chromium, on a desktop and a phone: the list, the download and
restore buttons and the replace form are readable, fit the screen, and pass axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media import make_photo
from tests.web.live import CHROMIUM, LiveServer, chromium_page, run_dam, start_server
from tests.web.test_browser import ADMIN_PASSWORD
from tests.web.test_browser_ui import serious_violations, shot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path / "site", workers=1, env={"DAM_ADMIN_PASSWORD": ADMIN_PASSWORD})
    yield live
    live.stop()


def _sign_in(page, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/entrar")
    page.get_by_label("Usuario").fill("admin")
    page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(server.url + "/")


def test_versions_tab_on_desktop_and_phone(server: LiveServer, tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = make_photo(tmp_path / "IMG_0001.jpg", (1600, 1067), seed=3)
    edit = make_photo(tmp_path / "IMG_0001_color_corregido.jpg", (1600, 1067), seed=4)
    assert run_dam(site, "ingest", str(first), "--event", "Jornada de salud",
                   "--process").wait(timeout=180) == 0
    assert run_dam(site, "replace", "1", str(edit), "--reason",
                   "Color corregido a pedido de la dirección").wait(timeout=120) == 0
    for name, options in (("escritorio", {}), ("movil", PHONE)):
        with chromium_page(bypass_csp=True, **options) as page:
            _sign_in(page, server)
            page.goto(server.url + "/material/1#versiones")
            panel = page.locator("#panel-versions")
            panel.get_by_text("Versión 2").wait_for()
            assert panel.get_by_text("Color corregido a pedido de la dirección").is_visible()
            assert panel.get_by_role("button", name="Restaurar esta versión").is_visible()
            assert panel.get_by_role("button", name="Reemplazar archivo").is_visible()
            assert panel.get_by_role("link", name="Descargar esta versión").count() == 2
            shot(page, f"versiones-{name}")
            assert page.evaluate(FITS), f"{name}: the page scrolls sideways"
            assert serious_violations(page) == []
