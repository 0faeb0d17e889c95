"""Restore drill: back up, lose the catalog's changes, restore, and find the archive as it was."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dam.context import Context, open_context
from dam.models import Asset
from tests.changefeed_check import record_fixture_writes
from tests.handover.archive import add_asset, build_archive, cli, listing


def run(ctx: Context, *args: str) -> object:
    return CliRunner().invoke(cli(), list(args), obj={"settings": ctx.settings,
                                                       "context": ctx})


def test_restore_drill(any_ctx: Context, tmp_path: Path) -> None:
    build_archive(any_ctx)
    before = listing(any_ctx)
    result = run(any_ctx, "backup", str(tmp_path / "respaldos"))
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "respaldos").iterdir()
    manifest = (folder / "almacen.tsv").read_text(encoding="utf-8").splitlines()
    keys = {line.split("\t")[0] for line in manifest}
    assert {row["original_key"] for row in before} <= keys
    assert all(len(line.split("\t")[2]) == 64 for line in manifest)
    # After the backup: a new asset, an edit, then a disaster.
    add_asset(any_ctx, b"after the backup", "tarde.jpg")
    with any_ctx.catalog.write() as session:
        session.get(Asset, before[0]["id"]).caption = "changed after the backup"
        record_fixture_writes(session)
    any_ctx.catalog.dispose()
    result = CliRunner().invoke(cli(), ["restore", str(folder), "--yes"],
                                obj={"settings": any_ctx.settings})
    assert result.exit_code == 0, result.output
    assert "0 missing, 0 changed" in result.output
    restored = open_context(any_ctx.settings)
    try:
        assert listing(restored) == before
        # The store lost an object: the restore says which.
        restored.store.delete(before[1]["original_key"])
    finally:
        restored.close()
    result = CliRunner().invoke(cli(), ["restore", str(folder), "--yes"],
                                obj={"settings": any_ctx.settings})
    assert result.exit_code == 1
    assert f"missing: {before[1]['original_key']}" in result.output
