"""Collection pages: the list, an album, adding from a selection, order, cover, events, refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from dam.models import AuditEntry, Collection, CollectionItem
from tests.web.conftest import (
    Archive,
    add_photos,
    csrf,
    ctx_of,
    post_form,
    signed_in,
    use_english,
)


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)  # these tests read the pages' English text


def _order(app: Flask, collection_id: int) -> list[int]:
    with ctx_of(app).catalog.read() as session:
        return list(session.scalars(
            select(CollectionItem.asset_id).where(CollectionItem.collection_id == collection_id)
            .order_by(CollectionItem.position)
        ))


def _album(client: FlaskClient, title: str = "Recorrido", ids: list[int] | None = None) -> int:
    response = post_form(client, "/colecciones/nueva", title=title, description="Un álbum")
    assert response.status_code == 302
    collection_id = int(response.headers["Location"].rsplit("/", 1)[1])
    if ids:
        post_form(client, "/colecciones/agregar", collection_id=collection_id, asset_id=ids)
    return collection_id


def test_an_editor_makes_an_album_and_fills_it_from_a_selection(
        app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    assert client.get("/colecciones/nueva").status_code == 200
    album = _album(client)
    a, b, c = archive.asset_ids
    response = post_form(client, "/colecciones/agregar", collection_id=album, asset_id=[c, a],
                     next="/cargas")
    assert (response.status_code, response.headers["Location"]) == (302, "/cargas")
    assert "2 items added to Recorrido" in client.get("/cargas").get_data(as_text=True)
    post_form(client, "/colecciones/agregar", collection_id=album, asset_id=[a, b])
    assert _order(app, album) == [c, a, b]
    page = client.get(f"/colecciones/{album}").get_data(as_text=True)
    assert "Recorrido" in page and "Un álbum" in page
    assert [int(i) for i in re.findall(r'data-asset-id="(\d+)"', page)] == [c, a, b]
    index = client.get("/colecciones").get_data(as_text=True)
    assert f'href="/colecciones/{album}"' in index
    assert re.search(r'class="collection-count">3\b', index)
    assert "/files/renditions/" in index  # the cover's thumbnail


def test_a_new_album_can_be_made_while_adding(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    response = post_form(client, "/colecciones/agregar", new_title="Día de la Mujer",
                     asset_id=archive.asset_ids[:2])
    assert response.status_code == 302
    with ctx_of(app).catalog.read() as session:
        album_id, slug = session.execute(select(Collection.id, Collection.slug)).one()
    assert slug == "dia-de-la-mujer"
    assert _order(app, album_id) == archive.asset_ids[:2]


def test_reorder_remove_and_cover(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    a, b, c = archive.asset_ids
    album = _album(client, ids=[a, b, c])
    assert post_form(client, f"/colecciones/{album}/ordenar", asset_id=[c, a, b]).status_code == 302
    assert _order(app, album) == [c, a, b]
    post_form(client, f"/colecciones/{album}/ordenar", asset_id=b, direction="up")
    assert _order(app, album) == [c, b, a]
    response = client.post(f"/colecciones/{album}/ordenar",
                           data={"asset_id": [a, c], "within": "1"},
                           headers={"X-CSRF-Token": csrf(client), "Accept": "application/json"})
    assert response.get_json() == {"ok": True}
    assert _order(app, album) == [a, b, c]
    assert post_form(client, f"/colecciones/{album}/ordenar", asset_id=[a, b]).status_code == 400
    assert _order(app, album) == [a, b, c]
    post_form(client, f"/colecciones/{album}/portada", asset_id=c)
    with ctx_of(app).catalog.read() as session:
        assert session.get(Collection, album).cover_asset_id == c
    assert post_form(client, f"/colecciones/{album}/quitar", asset_id=b).status_code == 302
    assert _order(app, album) == [a, c]


def test_edit_and_delete(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    a, b, _c = archive.asset_ids
    album = _album(client, ids=[a, b])
    form = client.get(f"/colecciones/{album}/editar").get_data(as_text=True)
    assert f'<option value="{b}"' in form
    response = post_form(client, f"/colecciones/{album}/editar", title="Nuevo nombre",
                     description="", cover_asset_id=b)
    assert response.status_code == 302
    with ctx_of(app).catalog.read() as session:
        saved = session.get(Collection, album)
        assert (saved.title, saved.description, saved.cover_asset_id) == ("Nuevo nombre", None, b)
    assert post_form(client, f"/colecciones/{album}/editar", title=" ").status_code == 400
    assert post_form(client, f"/colecciones/{album}/borrar").status_code == 302
    assert client.get(f"/colecciones/{album}").status_code == 404
    assert client.get(f"/material/{a}").status_code == 200


def test_event_collection_from_the_event_name(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    event = "Inauguración del mercado"
    response = post_form(client, "/eventos/coleccion", event=event)
    assert response.status_code == 302
    url = response.headers["Location"]
    again = post_form(client, "/eventos/coleccion", event=event)
    assert again.headers["Location"] == url  # one collection per event
    page = client.get(url).get_data(as_text=True)
    assert sorted(int(i) for i in re.findall(r'data-asset-id="(\d+)"', page)) == sorted(
        archive.asset_ids)
    assert post_form(client, "/eventos/coleccion", event="Nadie fue").status_code == 404
    assert post_form(client, "/eventos/coleccion").status_code == 400


def test_the_asset_page_lists_its_collections_and_offers_albums(
        app: Flask, archive: Archive) -> None:
    editor = signed_in(app, "editora")
    a = archive.asset_ids[0]
    album = _album(editor, "Álbum <b>uno</b>", ids=[a])
    page = editor.get(f"/material/{a}").get_data(as_text=True)
    assert f'href="/colecciones/{album}"' in page
    assert f'<option value="{album}">' in page
    assert "Álbum &lt;b&gt;uno&lt;/b&gt;" in page and "<b>uno</b>" not in page
    viewer = signed_in(app, "prensa")
    seen = viewer.get(f"/material/{a}").get_data(as_text=True)
    assert f'href="/colecciones/{album}"' in seen
    assert 'action="/colecciones/agregar"' not in seen


def test_titles_with_html_rtl_and_emoji_are_escaped(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    title = '<script>alert(1)</script> مرحبا 👋'
    album = _album(client, title, ids=archive.asset_ids[:1])
    for path in (f"/colecciones/{album}", "/colecciones", f"/colecciones/{album}/editar"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; مرحبا 👋" in page, path


def test_photographers_and_viewers_read_but_do_not_change(app: Flask, archive: Archive) -> None:
    album = _album(signed_in(app, "editora"), ids=archive.asset_ids[:1])
    for username in ("fotografa", "prensa"):
        client = signed_in(app, username)
        assert client.get("/colecciones").status_code == 200
        page = client.get(f"/colecciones/{album}").get_data(as_text=True)
        assert "/ordenar" not in page and "/quitar" not in page
        for path, data in ((f"/colecciones/{album}/quitar", {"asset_id": archive.asset_ids[0]}),
                           ("/colecciones/agregar", {"collection_id": album,
                                                     "asset_id": archive.asset_ids[1]}),
                           (f"/colecciones/{album}/borrar", {}), ("/colecciones/nueva", {})):
            assert post_form(client, path, **data).status_code == 403, (username, path)
    assert _order(app, album) == archive.asset_ids[:1]


def test_unknown_ids_are_404_and_garbage_is_400(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    album = _album(client)
    assert client.get("/colecciones/999").status_code == 404
    assert client.get("/colecciones/999/editar").status_code == 404
    assert post_form(client, "/colecciones/999/quitar", asset_id=1).status_code == 404
    missing = post_form(client, "/colecciones/agregar", collection_id=999, asset_id=1)
    assert missing.status_code == 404
    for data in ({"collection_id": album}, {"collection_id": album, "asset_id": "x"},
                 {"collection_id": "x", "asset_id": archive.asset_ids[0]},
                 {"asset_id": archive.asset_ids[0]},
                 {"collection_id": album, "asset_id": 987654}):
        assert post_form(client, "/colecciones/agregar", **data).status_code == 400, data
    assert post_form(client, f"/colecciones/{album}/ordenar", asset_id=1,
                 direction="sideways").status_code == 400
    assert post_form(client, f"/colecciones/{album}/portada", asset_id="-3").status_code == 400
    assert post_form(client, "/colecciones/nueva", title="").status_code == 400


def test_changes_are_audited_with_the_editor(app: Flask, archive: Archive) -> None:
    client = signed_in(app, "editora")
    album = _album(client, ids=archive.asset_ids[:2])
    post_form(client, f"/colecciones/{album}/quitar", asset_id=archive.asset_ids[0])
    with ctx_of(app).catalog.read() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.asset_id, AuditEntry.username)
            .where(AuditEntry.collection_id == album).order_by(AuditEntry.id)
        ).all()
    assert [tuple(e) for e in entries] == [
        ("collection", None, "editora"),
        ("collection_add", archive.asset_ids[0], "editora"),
        ("collection_add", archive.asset_ids[1], "editora"),
        ("collection_remove", archive.asset_ids[0], "editora"),
    ]


def test_long_albums_are_paged_by_key(app: Flask, tmp_path: Path) -> None:
    from web import collections as web_collections

    more = add_photos(app, tmp_path / "mas", count=5)
    client = signed_in(app, "editora")
    album = _album(client, ids=list(reversed(more.asset_ids)))
    old, web_collections.PER_PAGE = web_collections.PER_PAGE, 2
    try:
        seen, url = [], f"/colecciones/{album}"
        while url:
            page = client.get(url).get_data(as_text=True)
            seen += [int(i) for i in re.findall(r'data-asset-id="(\d+)"', page)]
            found = re.search(r'rel="next" href="([^"]+)"', page)
            url = found.group(1).replace("&amp;", "&") if found else ""
    finally:
        web_collections.PER_PAGE = old
    assert seen == list(reversed(more.asset_ids))
