"""In Debian's Chromium (issue 20): a live `dam serve` whose worker finds the faces of corpus
photos; face boxes on hover, the Personas page, a group named from its page.

Screenshots at 1366x900 and 390x844 go to tests/artifacts/ (faces-*.png).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dam.catalog import BatchInfo
from dam.context import open_context
from dam.db import Catalog
from dam.enums import JobKind, JobState, Role
from dam.models import Face, Job
from ingest.batching import ingest_paths
from tests.conftest import CORPUS, make_settings
from tests.web.live import LiveServer, chromium_page, start_server
from tests.web.test_browser import CHROMIUM, shot
from tests.web.test_browser_features import PHONE, WIDE, _accessible, _sign_in
from web.accounts import create_user

PASSWORD = "clave-de-editora-2025"
FACES = CORPUS / "faces"
FILES = ("obama_and_biden.jpg", "obama.jpg", "biden.jpg")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.corpus,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium"),
    pytest.mark.skipif(not FACES.is_dir(), reason=f"the corpus is not at {FACES}"),
]


@dataclass
class Site:
    server: LiveServer
    base: Path
    ids: dict[str, int]

    def catalog(self) -> Catalog:
        return Catalog(make_settings(self.base).catalog_url)


def _wait_for_faces(site: Site) -> None:
    catalog = site.catalog()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with catalog.read() as session:
                waiting = session.scalar(select(func.count(Job.id)).where(
                    Job.kind.in_([JobKind.PROCESS_ASSET, JobKind.FIND_FACES]),
                    Job.state.in_([JobState.QUEUED, JobState.RUNNING])))
                faces = session.scalar(select(func.count(Face.id)))
            if waiting == 0 and faces:
                return
            time.sleep(0.3)
        raise AssertionError("the worker did not find the faces in time")
    finally:
        catalog.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("faces") / "site"
    live = start_server(base, workers=1, env={"DAM_FACES": "true"})
    ctx = open_context(make_settings(base))
    try:
        create_user(ctx.catalog, "editora", Role.ADMIN, password=PASSWORD,
                    display_name="Editora")
        report = ingest_paths(ctx, [FACES / name for name in FILES],
                              BatchInfo(event="Visita oficial", photographer="Ana Peña"))
        ids = {Path(r.source_path).name: r.asset_id for r in report.results}
    finally:
        ctx.close()
    found = Site(live, base, ids)  # type: ignore[arg-type]
    _wait_for_faces(found)
    yield found
    live.stop()


def _both_sizes(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Accessible, and a screenshot at each size (the phone's once the menu has slid away)."""
    page.set_viewport_size(WIDE)
    _accessible(page, False)
    shot(page, f"{name}-1366")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    shot(page, f"{name}-390")
    wide = page.evaluate("""[...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    page.set_viewport_size(WIDE)
    assert not wide, f"{name} is wider than a phone: {wide}"


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    with chromium_page(viewport=WIDE) as opened:
        yield opened


def test_faces_on_hover_people_page_and_naming(site: Site, page) -> None:  # type: ignore[no-untyped-def]
    url = site.server.url
    _sign_in(page, url)
    page.goto(f"{url}/material/{site.ids['obama_and_biden.jpg']}")
    page.wait_for_selector("[data-face-boxes][data-loaded]", state="attached")
    boxes = page.locator(".face-box")
    assert boxes.count() == 3
    page.hover("#preview")
    page.wait_for_timeout(300)
    assert boxes.first.evaluate("e => getComputedStyle(e).opacity") == "1"
    assert page.get_by_text("¿Quién es?").count() == 3
    first = boxes.first.bounding_box()
    assert first is not None and first["width"] > 20 and first["height"] > 20  # placed by faces.js
    _both_sizes(page, "faces-asset-hover")

    page.goto(f"{url}/personas")
    assert page.locator(".person-card img").count() >= 3  # cover faces, cropped from previews
    _both_sizes(page, "faces-people")

    page.goto(f"{url}/material/{site.ids['obama.jpg']}")
    page.wait_for_selector("[data-face-boxes][data-loaded]", state="attached")
    page.hover("#preview")
    page.locator(".face-box").first.click()
    page.get_by_label("Nombre (vocabulario de personas)").fill("Barack Obama")
    page.get_by_role("button", name="Guardar nombre").click()
    page.wait_for_load_state()
    assert "Grupo nombrado." in page.content()
    _both_sizes(page, "faces-group")

    page.goto(f"{url}/material/{site.ids['obama_and_biden.jpg']}")
    page.wait_for_selector("[data-face-boxes][data-loaded]", state="attached")
    page.hover("#preview")
    assert page.locator(".face-box", has_text="Barack Obama").count() == 1
    assert page.get_by_text("¿Quién es?").count() == 2
    page.set_viewport_size(PHONE)
    page.goto(f"{url}/personas")
    assert page.get_by_text("Barack Obama").count() == 1
