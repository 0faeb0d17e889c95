"""On a phone (390x844, touch): a photographer signs in, uploads from the field, and every main page
fits the screen without sideways scrolling, in Debian's Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media import make_photo
from tests.web.live import CHROMIUM, LiveServer, chromium_page, start_server
from tests.web.test_browser import ADMIN_PASSWORD, shot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path / "site", workers=1, env={"DAM_ADMIN_PASSWORD": ADMIN_PASSWORD})
    yield live
    live.stop()


@pytest.fixture
def phone():  # type: ignore[no-untyped-def]
    with chromium_page(bypass_csp=True, **PHONE) as page:  # lets the test evaluate scripts
        yield page


def _fits(page, name: str) -> None:  # type: ignore[no-untyped-def]
    shot(page, f"movil-{name}")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert page.evaluate(FITS), f"{name}: the page is {width[0]} px wide on a {width[1]} px screen"


def test_a_phone_uploads_and_every_main_page_fits(server: LiveServer, phone,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    phone.goto(server.url + "/")
    _fits(phone, "entrar")
    phone.get_by_label("Usuario").fill("admin")
    phone.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    phone.get_by_role("button", name="Iniciar sesión").click()
    phone.wait_for_url(server.url + "/")

    phone.goto(server.url + "/subir")
    phone.get_by_label("Evento").fill("Recorrido de obra en la colonia Renovación")
    files = [str(make_photo(tmp_path / f"campo_{i}.jpg", (1600, 1200), seed=70 + i))
             for i in range(2)]
    phone.set_input_files("#files", files)
    _fits(phone, "subir")
    phone.get_by_role("button", name="Subir", exact=True).click()
    phone.locator("#batch-link").wait_for()
    phone.locator("#batch-link").click()
    phone.wait_for_function("document.querySelectorAll('#batch-files img').length === 2",
                            timeout=90_000)
    _fits(phone, "carga")

    phone.goto(server.url + "/")
    _fits(phone, "inicio")
    phone.goto(server.url + "/buscar?q=recorrido")
    phone.wait_for_function("document.querySelectorAll('.hits .cell').length === 2")
    _fits(phone, "buscar")
    phone.locator(".hits .cell a").first.click()
    phone.wait_for_url(re.compile(r".*/material/\d+(\?en=.*)?$"))  # the grid's list rides along
    _fits(phone, "material")
    phone.goto(phone.url.split("?")[0] + "/editar")
    _fits(phone, "editar")
