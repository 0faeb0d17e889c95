"""Pictures one or two pixels on a side: ingested `ready`, and their asset page, social formats
and point of interest work for every staff role."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

from dam.enums import AssetState, WorkflowState
from dam.models import Asset
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from publish.focus import guess_focus
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import INFO, ctx_of, post_form, signed_in, state_of

SIZES = ((1, 1), (1, 2), (2, 1), (2, 2))


@pytest.mark.parametrize("size", [*SIZES, (3, 700), (700, 2)])
def test_the_guess_of_a_tiny_picture_is_its_centre(size: tuple[int, int]) -> None:
    for mode in ("RGB", "L", "RGBA", "P"):
        assert guess_focus(Image.new(mode, size)) == (0.5, 0.5)


def _tiny_photos(app: Flask, folder: Path) -> dict[str, int]:
    folder.mkdir()
    paths = []
    for width, height in SIZES:
        for kind in ("JPEG", "PNG"):
            path = folder / f"p{width}x{height}.{kind.lower()}"
            Image.new("RGB", (width, height), (180, 40 * width, 60 * height)).save(path, kind)
            paths.append(path)
    ctx = ctx_of(app)
    report = ingest_paths(ctx, paths, INFO)
    ids = {Path(r.source_path).name: r.asset_id for r in report.results if r.asset_id}
    for asset_id in ids.values():
        process_asset(ctx, asset_id)
    with ctx.catalog.write() as session:
        for asset_id in ids.values():
            session.get(Asset, asset_id).workflow_state = WorkflowState.APPROVED
        record_fixture_writes(session)
    state_of(app).search.sync()
    return ids


def test_tiny_pictures_ingest_and_render_for_every_role(app: Flask, tmp_path: Path) -> None:
    ids = _tiny_photos(app, tmp_path / "tiny")
    assert len(ids) == 2 * len(SIZES)
    with ctx_of(app).catalog.read() as session:
        for name, asset_id in ids.items():
            assert session.get(Asset, asset_id).state == AssetState.READY, name
    clients = {role: signed_in(app, role) for role in ("prensa", "fotografa", "editora", "admin")}
    for name, asset_id in ids.items():
        for role, client in clients.items():
            page = client.get(f"/material/{asset_id}")
            assert page.status_code == 200, (name, role)
            tab = client.get(f"/material/{asset_id}?panel=redes")  # the "Redes" tab
            assert 'id="redes"' in tab.text, (name, role)  # the social panel is there
        story = clients["prensa"].get(f"/material/{asset_id}/redes/historia.jpg")
        assert story.status_code == 200, name
        assert Image.open(io.BytesIO(story.data)).size == (1080, 1920)
        wide = clients["prensa"].get(f"/material/{asset_id}/redes/horizontal.jpg")
        assert Image.open(io.BytesIO(wide.data)).size == (1200, 675)
        url = f"/material/{asset_id}/punto-de-interes"
        assert post_form(clients["editora"], url, x="0.25", y="1").status_code == 303
        assert clients["editora"].get(f"/material/{asset_id}").status_code == 200
        assert post_form(clients["editora"], url, reset="1").status_code == 303
