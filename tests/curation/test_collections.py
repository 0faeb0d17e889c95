"""Collections: slugs, adding, removing, ordering, covers, events, key pages, audit, permissions."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.curation import collections as coll
from dam.curation.actor import Actor
from dam.curation.audit import LogFilter, search_log
from dam.enums import CollectionKind, MediaType, Role
from dam.errors import NotFoundError
from dam.models import Asset, Collection, CollectionItem
from tests.changefeed_check import record_fixture_writes

EDITOR = Actor(user_id=None, username="editora", role=Role.EDITOR)
PHOTOGRAPHER = Actor(user_id=None, username="fotografa", role=Role.PHOTOGRAPHER)
VIEWER = Actor(user_id=None, username="prensa", role=Role.VIEWER)


def _assets(ctx: Context, count: int, event: str | None = None,
            taken: list[dt.datetime | None] | None = None) -> list[int]:
    with ctx.catalog.write() as session:
        assets = [
            Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO, byte_size=1,
                  original_filename=f"f{i}.jpg", original_key=f"originals/{i}", event=event,
                  taken_at=taken[i] if taken else None)
            for i in range(count)
        ]
        session.add_all(assets)
        session.flush()
        record_fixture_writes(session)
        return [a.id for a in assets]


def _album(ctx: Context, title: str = "Álbum", ids: list[int] | None = None) -> int:
    with ctx.catalog.write() as session:
        album = coll.create_album(session, EDITOR, title, "Descripción")
        if ids:
            coll.add_items(session, EDITOR, album.id, ids)
        return album.id


def _order(ctx: Context, collection_id: int) -> list[int]:
    with ctx.catalog.read() as session:
        collection = session.get(Collection, collection_id)
        return coll.collection_assets(session, collection, limit=10_000).asset_ids


def test_slugs_are_readable_and_unique(any_ctx: Context) -> None:
    assert coll.slugify("  Inauguración del Mercado Ñu!  ") == "inauguracion-del-mercado-nu"
    assert coll.slugify("🎉 ☀") == "coleccion"
    assert len(coll.slugify("a" * 300)) == coll.SLUG_MAX
    slugs = []
    for _ in range(3):
        with any_ctx.catalog.write() as session:
            slugs.append(coll.create_album(session, EDITOR, "Día del Niño").slug)
    assert slugs == ["dia-del-nino", "dia-del-nino-2", "dia-del-nino-3"]


def test_titles_are_required_and_bounded(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session:
        with pytest.raises(coll.CollectionError):
            coll.create_album(session, EDITOR, "   ")
        with pytest.raises(coll.CollectionError):
            coll.create_album(session, EDITOR, "x" * 501)
        album = coll.create_album(session, EDITOR, "مرحبا 👋 " + "a" * 400, "d" * 20_000)
        assert album.title.startswith("مرحبا 👋")


def test_add_appends_in_order_and_skips_members(any_ctx: Context) -> None:
    a, b, c, d = _assets(any_ctx, 4)
    album_id = _album(any_ctx, ids=[c, a])
    with any_ctx.catalog.write() as session:
        added = coll.add_items(session, EDITOR, album_id, [a, d, b, d])
    assert added == [d, b]
    assert _order(any_ctx, album_id) == [c, a, d, b]


def test_adding_an_unknown_asset_adds_nothing(any_ctx: Context) -> None:
    (a,) = _assets(any_ctx, 1)
    album_id = _album(any_ctx)
    with pytest.raises(coll.CollectionError), any_ctx.catalog.write() as session:
        coll.add_items(session, EDITOR, album_id, [a, 999_999])
    assert _order(any_ctx, album_id) == []


def test_unknown_collection_is_not_found(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session, pytest.raises(NotFoundError):
        coll.add_items(session, EDITOR, 12345, [])


def test_thousands_of_assets_are_added_in_one_go(any_ctx: Context) -> None:
    ids = _assets(any_ctx, 1200)
    album_id = _album(any_ctx, ids=ids)
    assert _order(any_ctx, album_id) == ids


def test_remove_takes_items_out_and_clears_the_cover(any_ctx: Context) -> None:
    a, b, c = _assets(any_ctx, 3)
    album_id = _album(any_ctx, ids=[a, b, c])
    with any_ctx.catalog.write() as session:
        coll.update(session, EDITOR, album_id, cover_asset_id=b)
        assert coll.remove_items(session, EDITOR, album_id, [b, 424242]) == [b]
    assert _order(any_ctx, album_id) == [a, c]
    with any_ctx.catalog.read() as session:
        assert session.get(Collection, album_id).cover_asset_id is None
        assert session.get(Asset, b) is not None  # the asset stays in the archive


def test_reorder_needs_a_permutation_of_the_members(any_ctx: Context) -> None:
    a, b, c, outsider = _assets(any_ctx, 4)
    album_id = _album(any_ctx, ids=[a, b, c])
    for bad in ([a, b], [a, b, c, c], [a, b, outsider], [a, b, c, outsider]):
        with pytest.raises(coll.CollectionError), any_ctx.catalog.write() as session:
            coll.reorder(session, EDITOR, album_id, bad)
    assert _order(any_ctx, album_id) == [a, b, c]
    with any_ctx.catalog.write() as session:
        coll.reorder(session, EDITOR, album_id, [c, a, b])
    assert _order(any_ctx, album_id) == [c, a, b]


def test_reorder_within_a_page_keeps_the_others_in_place(any_ctx: Context) -> None:
    a, b, c, d, e = _assets(any_ctx, 5)
    album_id = _album(any_ctx, ids=[a, b, c, d, e])
    with any_ctx.catalog.write() as session:
        coll.reorder(session, EDITOR, album_id, [d, b], within=True)
    assert _order(any_ctx, album_id) == [a, d, c, b, e]


def test_move_item_up_and_down(any_ctx: Context) -> None:
    a, b, c = _assets(any_ctx, 3)
    album_id = _album(any_ctx, ids=[a, b, c])
    with any_ctx.catalog.write() as session:
        coll.move_item(session, EDITOR, album_id, c, -1)
    assert _order(any_ctx, album_id) == [a, c, b]
    with any_ctx.catalog.write() as session:
        coll.move_item(session, EDITOR, album_id, a, -1)  # already first: nothing moves
        coll.move_item(session, EDITOR, album_id, a, +5)
    assert _order(any_ctx, album_id) == [c, b, a]


def test_cover_must_be_a_member(any_ctx: Context) -> None:
    a, outsider = _assets(any_ctx, 2)
    album_id = _album(any_ctx, ids=[a])
    with pytest.raises(coll.CollectionError), any_ctx.catalog.write() as session:
        coll.update(session, EDITOR, album_id, cover_asset_id=outsider)
    with any_ctx.catalog.write() as session:
        coll.update(session, EDITOR, album_id, cover_asset_id=a, title="Nuevo",
                    description="")
    with any_ctx.catalog.read() as session:
        album = session.get(Collection, album_id)
        assert (album.cover_asset_id, album.title, album.description) == (a, "Nuevo", None)


def test_event_collection_holds_the_event_and_hand_picked_assets(any_ctx: Context) -> None:
    day = dt.datetime(2025, 3, 14, 10)
    late, early, undated = _assets(any_ctx, 3, event="Feria del Libro",
                                   taken=[day + dt.timedelta(hours=2), day, None])
    (other,) = _assets(any_ctx, 1, event="Otro", taken=[day + dt.timedelta(hours=1)])
    with any_ctx.catalog.write() as session:
        assert coll.event_collection(session, "Feria del Libro", create=False) is None
        event = coll.event_collection(session, "Feria del Libro", actor=EDITOR)
        assert (event.kind, event.slug, event.title) == (
            CollectionKind.EVENT, "feria-del-libro", "Feria del Libro")
        assert coll.add_items(session, EDITOR, event.id, [late, other]) == [other]
        event_id = event.id
    assert _order(any_ctx, event_id) == [early, other, late, undated]
    with any_ctx.catalog.write() as session:
        assert coll.event_collection(session, "Feria del Libro").id == event_id  # one per event
        assert coll.remove_items(session, EDITOR, event_id, [early, other]) == [other]
        with pytest.raises(coll.CollectionError):
            coll.reorder(session, EDITOR, event_id, [undated, late, early])
    assert _order(any_ctx, event_id) == [early, late, undated]


def test_an_event_nobody_photographed_has_no_collection(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session, pytest.raises(NotFoundError):
        coll.event_collection(session, "No existe")


def test_key_pages_cover_every_member_once(any_ctx: Context) -> None:
    base = dt.datetime(2025, 1, 1)
    taken = [base + dt.timedelta(minutes=i // 3) for i in range(23)] + [None] * 4
    ids = _assets(any_ctx, len(taken), event="Pag", taken=taken)
    album_id = _album(any_ctx, ids=list(reversed(ids)))
    with any_ctx.catalog.write() as session:
        event_id = coll.event_collection(session, "Pag").id
    for collection_id, expected in ((album_id, list(reversed(ids))), (event_id, ids)):
        seen, after = [], None
        with any_ctx.catalog.read() as session:
            collection = session.get(Collection, collection_id)
            while True:
                page = coll.collection_assets(session, collection, after=after, limit=5)
                seen += page.asset_ids
                if page.next_after is None:
                    break
                assert page.next_after == page.asset_ids[-1]
                after = page.next_after
        assert seen == expected


def test_pages_and_counts_leave_out_what_the_reader_may_not_see(any_ctx: Context) -> None:
    a, b, c = _assets(any_ctx, 3)
    album_id = _album(any_ctx, ids=[a, b, c])
    with any_ctx.catalog.write() as session:
        coll.update(session, EDITOR, album_id, cover_asset_id=a)
    hidden = Asset.id != a
    with any_ctx.catalog.read() as session:
        album = session.get(Collection, album_id)
        assert coll.collection_assets(session, album, visible=hidden).asset_ids == [b, c]
        (summary,) = coll.list_collections(session, visible=hidden)
        assert (summary.count, summary.cover_asset_id) == (2, b)


def test_list_is_newest_first_with_counts_and_covers(any_ctx: Context) -> None:
    a, b = _assets(any_ctx, 2, event="Evento")
    first = _album(any_ctx, "Primero", [b, a])
    second = _album(any_ctx, "Segundo")
    with any_ctx.catalog.write() as session:
        event_id = coll.event_collection(session, "Evento").id
        coll.add_items(session, EDITOR, event_id, [a])  # already a member: not counted twice
    with any_ctx.catalog.read() as session:
        listed = coll.list_collections(session)
        albums = coll.list_collections(session, CollectionKind.ALBUM)
        older = coll.list_collections(session, before=second)
    assert [(s.id, s.count, s.cover_asset_id) for s in listed] == [
        (event_id, 2, a), (second, 0, None), (first, 2, b)]
    assert [s.id for s in albums] == [second, first]
    assert [s.id for s in older] == [first]


def test_collections_of_an_asset(any_ctx: Context) -> None:
    a, lone = _assets(any_ctx, 2, event="Evento")
    zeta, alfa = _album(any_ctx, "Zeta", [a]), _album(any_ctx, "alfa", [a])
    with any_ctx.catalog.write() as session:
        event_id = coll.event_collection(session, "Evento").id
    with any_ctx.catalog.read() as session:
        assert [c.id for c in coll.collections_of(session, a)] == [event_id, alfa, zeta]
        assert [c.id for c in coll.collections_of(session, lone)] == [event_id]
        assert coll.album_choices(session) == [(alfa, "alfa"), (zeta, "Zeta")]


def test_every_change_is_in_the_audit_log(any_ctx: Context) -> None:
    a, b = _assets(any_ctx, 2)
    actor = Actor(user_id=None, username="editora", role=Role.EDITOR)
    album_id = _album(any_ctx, ids=[a, b])
    with any_ctx.catalog.write() as session:
        coll.update(session, actor, album_id, title="Otro título", cover_asset_id=a)
        coll.remove_items(session, actor, album_id, [b])
    with any_ctx.catalog.read() as session:
        entries = search_log(session, LogFilter(collection_id=album_id))
        by_action = sorted((e.action, e.asset_id, e.field) for e in entries)
        assert by_action == sorted([
            ("collection", None, "created"), ("collection_add", a, None),
            ("collection_add", b, None), ("collection", None, "title"),
            ("collection", None, "cover_asset_id"), ("collection_remove", b, None),
        ])
        title = next(e for e in entries if e.field == "title")
        assert (title.old_value, title.new_value, title.username) == (
            "Álbum", "Otro título", "editora")
    with any_ctx.catalog.write() as session:
        coll.delete(session, actor, album_id)
    with any_ctx.catalog.read() as session:
        assert session.get(Collection, album_id) is None
        assert session.scalars(select(CollectionItem)).all() == []
        removed = search_log(session, LogFilter(asset_id=a, action="collection_remove"))
        assert [e.collection_id for e in removed] == [album_id]


@pytest.mark.parametrize("actor", [PHOTOGRAPHER, VIEWER])
def test_only_editors_change_collections(any_ctx: Context, actor: Actor) -> None:
    (a,) = _assets(any_ctx, 1, event="Evento")
    album_id = _album(any_ctx, ids=[a])
    attempts = [
        lambda s: coll.create_album(s, actor, "Mío"),
        lambda s: coll.update(s, actor, album_id, title="Mío"),
        lambda s: coll.add_items(s, actor, album_id, [a]),
        lambda s: coll.remove_items(s, actor, album_id, [a]),
        lambda s: coll.reorder(s, actor, album_id, [a]),
        lambda s: coll.delete(s, actor, album_id),
        lambda s: coll.event_collection(s, "Evento", actor=actor),
    ]
    for attempt in attempts:
        with pytest.raises(coll.CollectionPermissionError), any_ctx.catalog.write() as session:
            attempt(session)
    assert _order(any_ctx, album_id) == [a]
