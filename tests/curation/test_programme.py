"""The government programme (programa) of an asset: edited alone or in a selection, audited,
suggested from its vocabulary, and inherited from the batch the photographer tagged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from dam.catalog import BatchInfo
from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.batch_edits import batch_edit, undo_batch_edit
from dam.curation.edit_fields import FIELDS
from dam.curation.edits import edit_asset
from dam.curation.vocabulary import suggest
from dam.enums import AssetState, Role, VocabularyKind
from dam.models import Asset, AuditEntry, Batch, VocabularyTerm
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors
from tests.media import make_photo


def _assets(ctx: Context, count: int) -> list[int]:
    with ctx.catalog.write() as session:
        batch = Batch(event="Entrega de apoyos", event_date=dt.date(2025, 3, 3))
        session.add(batch)
        session.flush()
        for n in range(count):
            session.add(Asset(sha256=f"{n + 1:064x}", byte_size=1, original_filename=f"{n}.jpg",
                              original_key=f"originals/{n}", batch_id=batch.id,
                              campaign="Iztapalapa limpia"))
        session.flush()
        record_fixture_writes(session)
        return list(session.scalars(select(Asset.id).order_by(Asset.id)))


def _programmes(ctx: Context, ids: list[int]) -> list[str | None]:
    with ctx.catalog.read() as session:
        return [session.get(Asset, i).programme for i in ids]


def test_one_asset_gets_a_programme_from_its_vocabulary_code(any_ctx: Context) -> None:
    assert FIELDS["programme"].suggest == VocabularyKind.PROGRAMME
    [asset_id] = _assets(any_ctx, 1)
    actors = make_actors(any_ctx)
    with any_ctx.catalog.write() as session:
        session.add(VocabularyTerm(vocabulary=VocabularyKind.PROGRAMME, label="Utopías",
                                   code="uto"))
        session.add(VocabularyTerm(vocabulary=VocabularyKind.CAMPAIGN, label="Utopía limpia"))
    with any_ctx.catalog.read() as session:
        assert suggest(session, VocabularyKind.PROGRAMME, "utop", 10) == ["Utopías"]
    with any_ctx.catalog.write() as session:
        edit_asset(session, actors["editora"], asset_id, {"programme": " =uto "}, 1)
    with any_ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        assert (asset.programme, asset.campaign) == ("Utopías", "Iztapalapa limpia")
        assert "programme" in asset.edited_fields
        entry = session.scalars(select(AuditEntry).where(AuditEntry.field == "programme")).one()
        assert (entry.action, entry.username, entry.old_value, entry.new_value) == (
            "edit", "editora", None, "Utopías")


def test_a_selection_gets_a_programme_and_the_undo_takes_it_back(any_ctx: Context) -> None:
    ids = _assets(any_ctx, 3)
    actors = make_actors(any_ctx)
    with any_ctx.catalog.write() as session:
        edit = batch_edit(session, actors["editora"], [str(i) for i in ids],
                          [{"field": "programme", "op": "set", "value": "Mercomuna"}])
        edit_id = edit.id
    assert _programmes(any_ctx, ids) == ["Mercomuna"] * 3
    with any_ctx.catalog.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.batch_edit_id == edit_id))
        assert {(e.asset_id, e.field, e.new_value) for e in entries} == {
            (i, "programme", "Mercomuna") for i in ids}
    with any_ctx.catalog.write() as session:
        undo_batch_edit(session, actors["editora"], edit_id)
    assert _programmes(any_ctx, ids) == [None] * 3


def test_assets_inherit_the_batch_programme_unless_emptied_on_purpose(ctx: Context,
                                                                       tmp_path: Path) -> None:
    photos = [make_photo(tmp_path / f"{n}.jpg", (320, 240), seed=n) for n in range(2)]
    report = ingest_paths(ctx, photos, BatchInfo(event="Utopía Quetzalcóatl", programme="Utopías",
                                                 area="Dirección de Cultura"))
    first, second = (r.asset_id for r in report.results)
    for asset_id in (first, second):
        process_asset(ctx, asset_id)
    assert _programmes(ctx, [first, second]) == ["Utopías", "Utopías"]
    with ctx.catalog.write() as session:  # emptied on purpose: reprocessing keeps it empty
        edit_asset(session, Actor(None, "system", Role.ADMIN), second, {"programme": ""}, 1)
        session.get(Asset, second).state = AssetState.PENDING
        record_fixture_writes(session)
    process_asset(ctx, second)
    assert _programmes(ctx, [first, second]) == ["Utopías", None]
    with ctx.catalog.read() as session:
        assert session.get(Asset, first).batch.programme == "Utopías"
