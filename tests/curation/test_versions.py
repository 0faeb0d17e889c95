"""File versions: a replaced file keeps the asset's description, rights and albums; the earlier
original stays in the store, listed, restorable, checked by fixity; refusals say why."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.context import Context
from dam.curation import collections
from dam.curation.versions import (
    DuplicateFileError,
    VersionError,
    VersionForbiddenError,
    list_versions,
    store_keys,
)
from dam.enums import AssetState, IntakeOutcome
from dam.fixity import run_fixity
from dam.models import Asset, AuditEntry, CollectionItem, Rendition
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from ingest.replace import replace_asset_file, restore_asset_version
from storage import original_key
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors
from tests.handover.archive import cli
from tests.media import make_photo


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ingest(ctx: Context, path: Path, batch_user: int | None = None) -> int:
    report = ingest_paths(ctx, [path], BatchInfo(event="Jornada de salud", photographer="Ana"))
    asset_id = report.results[0].asset_id
    assert asset_id is not None
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        asset.batch.user_id = batch_user
        record_fixture_writes(session)
    assert process_asset(ctx, asset_id) == AssetState.READY
    return asset_id


def _renditions(ctx: Context, asset_id: int) -> dict[str, str]:
    with ctx.catalog.read() as session:
        return {str(r.kind): r.key for r in session.scalars(
            select(Rendition).where(Rendition.asset_id == asset_id))}


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    return {
        "first": make_photo(tmp_path / "in" / "IMG_0001.jpg", (1200, 800), seed=1),
        "edit": make_photo(tmp_path / "edit" / "IMG_0001_corregida.jpg", (900, 600), seed=5,
                           taken="2025:03:15 09:45:00", model="Canon EOS R5"),
        "other": make_photo(tmp_path / "other" / "otra.jpg", (640, 480), seed=9),
    }


def test_replace_keeps_description_and_albums_and_the_file_facts_follow(
        any_ctx: Context, photos: dict[str, Path]) -> None:
    ctx = any_ctx
    actors = make_actors(ctx)
    asset_id = _ingest(ctx, photos["first"])
    before = _renditions(ctx, asset_id)
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        # Set straight on the row (not through an edit): described fields stay all the same.
        asset.caption, asset.persons_shown = "Vacunación en la plaza", ["María Pérez"]
        asset.keywords, asset.licence = ["salud"], "CC-BY-4.0"
        album = collections.create_album(session, actors["editora"], "Salud", "")
        collections.add_items(session, actors["editora"], album.id, [asset_id])
        record_fixture_writes(session)
    version = replace_asset_file(ctx, actors["editora"], asset_id, photos["edit"],
                                 "Corrección de color")
    assert version.number == 2
    with ctx.catalog.read() as session:
        assert session.get(Asset, asset_id).state == AssetState.PENDING
    assert process_asset(ctx, asset_id) == AssetState.READY
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert asset.sha256 == _sha(photos["edit"])
        assert asset.original_filename == "IMG_0001_corregida.jpg"
        assert (asset.width, asset.height) == (900, 600)  # technical fields follow the file
        assert asset.taken_at == dt.datetime(2025, 3, 15, 9, 45)
        assert asset.camera_model == "Canon EOS R5"
        assert asset.caption == "Vacunación en la plaza"  # described fields stay
        assert asset.persons_shown == ["María Pérez"] and asset.keywords == ["salud"]
        assert asset.licence == "CC-BY-4.0" and asset.event == "Jornada de salud"
        assert session.scalars(select(CollectionItem.asset_id).where(
            CollectionItem.collection_id == album.id)).all() == [asset_id]
        versions = list_versions(session, asset_id)
        entry = session.execute(select(AuditEntry.asset_id, AuditEntry.detail,
                                       AuditEntry.old_value, AuditEntry.new_value).where(
            AuditEntry.action == "replace_file")).one()
    after = _renditions(ctx, asset_id)
    assert set(after) == set(before) and not set(after.values()) & set(before.values())
    assert all(_sha(photos["edit"]) in key for key in after.values())
    assert ctx.store.exists(original_key(_sha(photos["first"])))  # the earlier original stays
    assert [(v.number, v.action, v.current) for v in versions] == [
        (1, "ingest", False), (2, "replace", True)]
    assert versions[1].username == "editora" and versions[1].reason == "Corrección de color"
    assert versions[0].sha256 == _sha(photos["first"])
    assert entry[:2] == (asset_id, "Corrección de color")
    assert entry[2]["version"] == 1 and entry[3]["version"] == 2


def test_restore_makes_an_earlier_file_current_as_a_new_version(
        any_ctx: Context, photos: dict[str, Path]) -> None:
    ctx = any_ctx
    actors = make_actors(ctx)
    asset_id = _ingest(ctx, photos["first"])
    replace_asset_file(ctx, actors["editora"], asset_id, photos["edit"], "Recorte")
    process_asset(ctx, asset_id)
    with pytest.raises(VersionForbiddenError):
        restore_asset_version(ctx, actors["foto1"], asset_id, 1)
    version = restore_asset_version(ctx, actors["editora"], asset_id, 1, "El recorte no iba")
    assert (version.number, version.restored_from) == (3, 1)
    assert process_asset(ctx, asset_id) == AssetState.READY
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert asset.sha256 == _sha(photos["first"]) and asset.width == 1200
        versions = list_versions(session, asset_id)
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.asset_id == asset_id).order_by(AuditEntry.id)).all()
    assert [(v.number, v.action, v.current) for v in versions] == [
        (1, "ingest", False), (2, "replace", False), (3, "restore", True)]
    assert actions[-2:] == ["replace_file", "restore_version"]
    with pytest.raises(VersionError, match="already the current file"):
        restore_asset_version(ctx, actors["editora"], asset_id, 3)


def test_refusals_say_why_and_store_nothing(any_ctx: Context, photos: dict[str, Path]) -> None:
    ctx = any_ctx
    actors = make_actors(ctx)
    asset_id = _ingest(ctx, photos["first"], batch_user=actors["foto1"].user_id)
    other_id = _ingest(ctx, photos["other"])
    with pytest.raises(DuplicateFileError, match=f"already in the archive as asset {other_id}"):
        replace_asset_file(ctx, actors["editora"], asset_id, photos["other"], "x")
    with pytest.raises(VersionError, match="already the current version"):
        replace_asset_file(ctx, actors["editora"], asset_id, photos["first"], "x")
    with pytest.raises(VersionError, match="reason is required"):
        replace_asset_file(ctx, actors["editora"], asset_id, photos["edit"], "  ")
    for who in ("foto2", "prensa"):  # another photographer's asset; press staff
        with pytest.raises(VersionForbiddenError):
            replace_asset_file(ctx, actors[who], asset_id, photos["edit"], "x")
    pdf = photos["edit"].with_name("folleto.pdf")
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    with pytest.raises(VersionError, match="same kind"):
        replace_asset_file(ctx, actors["editora"], asset_id, pdf, "x")
    assert not ctx.store.exists(original_key(_sha(photos["edit"])))
    # The asset's own photographer may replace it.
    replace_asset_file(ctx, actors["foto1"], asset_id, photos["edit"], "Versión editada")


def test_an_earlier_version_taken_in_again_is_a_duplicate_and_every_key_is_listed(
        any_ctx: Context, photos: dict[str, Path]) -> None:
    ctx = any_ctx
    actors = make_actors(ctx)
    asset_id = _ingest(ctx, photos["first"])
    first_keys = set(_renditions(ctx, asset_id).values())
    replace_asset_file(ctx, actors["editora"], asset_id, photos["edit"], "Edición")
    process_asset(ctx, asset_id)
    report = ingest_paths(ctx, [photos["first"]], BatchInfo())
    assert report.results[0].outcome == IntakeOutcome.DUPLICATE
    assert report.results[0].asset_id == asset_id
    with ctx.catalog.read() as session:
        keys = store_keys(session, ctx.store, asset_id)
    assert {original_key(_sha(photos["first"])), original_key(_sha(photos["edit"]))} <= set(keys)
    assert first_keys <= set(keys)  # the earlier file's renditions, left in the store
    assert set(_renditions(ctx, asset_id).values()) <= set(keys)
    assert all(ctx.store.exists(k) for k in keys if not k.startswith("meta/"))


def test_fixity_checks_every_version(any_ctx: Context, photos: dict[str, Path]) -> None:
    ctx = any_ctx
    actors = make_actors(ctx)
    asset_id = _ingest(ctx, photos["first"])
    replace_asset_file(ctx, actors["editora"], asset_id, photos["edit"], "Edición")
    assert run_fixity(ctx.catalog, ctx.store).problems == []
    ctx.store.put_bytes(original_key(_sha(photos["first"])), b"damaged")
    report = run_fixity(ctx.catalog, ctx.store)
    assert [p.asset_id for p in report.problems] == [asset_id]
    assert report.problems[0].detail.startswith("version 1: content changed")


def test_cli_replace_list_restore(ctx: Context, photos: dict[str, Path]) -> None:
    asset_id = _ingest(ctx, photos["first"])
    runner = CliRunner()
    out = runner.invoke(cli(), ["replace", str(asset_id), str(photos["edit"]),
                                "--reason", "Corrección de color"], obj={"context": ctx})
    assert out.exit_code == 0, out.output
    assert "version 2" in out.output
    out = runner.invoke(cli(), ["versions", str(asset_id), "--json"], obj={"context": ctx})
    assert out.exit_code == 0, out.output
    listed = json.loads(out.output)
    assert [(v["number"], v["current"], v["reason"]) for v in listed] == [
        (1, False, None), (2, True, "Corrección de color")]
    assert listed[1]["username"].startswith("shell:")
    out = runner.invoke(cli(), ["versions", "restore", str(asset_id), "1"], obj={"context": ctx})
    assert out.exit_code == 0, out.output
    assert "restored as version 3" in out.output
    out = runner.invoke(cli(), ["replace", str(asset_id), str(photos["first"]),
                                "--reason", "x"], obj={"context": ctx})
    assert out.exit_code == 1 and "already the current version" in out.output


def test_legal_erasure_removes_every_version_of_a_replaced_file(
        any_ctx: Context, photos: dict[str, Path]) -> None:
    """Erasure and versions together: nothing of the earlier file stays in the store."""
    from dam.curation import erasure

    ctx = any_ctx
    actors = make_actors(ctx)
    asset_id = _ingest(ctx, photos["first"])
    replace_asset_file(ctx, actors["editora"], asset_id, photos["edit"], "Corrección de color")
    assert process_asset(ctx, asset_id) == AssetState.READY
    first, edit = _sha(photos["first"]), _sha(photos["edit"])
    assert ctx.store.exists(original_key(first)) and ctx.store.exists(original_key(edit))

    erasure.erase_asset(ctx.catalog, [ctx.store], actors["admin"], asset_id,
                        "Solicitud ARCO de cancelación, folio 0042/2026")

    left = [info.key for info in ctx.store.list("")]
    assert not [key for key in left if first in key or edit in key], left
    again = ingest_paths(ctx, [photos["first"]], BatchInfo(event="Otra vez"))
    assert again.results[0].outcome == IntakeOutcome.FAILED  # an earlier version: refused too
