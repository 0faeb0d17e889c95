"""The change feed records every asset write, in order, in the writer's own transaction."""

from __future__ import annotations

import secrets

import pytest

from dam.changes import changes_since, last_seq
from dam.context import Context
from dam.enums import AssetState, MediaType
from dam.models import Asset


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
