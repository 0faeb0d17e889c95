"""Editing one asset and selections: values, permissions, conflicts, batch edits and their undo."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from dam.catalog import BatchInfo
from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.batch_edits import UndoError, batch_edit, last_batch_edit, undo_batch_edit
from dam.curation.edit_fields import EditError
from dam.curation.edits import EditConflictError, EditForbiddenError, edit_asset
from dam.curation.templates import TemplateError
from dam.enums import AssetState, PublicationKind, Role, VocabularyKind
from dam.errors import NotFoundError
from dam.models import Asset, AuditEntry, Batch, BatchEdit, VocabularyTerm
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors
from tests.media import make_photo


def _users(ctx: Context) -> dict[str, Actor]:
    return make_actors(ctx)


def _assets(ctx: Context, count: int, owner: int | None = None, **values: object) -> list[int]:
    """Rows inserted directly (fast), in one batch owned by ``owner``."""
    with ctx.catalog.write() as session:
        batch = Batch(event="Jornada de limpieza", event_date=dt.date(2025, 3, 3), user_id=owner)
        session.add(batch)
        session.flush()
        first = (session.scalar(select(func.max(Asset.id))) or 0) + 1
        rows = [{"sha256": f"{first + i:064x}", "byte_size": 10, "original_filename": f"f{i}.jpg",
                 "original_key": f"originals/{first + i}", "batch_id": batch.id,
                 "keywords": ["Mercado"], "persons_shown": [], "edited_fields": [], **values}
                for i in range(count)]
        session.execute(insert(Asset), rows)
        record_fixture_writes(session)
        return list(session.scalars(select(Asset.id).where(Asset.batch_id == batch.id)
                                    .order_by(Asset.id)))


@pytest.fixture
def actors(any_ctx: Context) -> dict[str, Actor]:
    return _users(any_ctx)


def _get(ctx: Context, asset_id: int) -> Asset:
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        session.expunge(asset)
        return asset


def test_an_edit_is_normalised_logged_and_bumps_the_version(any_ctx, actors) -> None:
    [asset_id] = _assets(any_ctx, 1)
    with any_ctx.catalog.write() as session:
        session.add(VocabularyTerm(vocabulary=VocabularyKind.PERSON, label="Clara Brugada",
                                   code="cb"))
    editor = actors["editora"]
    with any_ctx.catalog.write() as session:
        edit_asset(session, editor, asset_id, {
            "headline": "  Entrega   de\tapoyos ",
            "caption": "=cb entrega apoyos.\r\nSegunda línea",
            "keywords": "mercado, Peña; pena, =cb", "print_run": "1500",
            "publication_kind": "poster", "distribution_date": "2025-03-31",
        }, expected_version=1)
    asset = _get(any_ctx, asset_id)
    assert asset.headline == "Entrega de apoyos"
    assert asset.caption == "Clara Brugada entrega apoyos.\nSegunda línea"
    assert asset.keywords == ["mercado", "Peña", "Clara Brugada"]
    assert (asset.print_run, asset.publication_kind) == (1500, PublicationKind.POSTER)
    assert asset.distribution_date == dt.date(2025, 3, 31)
    assert asset.edit_version == 2
    assert "caption" in asset.edited_fields and "keywords" in asset.edited_fields
    with any_ctx.catalog.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.field == "keywords")).one()
        assert (entry.action, entry.username) == ("edit", "editora")
        assert (entry.old_value, entry.new_value) == (["Mercado"], asset.keywords)


def test_bad_values_are_refused_and_nothing_changes(any_ctx, actors) -> None:
    [asset_id] = _assets(any_ctx, 1)
    for changes in ({"taken_at": "2025-01-01"}, {"print_run": "-3"}, {"print_run": "mil"},
                    {"distribution_date": "ayer"}, {"publication_kind": "mural"},
                    {"caption": "x" * 100_001}, {"keywords": [1, 2]}, {}):
        with pytest.raises(EditError), any_ctx.catalog.write() as session:
            edit_asset(session, actors["editora"], asset_id, changes, expected_version=1)
    assert _get(any_ctx, asset_id).edit_version == 1
    with pytest.raises(NotFoundError), any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], 999_999, {"caption": "x"}, expected_version=1)


def test_photographers_edit_only_what_they_uploaded(any_ctx, actors) -> None:
    [mine] = _assets(any_ctx, 1, owner=actors["foto1"].user_id)
    [theirs] = _assets(any_ctx, 1, owner=actors["foto2"].user_id)
    with any_ctx.catalog.write() as session:
        edit_asset(session, actors["foto1"], mine, {"caption": "Mío"}, expected_version=1)
    for actor, asset_id in ((actors["foto1"], theirs), (actors["prensa"], mine)):
        with pytest.raises(EditForbiddenError, match=str(asset_id)), \
                any_ctx.catalog.write() as session:
            edit_asset(session, actor, asset_id, {"caption": "Ajeno"}, expected_version=1)
    assert _get(any_ctx, theirs).caption is None


def test_a_second_editor_is_told_of_the_conflict_not_overwritten(any_ctx, actors) -> None:
    [asset_id] = _assets(any_ctx, 1, caption="Original", headline="Título")
    base = {"caption": "Original", "headline": "Título", "city": None}
    with any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], asset_id, {**base, "caption": "Versión A"}, 1, base)
    with pytest.raises(EditConflictError) as caught, any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], asset_id,
                   {**base, "caption": "Versión B", "city": "Iztapalapa"}, 1, base)
    conflict = caught.value.conflicts
    assert set(conflict) == {"caption"}
    assert (conflict["caption"].base, conflict["caption"].mine, conflict["caption"].current) == (
        "Original", "Versión B", "Versión A")
    assert caught.value.current_version == 2
    assert _get(any_ctx, asset_id).caption == "Versión A"
    with any_ctx.catalog.write() as session:  # resubmitted knowingly, on the new version
        edit_asset(session, actors["editora"], asset_id, {"caption": "Versión B"}, 2)
    assert _get(any_ctx, asset_id).caption == "Versión B"


def test_edits_of_different_fields_on_an_old_version_merge(any_ctx, actors) -> None:
    [asset_id] = _assets(any_ctx, 1, caption="Original")
    base = {"caption": "Original", "city": None}
    with any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], asset_id, {**base, "caption": "Nuevo"}, 1, base)
    with any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], asset_id, {**base, "city": "Iztapalapa"}, 1, base)
    asset = _get(any_ctx, asset_id)
    assert (asset.caption, asset.city, asset.edit_version) == ("Nuevo", "Iztapalapa", 3)


def test_long_emoji_and_right_to_left_captions_round_trip(any_ctx, actors) -> None:
    [asset_id] = _assets(any_ctx, 1)
    caption = ("Vecinas 👩🏽‍🌾 en la feria, שלום עליכם, مرحبا بكم. " * 2000)[:50_000].strip()
    with any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], asset_id, {"caption": caption}, 1)
    assert _get(any_ctx, asset_id).caption == caption
    assert len(caption) >= 49_990


def test_batch_edit_sets_adds_removes_and_fills_templates(any_ctx, actors) -> None:
    ids = _assets(any_ctx, 3, event="Jornada de limpieza", creator="Ana Peña",
                  sublocation="San Lorenzo Tezonco", city="Iztapalapa")
    with any_ctx.catalog.write() as session:
        session.get(Asset, ids[0]).taken_at = dt.datetime(2025, 4, 9, 10, 0)
        record_fixture_writes(session)
    ops = [
        {"field": "keywords", "op": "add", "value": ["limpieza", "mercado"]},
        {"field": "keywords", "op": "remove", "value": ["MERCADO"]},
        {"field": "persons_shown", "op": "set", "value": "Clara Brugada"},
        {"field": "caption", "op": "template",
         "value": "{fotografo} / {evento}, {lugar}, {fecha}. {area}"},
    ]
    with any_ctx.catalog.write() as session:
        edit = batch_edit(session, actors["editora"], [str(i) for i in ids], ops)
        edit_id = edit.id
    first, second = _get(any_ctx, ids[0]), _get(any_ctx, ids[1])
    assert first.keywords == ["limpieza"] and first.persons_shown == ["Clara Brugada"]
    assert first.caption == ("Ana Peña / Jornada de limpieza, San Lorenzo Tezonco, Iztapalapa, "
                             "9 de abril de 2025.")
    assert second.caption.endswith("3 de marzo de 2025.")  # the batch's event date
    assert first.edit_version == 2 and "caption" in first.edited_fields
    with any_ctx.catalog.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.batch_edit_id == edit_id))
        assert {(e.asset_id, e.field) for e in entries} == {
            (i, f) for i in ids for f in ("keywords", "persons_shown", "caption")}
        assert session.get(BatchEdit, edit_id).asset_count == 3


def test_batch_edit_refuses_bad_operations(any_ctx, actors) -> None:
    ids = _assets(any_ctx, 2)
    for ops in ([], [{"field": "caption", "op": "add", "value": "x"}],
                [{"field": "caption", "op": "template", "value": "{desconocida}"}],
                [{"field": "sha256", "op": "set", "value": "x"}]):
        with pytest.raises((EditError, TemplateError)), any_ctx.catalog.write() as session:
            batch_edit(session, actors["editora"], ids, ops)
    with pytest.raises(NotFoundError), any_ctx.catalog.write() as session:
        batch_edit(session, actors["editora"], [*ids, 999_999],
                   [{"field": "city", "op": "set", "value": "x"}])
    assert _get(any_ctx, ids[0]).city is None


def test_a_large_batch_edit_is_all_or_nothing_and_quick(any_ctx, actors) -> None:
    photographer = actors["foto1"]
    ids = _assets(any_ctx, 2_500, owner=photographer.user_id)
    [foreign] = _assets(any_ctx, 1, owner=actors["foto2"].user_id)
    ops = [{"field": "keywords", "op": "add", "value": ["Iztapalapa"]},
           {"field": "credit", "op": "set", "value": "Foto: Ana / Alcaldía"}]
    with pytest.raises(EditForbiddenError, match=str(foreign)), \
            any_ctx.catalog.write() as session:
        batch_edit(session, photographer, [*ids, foreign], ops)
    with any_ctx.catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert session.scalar(select(func.count()).where(Asset.credit.is_not(None))) == 0
    started = time.monotonic()
    with any_ctx.catalog.write() as session:
        batch_edit(session, photographer, ids, ops)
    assert time.monotonic() - started < 20
    with any_ctx.catalog.read() as session:
        assert session.scalar(select(func.count()).where(
            Asset.credit == "Foto: Ana / Alcaldía", Asset.edit_version == 2)) == len(ids)
        assert session.get(Asset, ids[-1]).keywords == ["Mercado", "Iztapalapa"]
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2 * len(ids)


def test_undo_restores_except_what_was_edited_since(any_ctx, actors) -> None:
    ids = _assets(any_ctx, 3, caption="Antes")
    editor = actors["editora"]
    ops = [{"field": "caption", "op": "set", "value": "Después"},
           {"field": "keywords", "op": "add", "value": ["nuevo"]}]
    with any_ctx.catalog.write() as session:
        edit_id = batch_edit(session, editor, ids, ops).id
    with any_ctx.catalog.write() as session:
        edit_asset(session, editor, ids[0], {"caption": "Corregido a mano"}, 2)
    with any_ctx.catalog.read() as session:
        assert last_batch_edit(session, editor).id == edit_id
    with pytest.raises(NotFoundError), any_ctx.catalog.write() as session:
        undo_batch_edit(session, actors["foto1"], edit_id)
    with any_ctx.catalog.write() as session:
        report = undo_batch_edit(session, editor, edit_id)
        assert report.skipped == [(ids[0], "caption")]
        assert report.restored == 5
    assert _get(any_ctx, ids[0]).caption == "Corregido a mano"
    assert _get(any_ctx, ids[0]).keywords == ["Mercado"]
    assert (_get(any_ctx, ids[1]).caption, _get(any_ctx, ids[1]).keywords) == ("Antes",
                                                                               ["Mercado"])
    with pytest.raises(UndoError), any_ctx.catalog.write() as session:
        undo_batch_edit(session, editor, edit_id)
    with any_ctx.catalog.read() as session:
        assert last_batch_edit(session, editor) is None
        assert session.scalar(select(func.count()).where(AuditEntry.action == "undo")) == 5


def test_reprocessing_keeps_what_people_edited(ctx: Context, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "a.jpg", (320, 240), seed=3)
    report = ingest_paths(ctx, [photo], BatchInfo(event="Feria", caption="Del lote"))
    asset_id = report.results[0].asset_id
    process_asset(ctx, asset_id)
    with ctx.catalog.write() as session:
        edit_asset(session, Actor(None, "system", Role.ADMIN), asset_id,
                   {"caption": "Pie corregido", "event": None}, 1)
        session.get(Asset, asset_id).state = AssetState.PENDING
        record_fixture_writes(session)
    assert process_asset(ctx, asset_id) == AssetState.READY
    asset = _get(ctx, asset_id)
    assert (asset.caption, asset.event) == ("Pie corregido", None)
    assert asset.taken_at is not None  # the rest was read from the file again
