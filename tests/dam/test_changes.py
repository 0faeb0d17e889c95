"""The change feed: the services that change assets record them, in order, in their own
transaction; a fixity check records nothing; a write that forgets to record fails the tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest

from dam import changes
from dam.changes import changes_since, last_seq
from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.curation.edits import edit_asset
from dam.curation.removal import delete_asset_rows
from dam.enums import AssetState, MediaType
from dam.fixity import run_fixity
from dam.fixity_schedule import rolling_fixity
from dam.models import Asset, Batch
from storage.keys import original_key
from tests import changefeed_check


def _new_asset(ctx: Context, **values: object) -> int:
    with ctx.catalog.write() as session:
        asset = Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO, byte_size=1,
                      original_filename="a.jpg", original_key="originals/x", **values)
        session.add(asset)
        changes.record(session, [asset], "created")
        return asset.id


def test_creates_updates_and_deletes_are_fed_in_order(any_ctx: Context) -> None:
    start = last_seq(any_ctx.catalog)
    first, second = _new_asset(any_ctx), _new_asset(any_ctx)
    with any_ctx.catalog.write() as session:
        edit_asset(session, SYSTEM, first, {"caption": "Inauguración del mercado"}, 1)
    with any_ctx.catalog.write() as session:
        delete_asset_rows(session, [second])
    feed = changes_since(any_ctx.catalog, start)
    assert [(a, k) for _, a, k in feed] == [
        (first, "created"), (second, "created"), (first, "updated"), (second, "deleted")
    ]
    assert [s for s, _, _ in feed] == sorted(s for s, _, _ in feed)
    assert changes_since(any_ctx.catalog, feed[-1][0]) == []


def test_one_row_per_asset_and_transaction_however_often_it_is_recorded(ctx: Context) -> None:
    asset_id = _new_asset(ctx)
    start = last_seq(ctx.catalog)
    with ctx.catalog.write() as session:
        assert changes.record(session, [asset_id, asset_id], "updated") == 1
        assert changes.record(session, [asset_id], "updated") == 0
        edit_asset(session, SYSTEM, asset_id, {"caption": "Uno", "headline": "Dos"}, 1)
        assert changes.recorded(session) == {asset_id: "updated"}
        assert changes.record(session, [asset_id], "deleted") == 1  # a deletion always is
    with ctx.catalog.write() as session:  # a new transaction remembers nothing of the last
        assert changes.recorded(session) == {}
        assert changes.record(session, [asset_id], "updated") == 1
    assert [k for _, _, k in changes_since(ctx.catalog, start)] == [
        "updated", "deleted", "updated"]
    with pytest.raises(ValueError), ctx.catalog.write() as session:
        changes.record(session, [asset_id], "renamed")  # type: ignore[arg-type]


def test_a_rolled_back_write_leaves_no_change(ctx: Context) -> None:
    asset_id = _new_asset(ctx)
    seq = last_seq(ctx.catalog)
    with pytest.raises(RuntimeError), ctx.catalog.write() as session:
        edit_asset(session, SYSTEM, asset_id, {"caption": "Nunca"}, 1)
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
        changes.record(session, [asset], "created")
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


@pytest.fixture
def caught() -> list[str]:
    """The violations a test provokes on purpose (kept from failing it afterwards)."""
    yield changefeed_check.VIOLATIONS
    changefeed_check.VIOLATIONS.clear()


def test_the_suite_refuses_a_write_that_records_nothing(any_ctx: Context,
                                                        caught: list[str]) -> None:
    asset_id = _new_asset(any_ctx)
    start = last_seq(any_ctx.catalog)
    with pytest.raises(AssertionError, match=f"asset {asset_id}: changed caption"), \
            any_ctx.catalog.write() as session:
        session.get(Asset, asset_id).caption = "Sin registro"
    with pytest.raises(AssertionError, match="new asset"), any_ctx.catalog.write() as session:
        session.add(Asset(sha256=secrets.token_hex(32), byte_size=1, original_filename="b.jpg",
                          original_key="originals/y"))
    with pytest.raises(AssertionError, match="deleted asset"), \
            any_ctx.catalog.write() as session:
        session.delete(session.get(Asset, asset_id))
    assert len(caught) == 3
    assert changes_since(any_ctx.catalog, start) == []  # nothing of it was committed
    with any_ctx.catalog.read() as session:
        assert session.get(Asset, asset_id).caption is None


def test_a_batch_change_must_record_every_asset_of_the_batch(any_ctx: Context,
                                                             caught: list[str]) -> None:
    with any_ctx.catalog.write() as session:
        batch = Batch(event="Feria", event_date=dt.date(2025, 3, 1))
        session.add(batch)
        session.flush()
        batch_id = batch.id
    ids = [_new_asset(any_ctx, batch_id=batch_id), _new_asset(any_ctx, batch_id=batch_id)]
    with pytest.raises(AssertionError, match="changed its batch's event"), \
            any_ctx.catalog.write() as session:
        session.get(Batch, batch_id).event = "Feria del empleo"
    assert len(caught) == 1
    start = last_seq(any_ctx.catalog)
    with any_ctx.catalog.write() as session:
        session.get(Batch, batch_id).event = "Feria del empleo"
        assert changes.record_batch(session, batch_id) == 2
    assert sorted(a for _, a, _ in changes_since(any_ctx.catalog, start)) == ids
