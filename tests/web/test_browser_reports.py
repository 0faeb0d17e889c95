"""Informes in Debian's Chromium: desktop and phone, the map beside its table, no sideways
scrolling on a phone, and no serious accessibility violation (axe-core)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dam.db import Catalog
from dam.enums import AssetState, VocabularyKind, WorkflowState
from dam.models import Asset, PublishingSetting, VocabularyTerm
from tests.changefeed_check import record_fixture_writes
from tests.web.live import CHROMIUM, LiveServer, chromium_page, start_server
from tests.web.test_browser import ADMIN_PASSWORD, shot
from tests.web.test_browser_phone import FITS, PHONE
from tests.web.test_browser_ui import serious_violations

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium"),
]
DIVISIONS = {"Aculco": (-99.10, 19.36), "Cabeza de Juárez": (-99.05, 19.36),
             "Ermita Zaragoza": (-99.00, 19.36), "Santa Catarina": (-99.05, 19.31)}


def _square(lon: float, lat: float) -> list[list[list[float]]]:
    return [[[lon, lat], [lon + 0.05, lat], [lon + 0.05, lat + 0.05], [lon, lat + 0.05],
             [lon, lat]]]


def _archive(base: Path) -> None:
    """Material of March 2025 over four divisions, and the map admins upload, straight into
    the served catalog."""
    catalog = Catalog(f"sqlite:///{base / 'var' / 'catalog.sqlite3'}")
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nombre": name},
         "geometry": {"type": "Polygon", "coordinates": _square(*corner)}}
        for name, corner in DIVISIONS.items()]}
    store = base / "var" / "store" / "reports"
    store.mkdir(parents=True, exist_ok=True)
    (store / "territorios-prueba.geojson").write_text(json.dumps(geojson), encoding="utf-8")
    with catalog.write() as session:
        session.add(PublishingSetting(key="territory_map_key",
                                      value="reports/territorios-prueba.geojson"))
        for d, name in enumerate(DIVISIONS):
            division = VocabularyTerm(vocabulary=VocabularyKind.TERRITORY, label=name)
            session.add(division)
            session.flush()
            session.add(VocabularyTerm(vocabulary=VocabularyKind.COLONIA, label=f"Colonia {d}",
                                       parent_id=division.id))
        for n in range(40):
            session.add(Asset(
                sha256=f"{n:064x}", byte_size=1, original_filename=f"f{n}.jpg",
                original_key=f"originals/{n}", state=AssetState.READY,
                taken_at=dt.datetime(2025, 3, 1 + n % 28, 10), event=f"Evento {n % 7}",
                area=f"Dirección General de Área número {n % 5}", sublocation=f"Colonia {n % 3}",
                creator=f"Fotógrafa {n % 4}", workflow_state=list(WorkflowState)[n % 5]))
        record_fixture_writes(session)
    catalog.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path / "site", workers=0, env={"DAM_ADMIN_PASSWORD": ADMIN_PASSWORD})
    _archive(tmp_path / "site")
    yield live
    live.stop()


def _sign_in(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/")
    page.get_by_label("Usuario").fill("admin")
    page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(url + "/")


def test_reports_read_on_desktop_and_phone(server: LiveServer) -> None:
    report = server.url + "/informes?periodo=mes&mes=2025-03"
    with chromium_page(bypass_csp=True) as page:
        _sign_in(page, server.url)
        page.goto(report)
        assert page.get_by_role("heading", name="Material por dirección territorial").count() == 1
        assert page.locator("#grafica-division-seccion path").count() == len(DIVISIONS)
        assert page.get_by_role("img", name="Material por área").count() == 1
        shot(page, "informes-escritorio")
        assert serious_violations(page) == []
        box_map = page.locator("#grafica-division-seccion figure").bounding_box()
        box_table = page.locator("#grafica-division-seccion table").bounding_box()
        assert box_table["x"] > box_map["x"] + box_map["width"] - 1  # the table beside the map
    with chromium_page(bypass_csp=True, **PHONE) as phone:
        _sign_in(phone, server.url)
        phone.goto(report)
        shot(phone, "informes-movil")
        width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert phone.evaluate(FITS), f"the page is {width[0]} px wide on a {width[1]} px screen"
