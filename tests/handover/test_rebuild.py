"""The store alone rebuilds the catalog: records beside the originals, kept by housekeeping."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dam.config import Settings
from dam.context import Context, open_context
from dam.models import Asset, Collection, ConsentForm
from dam.storemeta import meta_key
from tests.changefeed_check import record_fixture_writes
from tests.conftest import init_catalog, make_settings
from tests.handover.archive import build_archive, cli, listing
from web.housekeeping import run_housekeeping


def _members(ctx: Context) -> tuple:
    with ctx.catalog.read() as s:
        cols = [(c.slug, c.title, c.description, [i.asset_id for i in c.items])
                for c in s.query(Collection).order_by(Collection.id)]
        forms = [(f.persons, f.scope, f.signed_on, f.document_asset_id,
                  sorted(a.asset_id for a in f.covered)) for f in s.query(ConsentForm)]
    return cols, forms


def test_ingest_edit_lose_the_catalog_rebuild_from_the_store(ctx: Context,
                                                               tmp_path: Path) -> None:
    ids = build_archive(ctx)
    assert run_housekeeping(ctx).store_meta == 5
    # An edit after the first pass reaches the store at the next housekeeping pass.
    with ctx.catalog.write() as session:
        asset = session.get(Asset, ids["a"])
        asset.caption, asset.embargo_until = "Pie corregido", None
        asset.keywords = ["salud", "brigadas"]
        sha = asset.sha256
        record_fixture_writes(session)
    assert run_housekeeping(ctx).store_meta >= 1
    record = json.loads(ctx.store.read_bytes(meta_key(sha)))
    assert record["asset"]["caption"] == "Pie corregido"
    assert record["batch"]["event"] == "Jornada de salud"
    before, members = listing(ctx), _members(ctx)
    ctx.catalog.dispose()
    Path(ctx.settings.catalog_url.removeprefix("sqlite:///")).unlink()  # the catalog is lost
    settings: Settings = make_settings(tmp_path, store_url=ctx.settings.store_url)
    init_catalog(settings)
    result = CliRunner().invoke(cli(), ["catalog", "rebuild", "--from-store"],
                                obj={"settings": settings})
    assert result.exit_code == 0, result.output
    assert "assets 5" in result.output
    rebuilt = open_context(settings)
    try:
        assert listing(rebuilt) == before
        assert _members(rebuilt) == members
        again = CliRunner().invoke(cli(), ["catalog", "rebuild", "--from-store"],
                                   obj={"settings": settings})
        assert again.exit_code == 1 and "not empty" in again.output
    finally:
        rebuilt.close()
