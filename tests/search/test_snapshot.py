"""A node that joins later starts from the index snapshot the nodes publish to the store."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path

import pytest

from dam.config import Settings
from dam.context import Context, open_context
from dam.enums import MediaType
from dam.models import Asset
from dam.search import snapshot
from dam.search.service import SearchService
from dam.search.store import IndexLocation, read_meta
from tests.changefeed_check import record_fixture_writes
from tests.conftest import init_catalog
from web.housekeeping import publish_search_snapshot


def _add(ctx: Context, caption: str) -> int:
    with ctx.catalog.write() as session:
        asset = Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO, byte_size=1,
                      original_filename="DSC_0001.JPG", original_key="originals/x",
                      caption=caption, creator="Ana Peña")
        session.add(asset)
        session.flush()
        record_fixture_writes(session)
        return asset.id


def _node(ctx: Context, engine: str, folder: Path) -> SearchService:
    settings = ctx.settings.replace(search_engine=engine, index_path=folder)
    return SearchService(settings, ctx.catalog, refresh_seconds=0.0, store=ctx.store)


def _ids(svc: SearchService, query: str) -> set[int]:
    return {h.asset_id for h in svc.search(query, per_page=200).hits}


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_a_joining_node_starts_from_the_snapshot_then_follows_the_feed(
        any_ctx: Context, tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _add(any_ctx, "Inauguración del mercado de Santa Cruz")
    old_node = _node(any_ctx, engine, tmp_path / "nodo-a")
    try:
        assert _ids(old_node, "mercado") == {first}
        published = snapshot.publish(old_node.location, any_ctx.store)
    finally:
        old_node.close()
    assert published is not None and published.engine == engine
    later = _add(any_ctx, "Mercado sobre ruedas en la colonia Centro")  # after the snapshot

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the joining node rebuilt instead of using the snapshot")

    monkeypatch.setattr("dam.search.service.rebuild_holding_lock", no_rebuild)
    new_node = _node(any_ctx, engine, tmp_path / "nodo-b")
    try:
        assert _ids(new_node, "mercado") == {first}  # the snapshot, as it was published
        generation = new_node.location.current()
        assert generation is not None
        assert read_meta(generation).last_seq == published.last_seq  # type: ignore[union-attr]
        new_node.sync()
        assert _ids(new_node, "mercado") == {first, later}  # then the feed since
    finally:
        new_node.close()


def test_a_damaged_or_foreign_snapshot_is_not_used(any_ctx: Context, tmp_path: Path) -> None:
    asset_id = _add(any_ctx, "Jornada de bacheo en San Lorenzo Tezonco")
    node = _node(any_ctx, "whoosh", tmp_path / "nodo-a")
    try:
        node.engine()
        published = snapshot.publish(node.location, any_ctx.store)
    finally:
        node.close()
    assert published is not None
    pointer = f"{snapshot.PREFIX}whoosh-v{published.schema_version}/{snapshot.POINTER}"
    damaged = dict(json.loads(any_ctx.store.read_bytes(pointer)), sha256="0" * 64)
    any_ctx.store.put_bytes(pointer, json.dumps(damaged).encode())
    location = IndexLocation(tmp_path / "nodo-b")

    assert snapshot.join(location, any_ctx.store, "whoosh") is None
    assert location.current() is None and list(location.root.glob("gen-*")) == []
    assert snapshot.join(location, any_ctx.store, "tantivy") is None  # none of that engine
    rebuilt = _node(any_ctx, "whoosh", tmp_path / "nodo-b")
    try:
        assert _ids(rebuilt, "bacheo") == {asset_id}  # rebuilt from the catalog instead
    finally:
        rebuilt.close()


def test_old_snapshots_are_pruned_and_due_follows_the_setting(any_ctx: Context,
                                                              tmp_path: Path) -> None:
    _add(any_ctx, "Entrega de luminarias")
    node = _node(any_ctx, "whoosh", tmp_path / "nodo-a")
    try:
        node.engine()
        assert snapshot.is_due(any_ctx.store, "whoosh", dt.timedelta(hours=24))
        keys = []
        for _ in range(3):
            published = snapshot.publish(node.location, any_ctx.store)
            assert published is not None
            keys.append(published.key)
    finally:
        node.close()
    kept = sorted(i.key for i in any_ctx.store.list(snapshot.PREFIX) if i.key.endswith(".tar"))
    assert len(kept) <= snapshot.KEEP and keys[-1] in kept
    assert snapshot.latest(any_ctx.store, "whoosh").key == keys[-1]  # type: ignore[union-attr]
    assert not snapshot.is_due(any_ctx.store, "whoosh", dt.timedelta(hours=24))
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    assert snapshot.is_due(any_ctx.store, "whoosh", dt.timedelta(hours=24), tomorrow)


def test_housekeeping_publishes_to_a_shared_store_when_due(
        settings: Settings, s3_bucket: tuple[str, str]) -> None:
    """On S3 the node's housekeeping publishes once a period; on a local folder never."""
    endpoint, bucket = s3_bucket
    local = settings.replace(search_snapshot_hours=24.0)
    init_catalog(local)
    ctx = open_context(local)
    try:
        _add(ctx, "Entrega de luminarias")
        node = SearchService(ctx.settings, ctx.catalog, refresh_seconds=0.0)
        node.engine()
        node.close()
        assert publish_search_snapshot(ctx, dt.datetime.now(dt.UTC)) is False  # local store
    finally:
        ctx.close()
    ctx = open_context(local.replace(store_url=f"s3://{bucket}/archivo",
                                     s3_endpoint_url=endpoint))
    try:
        now = dt.datetime.now(dt.UTC)
        assert publish_search_snapshot(ctx, now) is True
        assert publish_search_snapshot(ctx, now + dt.timedelta(hours=1)) is False  # not due
        assert publish_search_snapshot(ctx, now + dt.timedelta(hours=25)) is True
        ctx.settings = ctx.settings.replace(search_snapshot_hours=0.0)
        assert publish_search_snapshot(ctx, now + dt.timedelta(days=9)) is False
    finally:
        ctx.close()
