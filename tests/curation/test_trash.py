"""The trash: moved, hidden, restored, purged after trash_days with its files and dependent rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dam.catalog import BatchInfo
from dam.context import Context
from dam.curation import trash
from dam.curation.collection_reads import collection_assets
from dam.curation.removal import store_keys_of
from dam.curation.rights import public_clause
from dam.enums import WorkflowState
from dam.models import (
    Asset,
    AuditEntry,
    Collection,
    CollectionItem,
    ConsentAsset,
    ConsentForm,
    FixityCheck,
    IntakeItem,
    Job,
    PublicationImage,
    PublicationPhoto,
    Rendition,
    ShareLink,
    Upload,
)
from dam.search.sync import apply_changes
from dam.storemeta import catch_up, meta_key
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors
from tests.media import make_photo

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def ingest_photos(ctx: Context, folder: Path, count: int = 2, seed: int = 40) -> list[int]:
    """Photos taken in and processed (original, renditions and store records in the store)."""
    paths = [make_photo(folder / f"p{i}.jpg", (320, 240), seed=seed + i) for i in range(count)]
    report = ingest_paths(ctx, paths, BatchInfo(event="Feria del libro"))
    ids = [r.asset_id for r in report.results if r.asset_id]
    for asset_id in ids:
        process_asset(ctx, asset_id)
    catch_up(ctx.catalog, ctx.store)
    return ids


def keys_of(ctx: Context, asset_id: int) -> list[str]:
    with ctx.catalog.read() as session:
        return store_keys_of(session, ctx.store, session.get(Asset, asset_id))


def stored(ctx: Context) -> set[str]:
    return {i.key for i in ctx.store.list("")}


def test_editors_trash_and_restore_photographers_may_not(any_ctx: Context, tmp_path: Path
                                                          ) -> None:
    actors = make_actors(any_ctx)
    first, second = ingest_photos(any_ctx, tmp_path)
    with any_ctx.catalog.write() as session, pytest.raises(trash.TrashError):
        trash.trash_assets(session, actors["foto1"], [first])
    with any_ctx.catalog.write() as session:
        result = trash.trash_assets(session, actors["editora"], [first, first, 999], NOW)
    assert (result.changed, result.skipped) == ([first], [999])
    with any_ctx.catalog.read() as session:
        items, total = trash.list_trash(session, 30)
        assert total == 1 and items[0].asset_id == first
        assert items[0].trashed_by == "editora"
        assert items[0].days_left(NOW + dt.timedelta(days=1)) == 29
        visible = list(session.scalars(select(Asset.id).where(trash.not_trashed())))
        assert visible == [second]
    with any_ctx.catalog.write() as session, pytest.raises(trash.TrashError):
        trash.restore_assets(session, actors["prensa"], [first])
    with any_ctx.catalog.write() as session:
        assert trash.restore_assets(session, actors["editora"], [first, second]).changed == [first]
    with any_ctx.catalog.read() as session:
        assert trash.list_trash(session, 30)[1] == 0
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.asset_id == first).order_by(AuditEntry.id)))
    assert actions == ["trash", "restore"]


def test_trash_is_hidden_from_collections_public_and_search(ctx: Context, tmp_path: Path) -> None:
    actors = make_actors(ctx)
    first, second = ingest_photos(ctx, tmp_path)
    with ctx.catalog.write() as session:
        for asset in session.scalars(select(Asset)):
            asset.workflow_state = WorkflowState.PUBLISHED
        album = Collection(title="Álbum", slug="album")
        session.add(album)
        session.flush()
        session.add_all([CollectionItem(collection_id=album.id, asset_id=i, position=n)
                         for n, i in enumerate((first, second))])
        trash.trash_assets(session, actors["editora"], [first])
        record_fixture_writes(session)
    with ctx.catalog.read() as session:
        album = session.scalars(select(Collection)).one()
        assert collection_assets(session, album).asset_ids == [second]
        assert list(session.scalars(select(Asset.id).where(public_clause(NOW)))) == [second]

    class Engine:  # the search index's writer, as apply_changes uses it
        deleted: set[int] = set()
        upserted: list[int] = []

        def writer(self):  # type: ignore[no-untyped-def]
            return self

        def delete(self, ids):  # type: ignore[no-untyped-def]
            Engine.deleted = set(ids)

        def upsert(self, docs):  # type: ignore[no-untyped-def]
            Engine.upserted = [d.asset_id for d in docs]

        def commit(self) -> None:
            pass

    apply_changes(ctx.catalog, Engine(), {first, second})  # type: ignore[arg-type]
    assert Engine.deleted == {first} and Engine.upserted == [second]


def test_purge_after_trash_days_removes_rows_files_and_store_record(any_ctx: Context,
                                                                    tmp_path: Path) -> None:
    actors = make_actors(any_ctx)
    first, second = ingest_photos(any_ctx, tmp_path)
    first_keys = keys_of(any_ctx, first)
    with any_ctx.catalog.read() as session:
        record = meta_key(session.get(Asset, first).sha256)
    assert record in first_keys
    assert set(first_keys) <= stored(any_ctx)
    assert any(k.startswith("renditions/") for k in first_keys)
    with any_ctx.catalog.write() as session:
        form = ConsentForm(persons=["Ana"])
        session.add(form)
        session.flush()
        session.add(ConsentAsset(consent_id=form.id, asset_id=first))
        session.add(FixityCheck(asset_id=first, ok=True))
        session.add(ShareLink(token_sha256="a" * 64, title="x", asset_ids=[first, second],
                              expires_at=NOW + dt.timedelta(days=3)))
        album = Collection(title="Álbum", slug="album", cover_asset_id=first)
        scan = ConsentForm(persons=["Luis"], document_asset_id=first)
        session.add_all([album, scan])
        session.flush()
        session.add(CollectionItem(collection_id=album.id, asset_id=first))
        batch_id = session.get(Asset, first).batch_id
        session.add(Upload(id="u1", user_id=actors["foto1"].user_id, batch_id=batch_id,
                           filename="p0.jpg", byte_size=1, asset_id=first))
        image = PublicationImage(asset_id=second, page=1, width=1, height=1, phash="0" * 16,
                                 phash_q0=0, phash_q1=0, phash_q2=0, phash_q3=0)
        session.add(image)
        session.flush()
        session.add(PublicationPhoto(publication_id=second, photo_id=first, image_id=image.id,
                                     page=1, distance=0))
        trash.trash_assets(session, actors["editora"], [first], NOW)
    stores = [any_ctx.store]
    # Not yet due: a day before the end nothing goes.
    early = trash.purge_due(any_ctx.catalog, stores, 30, NOW + dt.timedelta(days=29))
    assert early.purged == []
    report = trash.purge_due(any_ctx.catalog, stores, 30, NOW + dt.timedelta(days=30, hours=1))
    assert report.purged == [first]
    assert sorted(report.removal.deleted) == sorted(first_keys)
    assert not set(first_keys) & stored(any_ctx)
    assert set(keys_of(any_ctx, second)) <= stored(any_ctx)
    with any_ctx.catalog.read() as session:
        assert session.get(Asset, first) is None
        for model in (Rendition, ConsentAsset, FixityCheck, Job, CollectionItem):
            assert session.scalar(select(func.count()).select_from(model).where(
                model.asset_id == first)) == 0, model
        assert session.scalar(select(func.count()).select_from(PublicationPhoto)) == 0
        assert session.scalar(select(func.count()).select_from(PublicationImage)) == 1
        assert session.scalars(select(Collection.cover_asset_id)).one() is None
        assert session.get(Upload, "u1").asset_id is None
        assert session.scalars(select(ConsentForm.document_asset_id).where(
            ConsentForm.persons.is_not(None))).all() == [None, None]
        assert session.scalar(select(func.count()).select_from(IntakeItem).where(
            IntakeItem.asset_id == first)) == 0
        assert session.scalars(select(ShareLink)).one().asset_ids == [second]
        assert session.scalar(select(func.count()).select_from(ConsentForm)) == 2
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "purge")).one()
        assert (entry.asset_id, entry.username) == (first, "system")
    # The store's records no longer know it: a rebuild from the store would not bring it back.
    catch_up(any_ctx.catalog, any_ctx.store)
    assert record not in stored(any_ctx)


def test_a_file_another_asset_still_uses_is_kept(ctx: Context, tmp_path: Path) -> None:
    """Content-addressed: when two catalog rows point at one stored object, purging one of them
    leaves the object (as earlier versions of an asset will)."""
    actors = make_actors(ctx)
    first, second = ingest_photos(ctx, tmp_path)
    with ctx.catalog.write() as session:
        shared = session.get(Asset, first).original_key
        session.get(Asset, second).original_key = shared  # the same object, two rows
        trash.trash_assets(session, actors["editora"], [first], NOW)
        record_fixture_writes(session)
    report = trash.empty_trash(ctx.catalog, [ctx.store], actors["admin"])
    assert report.purged == [first]
    assert report.removal.kept == [shared]
    assert shared in stored(ctx)
    with ctx.catalog.write() as session, pytest.raises(trash.TrashError):
        trash.empty_trash(ctx.catalog, [ctx.store], actors["editora"])


def test_a_restored_asset_is_not_purged(ctx: Context, tmp_path: Path) -> None:
    actors = make_actors(ctx)
    (only,) = ingest_photos(ctx, tmp_path, count=1)
    with ctx.catalog.write() as session:
        trash.trash_assets(session, actors["editora"], [only], NOW)
        trash.restore_assets(session, actors["editora"], [only])
    report = trash.purge_due(ctx.catalog, [ctx.store], 30, NOW + dt.timedelta(days=90))
    assert report.purged == []
    assert set(keys_of(ctx, only)) <= stored(ctx)
