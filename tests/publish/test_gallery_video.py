"""A video goes to the gallery as its web proxy, with a poster and a page, never its position."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.enums import WorkflowState
from dam.models import Asset
from ingest.proxy import make_proxy
from publish.gallery.build import publish_gallery
from publish.keys import init_keys
from tests.changefeed_check import record_fixture_writes
from tests.publish.kit_fixtures import ingest
from tests.publish.test_gallery_publish import NOW, add_collection

VIDEO = Path(__file__).parents[1] / "fixtures" / "video" / "fade_rotated.mp4"  # has a location


def test_a_video_is_published_as_its_proxy_with_a_poster(ctx: Context, tmp_path: Path) -> None:
    init_keys(ctx.settings)
    source = tmp_path / "recorrido.mp4"
    shutil.copy(VIDEO, source)
    (asset_id,) = ingest(ctx, [source])
    assert make_proxy(ctx, asset_id)
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        asset.caption = "Recorrido por el mercado <Centro>"
        asset.workflow_state = WorkflowState.APPROVED
        record_fixture_writes(session)
    add_collection(ctx, "recorrido", [asset_id])
    target = tmp_path / "galeria"
    result = publish_gallery(ctx, SYSTEM, target=str(target), now=NOW)
    assert result.videos == 1 and result.photos == 0 and not result.held

    live = target / "current"
    page = (live / f"videos/{asset_id}/index.html").read_text()
    assert "<video" in page and "Recorrido por el mercado &lt;Centro&gt;" in page
    videos = list((live / "media" / str(asset_id)).glob("*.mp4"))
    posters = list((live / "media" / str(asset_id)).glob("*.jpg"))
    assert len(videos) == 1 and posters, "the proxy and its poster are published"
    assert f"media/{asset_id}/{videos[0].name}" in page
    if shutil.which("exiftool"):
        meta = json.loads(subprocess.run(
            ["exiftool", "-j", "-G1", "-n", "-ee", str(videos[0]), *map(str, posters)],
            check=True, capture_output=True, text=True).stdout)
        for found in meta:  # (XMP-iptcCore:Location is the place's name, which is public)
            leaked = [k for k, v in found.items() if "GPS" in k or "19.357" in str(v)
                      or (k.endswith(":Location") and not k.startswith("XMP-iptcCore"))]
            assert not leaked, f"{found['SourceFile']}: {leaked}"
    else:
        pytest.skip("exiftool is not installed: the position check needs it")
