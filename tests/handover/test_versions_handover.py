"""Earlier file versions travel with the archive: in the handover bag, back in through import,
and in the store's metadata records, so a catalog rebuilt from the store still lists them."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dam.config import Settings
from dam.context import Context, open_context
from dam.curation.actor import Actor
from dam.curation.versions import NewFile, list_versions, replace_file
from dam.enums import MediaType, Role
from dam.fixity_schedule import rolling_fixity
from dam.storemeta import meta_key
from storage import original_key
from tests.conftest import init_catalog, make_settings
from tests.handover.archive import build_archive, cli, listing
from tests.handover.test_handover import export, fresh  # noqa: F401 - a fixture
from web.housekeeping import run_housekeeping

EDITED = b"corrected picture" * 100


def _replace(ctx: Context, asset_id: int) -> str:
    """Asset ``asset_id``'s file replaced by EDITED (stored as intake stores it)."""
    sha = hashlib.sha256(EDITED).hexdigest()
    ctx.store.put_bytes(original_key(sha), EDITED)
    editor = Actor(None, "editora", Role.EDITOR)
    with ctx.catalog.write() as session:
        replace_file(session, editor, asset_id,
                     NewFile(sha, len(EDITED), "image/jpeg", MediaType.PHOTO,
                             "IMG_0001_editada.JPG"),
                     "Corrección de color", max_attempts=3)
    return sha


def _versions(ctx: Context, asset_id: int) -> list[tuple]:
    with ctx.catalog.read() as session:
        return [(v.number, v.sha256, v.action, v.username, v.reason, v.current)
                for v in list_versions(session, asset_id)]


def test_the_bag_carries_earlier_versions_and_import_brings_them_back(
        any_ctx: Context, fresh: Context, tmp_path: Path) -> None:  # noqa: F811
    ids = build_archive(any_ctx)
    _replace(any_ctx, ids["a"])
    bag = tmp_path / "entrega"
    export(any_ctx, bag)
    data = json.loads((bag / "data/catalogo/catalogo.json").read_text(encoding="utf-8"))
    record = next(r for r in data if r["id"] == ids["a"])
    assert record["ruta"] == "data/originales/2025/03/Jornada de salud/IMG_0001_editada.JPG"
    [earlier] = record["versiones"]
    assert earlier["ruta"] == ("data/originales/2025/03/Jornada de salud/versiones/"
                               "IMG_0001_editada.JPG/v1-IMG_0001.JPG")
    assert (earlier["version"], earlier["motivo"]) == (1, None)
    assert (bag / earlier["ruta"]).read_bytes() == b"first picture" * 100
    assert (bag / record["ruta"]).read_bytes() == EDITED
    verified = CliRunner().invoke(cli(), ["handover", "verify", str(bag)])
    assert verified.exit_code == 0, verified.output
    # A version file the catalog does not account for is caught.
    (bag / earlier["ruta"]).write_bytes(b"tampered")
    assert CliRunner().invoke(cli(), ["handover", "verify", str(bag), "--fast"]).exit_code == 1
    (bag / earlier["ruta"]).write_bytes(b"first picture" * 100)
    result = CliRunner().invoke(cli(), ["handover", "import", str(bag), "--quiet"],
                                obj={"context": fresh})
    assert result.exit_code == 0, result.output
    assert _versions(fresh, ids["a"]) == _versions(any_ctx, ids["a"])
    first_sha = _versions(any_ctx, ids["a"])[0][1]
    assert fresh.store.read_bytes(original_key(first_sha)) == b"first picture" * 100


def test_rebuild_from_the_store_keeps_versions(ctx: Context, tmp_path: Path) -> None:
    ids = build_archive(ctx)
    run_housekeeping(ctx)
    first_sha = _versions(ctx, ids["a"])[0][1]
    assert ctx.store.exists(meta_key(first_sha))
    new_sha = _replace(ctx, ids["a"])
    assert run_housekeeping(ctx).store_meta >= 1
    record = json.loads(ctx.store.read_bytes(meta_key(new_sha)))
    assert [v["number"] for v in record["versions"]] == [1, 2]
    assert not ctx.store.exists(meta_key(first_sha))  # no stale record beside the old file
    before, versions = listing(ctx), _versions(ctx, ids["a"])
    # A stale record left by an interrupted pass must not win over the newer one.
    stale = dict(record, asset=dict(record["asset"], sha256=first_sha), versions=[])
    ctx.store.put_bytes(meta_key(first_sha), json.dumps(stale).encode())
    ctx.catalog.dispose()
    Path(ctx.settings.catalog_url.removeprefix("sqlite:///")).unlink()
    settings: Settings = make_settings(tmp_path, store_url=ctx.settings.store_url)
    init_catalog(settings)
    result = CliRunner().invoke(cli(), ["catalog", "rebuild", "--from-store"],
                                obj={"settings": settings})
    assert result.exit_code == 0, result.output
    assert "assets 5" in result.output
    rebuilt = open_context(settings)
    try:
        assert listing(rebuilt) == before
        assert _versions(rebuilt, ids["a"]) == versions
    finally:
        rebuilt.close()


def test_the_rolling_check_repairs_an_earlier_version_from_the_replica(tmp_path: Path) -> None:
    replica_dir = tmp_path / "replica"
    settings = make_settings(tmp_path, replica_store_url=f"file://{replica_dir}")
    init_catalog(settings)
    ctx = open_context(settings)
    try:
        ids = build_archive(ctx)
        _replace(ctx, ids["a"])
        first_sha = _versions(ctx, ids["a"])[0][1]
        shutil.copytree(Path(settings.data_dir) / "store", replica_dir)
        ctx.store.put_bytes(original_key(first_sha), b"bit rot")
        report = rolling_fixity(ctx.catalog, ctx.store, settings, limit=10)
        assert report.problems == [] and report.repaired == 1
        assert ctx.store.read_bytes(original_key(first_sha)) == b"first picture" * 100
        ctx.store.delete(original_key(first_sha))
        (replica_dir / original_key(first_sha)).unlink()  # no second copy left
        report = rolling_fixity(ctx.catalog, ctx.store, settings, limit=10)
        assert [p.asset_id for p in report.problems] == [ids["a"]]
        assert report.problems[0].detail.startswith("version 1: original missing")
    finally:
        ctx.close()
