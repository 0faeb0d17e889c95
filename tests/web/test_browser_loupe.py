"""Culling in the loupe in Debian's Chromium: keys move and mark, the catalog keeps the marks.

Runs against a real `dam serve`; a screenshot of the loupe is kept under tests/artifacts/, and
how long a mark takes from key press to saved is logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dam.db import Catalog
from dam.enums import AssetState
from dam.models import Asset
from tests.media import make_photo
from tests.web.live import LiveServer, chromium_page, run_dam, start_server
from tests.web.test_browser import ADMIN_PASSWORD, ARTIFACTS, CHROMIUM

log = logging.getLogger(__name__)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]
PHOTOS = 5


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path / "site", workers=1,
                        env={"DAM_ADMIN_PASSWORD": ADMIN_PASSWORD})
    yield live
    live.stop()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    with chromium_page() as opened:  # the page's real Content-Security-Policy stays on
        yield opened


def _catalog(base: Path) -> Catalog:
    return Catalog(f"sqlite:///{base / 'var' / 'catalog.sqlite3'}")


def _ingest_batch(base: Path, folder: Path) -> list[int]:
    """Five photos taken a minute apart, as one batch; waits until the workers made previews."""
    folder.mkdir(parents=True)
    for i in range(PHOTOS):
        make_photo(folder / f"jornada_{i}.jpg", (1200, 800), seed=60 + i,
                   taken=f"2025:03:14 11:{30 + i}:00")
    assert run_dam(base, "ingest", str(folder), "--event", "Jornada de salud",
                   "--no-progress").wait(timeout=120) == 0
    catalog = _catalog(base)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with catalog.read() as session:
                rows = session.query(Asset.id, Asset.state).order_by(Asset.taken_at).all()
            if len(rows) == PHOTOS and all(s == AssetState.READY for _, s in rows):
                return [asset_id for asset_id, _ in rows]
            time.sleep(0.5)
    finally:
        catalog.dispose()
    raise AssertionError(f"the photos were not processed in time: {rows}")


def _marks(base: Path) -> dict[int, tuple[int, int, str | None]]:
    catalog = _catalog(base)
    try:
        with catalog.read() as session:
            return {a.id: (a.rating, a.cull_mark, a.color_label)
                    for a in session.query(Asset)}
    finally:
        catalog.dispose()


def _press_and_time(page, key: str) -> float:  # type: ignore[no-untyped-def]
    """Press ``key`` and wait until the loupe says every mark is saved; milliseconds taken."""
    started = time.perf_counter()
    page.keyboard.press(key)
    _expect(page.locator("#loupe")).to_have_attribute("data-save-state", "saved")
    _expect(page.locator("#loupe")).to_have_attribute("data-pending", "0")
    return (time.perf_counter() - started) * 1000


def _expect(locator):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    return expect(locator)


def _counter(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#loupe-counter").inner_text()


def _a_failed_save_is_shown_and_retried(page) -> None:  # type: ignore[no-untyped-def]
    failures = []

    def fail_once(route) -> None:  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(route.request.url)
            route.fulfill(status=503, body="{}", content_type="application/json")
        else:
            route.continue_()

    page.route("**/marks", fail_once)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("2")
    _expect(page.locator("#loupe-save")).to_have_attribute("role", "alert")
    _expect(page.locator("#loupe")).to_have_attribute("data-save-state", "saved")
    assert len(failures) == 1
    page.unroute("**/marks")


def test_cull_a_batch_with_the_keyboard(server: LiveServer, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "site"
    ids = _ingest_batch(base, tmp_path / "tarjeta")
    page.goto(server.url + "/entrar")
    page.get_by_label("Usuario").fill("admin")
    page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(server.url + "/")

    page.goto(f"{server.url}/cargas/1")
    page.locator("a[href^='/seleccion/lupa?source=batch']").click()
    _expect(page.locator("#loupe")).to_have_attribute("data-save-state", "idle")
    assert _counter(page) == f"1 / {PHOTOS}"

    page.keyboard.press("ArrowRight")
    assert _counter(page) == f"2 / {PHOTOS}"
    timings = [_press_and_time(page, "5"), _press_and_time(page, "p")]
    page.keyboard.press("ArrowRight")
    timings += [_press_and_time(page, "x"), _press_and_time(page, "c")]
    assert _counter(page) == f"3 / {PHOTOS}"
    assert page.locator("#loupe-marks .color-chip").inner_text()  # the label is shown
    server_ms = page.locator("#loupe").get_attribute("data-last-save-ms")
    log.info("loupe: a mark takes %s ms from key press to saved (server round trip %s ms)",
                ", ".join(f"{t:.0f}" for t in timings), server_ms)

    marks = _marks(base)
    assert marks[ids[1]] == (5, 1, None)
    assert marks[ids[2]] == (0, -1, "red")
    assert all(marks[i] == (0, 0, None) for i in (ids[0], ids[3], ids[4]))

    assert f"start={ids[2]}" in page.url  # the position is in the URL...
    page.reload()
    _expect(page.locator("#loupe")).to_have_attribute("data-save-state", "idle")
    assert _counter(page) == f"3 / {PHOTOS}"  # ...so a reload stays on the same photo
    assert "jornada_2.jpg" in page.locator("#loupe-name").inner_text()
    # The next preview is loaded before the user moves to it.
    next_src = page.evaluate("JSON.parse(document.getElementById('loupe-data').textContent)"
                             ".items[3].src")
    for _ in range(50):
        if page.evaluate("src => performance.getEntriesByType('resource')"
                         ".some(e => e.name.endsWith(src))", next_src):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the next preview was not preloaded")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "07-lupa.png"))

    _a_failed_save_is_shown_and_retried(page)
    assert _marks(base)[ids[3]] == (2, 0, None)

    page.keyboard.press("f")  # only picked: the one picked photo
    page.wait_for_url(re.compile(r".*picks=picked.*"))
    _expect(page.locator("#loupe")).to_have_attribute("data-save-state", "idle")
    assert _counter(page) == "1 / 1"
    page.keyboard.press("?")
    assert page.locator("#loupe-help").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#loupe-help").is_hidden()
    page.keyboard.press("q")  # leaves to where the user came from
    page.wait_for_url(server.url + "/cargas/1")
