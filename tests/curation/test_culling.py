"""Culling marks and loupe sequences: values, permissions, audit, filters, order per source."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import false, func, insert, select, true

from dam.context import Context
from dam.curation import culling
from dam.curation.actor import SYSTEM, Actor
from dam.curation.audit import asset_history
from dam.curation.culling import (
    CullError,
    CullPermissionError,
    MarkValueError,
    loupe_sequence,
    mark_filter,
    next_color,
    set_marks,
)
from dam.enums import CollectionKind, ColorLabel, CullMark
from dam.errors import NotFoundError
from dam.models import Asset, Batch, Collection, CollectionItem
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors


def _users(ctx: Context) -> dict[str, Actor]:
    return make_actors(ctx)


def _assets(ctx: Context, taken: list[dt.datetime | None], owner: int | None = None,
            event: str = "Jornada de limpieza") -> list[int]:
    """One batch owned by ``owner`` with one asset per ``taken`` time, ids in that order."""
    with ctx.catalog.write() as session:
        batch = Batch(event=event, user_id=owner)
        session.add(batch)
        session.flush()
        first = (session.scalar(select(func.max(Asset.id))) or 0) + 1
        rows = [{"sha256": f"{first + i:064x}", "byte_size": 10, "original_filename": f"f{i}.jpg",
                 "original_key": f"originals/{first + i}", "batch_id": batch.id, "event": event,
                 "taken_at": moment, "keywords": [], "persons_shown": [], "edited_fields": []}
                for i, moment in enumerate(taken)]
        session.execute(insert(Asset), rows)
        record_fixture_writes(session)
        return list(session.scalars(select(Asset.id).where(Asset.batch_id == batch.id)
                                    .order_by(Asset.id)))


def _batch_of(ctx: Context, asset_id: int) -> int:
    with ctx.catalog.read() as session:
        return session.get(Asset, asset_id).batch_id


def _marks(ctx: Context, asset_id: int) -> tuple[int, int, str | None, int]:
    with ctx.catalog.read() as session:
        a = session.get(Asset, asset_id)
        return a.rating, a.cull_mark, a.color_label, a.edit_version


@pytest.fixture
def actors(any_ctx: Context) -> dict[str, Actor]:
    return _users(any_ctx)


def _day(hour: int) -> dt.datetime:
    return dt.datetime(2025, 3, 14, hour, 0)


def test_marks_are_saved_audited_and_do_not_bump_the_version(any_ctx, actors) -> None:
    [asset_id] = _assets(any_ctx, [_day(10)])
    editor = actors["editora"]
    with any_ctx.catalog.write() as session:
        marks = set_marks(session, editor, asset_id, rating=4, cull_mark=CullMark.PICKED,
                          color_label="green")
    assert marks.as_dict() == {"rating": 4, "cull_mark": 1, "color_label": "green"}
    assert _marks(any_ctx, asset_id) == (4, 1, ColorLabel.GREEN, 1)

    with any_ctx.catalog.write() as session:  # only what changes is logged; "" clears colour
        set_marks(session, editor, asset_id, rating=4, cull_mark=-1, color_label="")
    assert _marks(any_ctx, asset_id) == (4, -1, None, 1)

    with any_ctx.catalog.read() as session:
        history = [(e.action, e.field, e.old_value, e.new_value, e.username)
                   for e in reversed(asset_history(session, asset_id))]
    assert history == [
        ("cull", "rating", 0, 4, "editora"),
        ("cull", "cull_mark", 0, 1, "editora"),
        ("cull", "color_label", None, "green", "editora"),
        ("cull", "cull_mark", 1, -1, "editora"),
        ("cull", "color_label", "green", None, "editora"),
    ]


def test_none_leaves_a_mark_as_it_is(any_ctx, actors) -> None:
    [asset_id] = _assets(any_ctx, [_day(10)])
    with any_ctx.catalog.write() as session:
        set_marks(session, SYSTEM, asset_id, rating=2, color_label="red")
    with any_ctx.catalog.write() as session:
        set_marks(session, actors["editora"], asset_id, cull_mark=1)
    assert _marks(any_ctx, asset_id)[:3] == (2, 1, ColorLabel.RED)


@pytest.mark.parametrize("values", [
    {"rating": 6}, {"rating": -1}, {"rating": True}, {"rating": "3"}, {"cull_mark": 2},
    {"cull_mark": "1"}, {"color_label": "pink"}, {"color_label": 3},
])
def test_bad_values_are_refused_and_nothing_changes(any_ctx, actors, values) -> None:
    [asset_id] = _assets(any_ctx, [_day(10)])
    with pytest.raises(MarkValueError), any_ctx.catalog.write() as session:
        set_marks(session, actors["editora"], asset_id, **{"cull_mark": 1, **values})
    assert _marks(any_ctx, asset_id)[:3] == (0, 0, None)


def test_photographers_mark_only_their_own_batches_and_viewers_nothing(any_ctx, actors) -> None:
    [own] = _assets(any_ctx, [_day(10)], owner=actors["foto1"].user_id)
    [other] = _assets(any_ctx, [_day(10)], owner=actors["foto2"].user_id)
    [cli] = _assets(any_ctx, [_day(10)], owner=None)
    with any_ctx.catalog.write() as session:
        set_marks(session, actors["foto1"], own, rating=5)
    for actor, asset_id in ((actors["foto1"], other), (actors["foto1"], cli),
                            (actors["prensa"], own)):
        with pytest.raises(CullPermissionError), any_ctx.catalog.write() as session:
            set_marks(session, actor, asset_id, rating=1)
    with any_ctx.catalog.write() as session:
        set_marks(session, actors["editora"], other, rating=3)
    assert [_marks(any_ctx, i)[0] for i in (own, other, cli)] == [5, 3, 0]


def test_a_missing_asset_is_not_found(any_ctx, actors) -> None:
    with pytest.raises(NotFoundError), any_ctx.catalog.write() as session:
        set_marks(session, actors["editora"], 999_999, rating=1)


def test_colour_cycle_goes_round_through_none() -> None:
    seen, colour = [], None
    for _ in range(6):
        colour = next_color(colour)
        seen.append(colour)
    assert seen == ["red", "yellow", "green", "blue", "purple", None]


def _mark_all(ctx: Context, marks: dict[int, dict[str, object]]) -> None:
    with ctx.catalog.write() as session:
        for asset_id, values in marks.items():
            set_marks(session, SYSTEM, asset_id, **values)


def test_mark_filter_selects_by_stars_picks_and_colour(any_ctx) -> None:
    a, b, c, d = _assets(any_ctx, [_day(h) for h in (10, 11, 12, 13)])
    _mark_all(any_ctx, {a: {"rating": 5, "cull_mark": 1, "color_label": "red"},
                        b: {"rating": 3, "cull_mark": -1},
                        c: {"rating": 1, "color_label": "blue"}})

    def found(**kw: object) -> list[int]:
        with any_ctx.catalog.read() as session:
            return list(session.scalars(select(Asset.id).where(mark_filter(**kw))
                                        .order_by(Asset.id)))

    assert found() == [a, b, c, d]
    assert found(min_rating=3) == [a, b]
    assert found(picks="picked") == [a]
    assert found(picks="rejected") == [b]
    assert found(picks="unmarked") == [c, d]
    assert found(color="blue") == [c]
    assert found(color="none") == [b, d]
    assert found(min_rating=1, picks="unmarked", color="blue") == [c]
    for bad in ({"min_rating": 9}, {"picks": "kept"}, {"color": "pink"}):
        with pytest.raises(MarkValueError):
            mark_filter(**bad)


def test_a_batch_is_in_time_order_undated_last(any_ctx) -> None:
    late, undated, early, same_time = _assets(any_ctx, [_day(15), None, _day(9), _day(15)])
    batch_id = _batch_of(any_ctx, late)
    with any_ctx.catalog.read() as session:
        ids = loupe_sequence(session, f"batch:{batch_id}", true(), true())
        picked = loupe_sequence(session, f"batch:{batch_id}", mark_filter(min_rating=1), true())
        hidden = loupe_sequence(session, f"batch:{batch_id}", true(), false())
    assert ids == [early, late, same_time, undated]
    assert picked == [] and hidden == []


def test_an_event_and_a_list_of_ids(any_ctx) -> None:
    x1, x2 = _assets(any_ctx, [_day(12), _day(8)], event="Feria del empleo")
    [other] = _assets(any_ctx, [_day(7)], event="Otro evento")
    _mark_all(any_ctx, {x1: {"cull_mark": 1}})
    with any_ctx.catalog.read() as session:
        assert loupe_sequence(session, "event:Feria del empleo", true(), true()) == [x2, x1]
        assert loupe_sequence(session, f"ids:{other},{x1},999999,{other},{x2}", true(),
                              true()) == [other, x1, x2]
        assert loupe_sequence(session, f"ids:{other},{x1},{x2}",
                              mark_filter(picks="picked"), true()) == [x1]
        assert loupe_sequence(session, "event:Nadie", true(), true()) == []


def test_a_long_list_of_ids_goes_to_sql_in_chunks(any_ctx) -> None:
    ids = _assets(any_ctx, [_day(10)] * 3)
    given = list(reversed(ids)) + list(range(10_000_000, 10_000_000 + 2 * culling.CHUNK))
    with any_ctx.catalog.read() as session:
        assert loupe_sequence(session, "ids:" + ",".join(map(str, given)), true(),
                              true()) == list(reversed(ids))


def test_collections_by_position_and_event_collections_with_their_items(any_ctx) -> None:
    e1, e2 = _assets(any_ctx, [_day(11), _day(10)], event="Informe de gobierno")
    [loose, extra] = _assets(any_ctx, [_day(9), _day(8)], event="Otro")
    with any_ctx.catalog.write() as session:
        album = Collection(title="Portada", slug="portada")
        event = Collection(title="Informe", slug="informe", kind=CollectionKind.EVENT,
                           event="Informe de gobierno")
        session.add_all([album, event])
        session.flush()
        session.add_all([CollectionItem(collection_id=album.id, asset_id=extra, position=2),
                         CollectionItem(collection_id=album.id, asset_id=e1, position=0),
                         CollectionItem(collection_id=album.id, asset_id=loose, position=1),
                         CollectionItem(collection_id=event.id, asset_id=loose, position=0),
                         CollectionItem(collection_id=event.id, asset_id=e1, position=1)])
        album_id, event_id = album.id, event.id
    with any_ctx.catalog.read() as session:
        assert loupe_sequence(session, f"collection:{album_id}", true(), true()) == [
            e1, loose, extra]
        assert loupe_sequence(session, f"collection:{event_id}", true(), true()) == [
            e2, e1, loose]


@pytest.mark.parametrize("source", ["batch:999999", "collection:999999"])
def test_a_missing_batch_or_collection_is_not_found(any_ctx, source) -> None:
    with pytest.raises(NotFoundError), any_ctx.catalog.read() as session:
        loupe_sequence(session, source, true(), true())


@pytest.mark.parametrize("source", ["", "batch:", "batch:abc", "album:1", "ids:1,x",
                                    "ids:-3", "event:  ", "search:mercado"])
def test_unknown_or_malformed_sources_are_refused(any_ctx, source) -> None:
    with pytest.raises(CullError), any_ctx.catalog.read() as session:
        loupe_sequence(session, source, true(), true())
