"""The change feed records every asset write that readers follow, in order, in the writer's own
transaction; a fixity check is not one."""

from __future__ import annotations

import hashlib
import secrets

import pytest

from dam.changes import changes_since, last_seq
from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.curation.edits import edit_asset
from dam.enums import AssetState, MediaType
from dam.fixity import run_fixity
from dam.fixity_schedule import rolling_fixity
from dam.models import Asset
from storage.keys import original_key


def _new_asset(ctx: Context) -> int:
    with ctx.catalog.write() as session:
        asset = Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO, byte_size=1,
                      original_filename="a.jpg", original_key="originals/x")
        session.add(asset)
        session.flush()
        return asset.id


def test_creates_updates_and_deletes_are_fed_in_order(any_ctx: Context) -> None:
    start = last_seq(any_ctx.catalog)
    first, second = _new_asset(any_ctx), _new_asset(any_ctx)
    with any_ctx.catalog.write() as session:
        session.get(Asset, first).caption = "Inauguración del mercado"
    with any_ctx.catalog.write() as session:
        session.delete(session.get(Asset, second))
    feed = changes_since(any_ctx.catalog, start)
    assert [(a, k) for _, a, k in feed] == [
        (first, "created"), (second, "created"), (first, "updated"), (second, "deleted")
    ]
    assert [s for s, _, _ in feed] == sorted(s for s, _, _ in feed)
    assert changes_since(any_ctx.catalog, feed[-1][0]) == []


def test_a_rolled_back_write_leaves_no_change(ctx: Context) -> None:
    asset_id = _new_asset(ctx)
    seq = last_seq(ctx.catalog)
    with pytest.raises(RuntimeError), ctx.catalog.write() as session:
        session.get(Asset, asset_id).state = AssetState.READY
        session.flush()
        raise RuntimeError("boom")
    assert changes_since(ctx.catalog, seq) == []


def _stored_asset(ctx: Context, data: bytes) -> int:
    sha256 = hashlib.sha256(data).hexdigest()
    key = original_key(sha256)
    ctx.store.put_bytes(key, data)
    with ctx.catalog.write() as session:
        asset = Asset(sha256=sha256, media_type=MediaType.PHOTO, byte_size=len(data),
                      original_filename="a.jpg", original_key=key, state=AssetState.READY)
        session.add(asset)
        session.flush()
        return asset.id


def test_a_fixity_check_is_not_a_change_but_an_edit_is(any_ctx: Context) -> None:
    asset_id = _stored_asset(any_ctx, b"the original's bytes")
    start = last_seq(any_ctx.catalog)

    assert run_fixity(any_ctx.catalog, any_ctx.store).ok == 1
    assert rolling_fixity(any_ctx.catalog, any_ctx.store, any_ctx.settings, limit=10).ok == 1
    with any_ctx.catalog.read() as session:
        assert session.get(Asset, asset_id).fixity_checked_at is not None
    assert changes_since(any_ctx.catalog, start) == []

    with any_ctx.catalog.write() as session:
        edit_asset(session, SYSTEM, asset_id, {"caption": "Jornada de bacheo"},
                   expected_version=1)
    assert [(a, k) for _, a, k in changes_since(any_ctx.catalog, start)] == [
        (asset_id, "updated")]


def test_a_damaged_original_found_by_fixity_is_not_a_change_either(ctx: Context) -> None:
    asset_id = _stored_asset(ctx, b"bytes that will rot")
    with ctx.catalog.read() as session:
        key = session.get(Asset, asset_id).original_key
    ctx.store.put_bytes(key, b"bytes that did rot!")
    start = last_seq(ctx.catalog)
    assert run_fixity(ctx.catalog, ctx.store).problems
    assert changes_since(ctx.catalog, start) == []
