"""The loupe page, the marks API and the no-JavaScript marks form."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dam.models import Asset, AuditEntry, Batch, User
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, add_photos, csrf, ctx_of, login, use_english
from web.accounts import create_token


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)  # these tests read the pages' English text


MARKS = "/api/v1/assets/{}/marks"
EVENT = "Inauguración del mercado"


def _client(app: Flask, name: str = "editora") -> FlaskClient:
    client = app.test_client()
    login(client, name)
    return client


def _payload(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="loupe-data">(.*?)</script>', page,
                      re.S)
    assert found, "the loupe embeds its sequence as JSON"
    return json.loads(found.group(1))


def _counter(page: str) -> str:
    return re.search(r'id="loupe-counter">([^<]*)<', page).group(1)


def _post_marks(client: FlaskClient, asset_id: int, body: object, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(MARKS.format(asset_id), json=body,
                       headers={"X-CSRF-Token": csrf(client), **headers})


def _asset(app: Flask, asset_id: int) -> Asset:
    with ctx_of(app).catalog.read() as session:
        asset = session.get(Asset, asset_id)
        session.expunge(asset)
        return asset


def _own_batch(app: Flask, batch_id: int, username: str) -> None:
    with ctx_of(app).catalog.write() as session:
        user = session.query(User).filter_by(username=username).one()
        session.get(Batch, batch_id).user_id = user.id
        record_fixture_writes(session)


def test_the_loupe_shows_a_batch_in_order_with_its_filmstrip(app: Flask, archive: Archive
                                                              ) -> None:
    client = _client(app)
    page = client.get(f"/seleccion/lupa?source=batch:{archive.batch_id}")
    assert page.status_code == 200
    text = page.text
    data = _payload(text)
    ids = [item["id"] for item in data["items"]]
    assert sorted(ids) == sorted(archive.asset_ids) and data["index"] == 0
    assert _counter(text) == "1 / 3"
    assert all(item["src"].startswith("/files/renditions/") for item in data["items"])
    assert f'id="loupe-image" src="{html.escape(data["items"][0]["src"])}"' in text
    assert text.count('<li data-index="') == 3  # the filmstrip
    assert data["marks_url"] == MARKS.format(0)
    assert "<script>" not in text.split('id="loupe-data">')[0].split("</head>")[1]
    # The page's own way back, and no inline executable script (the CSP forbids it).
    assert f'data-back="/cargas/{archive.batch_id}"' in text
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


def test_start_keeps_the_position_and_links_move(app: Flask, archive: Archive) -> None:
    client = _client(app)
    ids = _payload(client.get(f"/seleccion/lupa?source=batch:{archive.batch_id}").text)
    order = [item["id"] for item in ids["items"]]
    page = client.get(f"/seleccion/lupa?source=batch:{archive.batch_id}&start={order[1]}").text
    assert _counter(page) == "2 / 3" and _payload(page)["index"] == 1
    prev = html.unescape(re.search(r'id="loupe-prev" rel="prev" href="([^"]+)"', page).group(1))
    nxt = html.unescape(re.search(r'id="loupe-next" rel="next" href="([^"]+)"', page).group(1))
    assert f"start={order[0]}" in prev and f"start={order[2]}" in nxt
    assert _counter(client.get(nxt).text) == "3 / 3"
    # An id not in the sequence starts at the beginning.
    assert _counter(client.get(f"/seleccion/lupa?source=batch:{archive.batch_id}&start=999999"
                               ).text) == "1 / 3"


def test_the_api_saves_marks_without_bumping_the_version(app: Flask, archive: Archive) -> None:
    client = _client(app)
    asset_id = archive.asset_ids[0]
    answer = _post_marks(client, asset_id, {"rating": 4, "cull_mark": 1, "color_label": "red"})
    assert answer.status_code == 200
    assert answer.json == {"asset_id": asset_id, "rating": 4, "cull_mark": 1,
                           "color_label": "red"}
    assert _post_marks(client, asset_id, {"color_label": None}).json["color_label"] is None
    asset = _asset(app, asset_id)
    assert (asset.rating, asset.cull_mark, asset.color_label, asset.edit_version) == (4, 1, None, 1)
    with ctx_of(app).catalog.read() as session:
        entries = {(e.field, e.username) for e in
                   session.query(AuditEntry).filter_by(asset_id=asset_id, action="cull")}
    assert entries == {
        ("rating", "editora"), ("cull_mark", "editora"), ("color_label", "editora")}


def test_the_api_refuses_bad_requests(app: Flask, archive: Archive) -> None:
    client = _client(app)
    asset_id = archive.asset_ids[0]
    for body in ({"rating": 7}, {"cull_mark": "yes"}, {"color_label": "pink"}, {}, [1],
                 {"other": 1}):
        response = _post_marks(client, asset_id, body)
        assert response.status_code == 400, body
        assert response.is_json
    assert _post_marks(client, 999_999, {"rating": 1}).status_code == 404
    no_csrf = client.post(MARKS.format(asset_id), json={"rating": 1})
    assert no_csrf.status_code == 400 and no_csrf.json["error"] == "csrf"
    assert _asset(app, asset_id).rating == 0


def test_who_may_mark(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    photographer = _client(app, "fotografa")
    refused = _post_marks(photographer, asset_id, {"rating": 2})
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert _post_marks(_client(app, "prensa"), asset_id, {"rating": 2}).status_code == 403
    assert _post_marks(app.test_client(), asset_id, {"rating": 2}).status_code == 401
    _own_batch(app, archive.batch_id, "fotografa")
    assert _post_marks(photographer, asset_id, {"rating": 2}).status_code == 200
    assert _asset(app, asset_id).rating == 2


def test_a_token_marks_without_csrf(app: Flask, archive: Archive) -> None:
    ctx = ctx_of(app)
    with ctx.catalog.read() as session:
        editor_id = session.query(User).filter_by(username="editora").one().id
    token = create_token(ctx.catalog, editor_id, "script")
    response = app.test_client().post(MARKS.format(archive.asset_ids[1]), json={"cull_mark": -1},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["cull_mark"] == -1


def test_filters_and_the_filter_form(app: Flask, archive: Archive) -> None:
    client = _client(app)
    a, b, c = archive.asset_ids
    _post_marks(client, a, {"rating": 5, "cull_mark": 1, "color_label": "green"})
    _post_marks(client, b, {"rating": 2, "cull_mark": -1})
    base = f"/seleccion/lupa?source=batch:{archive.batch_id}"

    def ids(query: str) -> list[int]:
        return [i["id"] for i in _payload(client.get(base + query).text)["items"]]

    assert ids("&picks=picked") == [a]
    assert sorted(ids("&min_rating=2")) == sorted([a, b])
    assert ids("&color=green") == [a]
    assert sorted(ids("&color=none")) == sorted([b, c])
    assert sorted(ids("&picks=unmarked")) == [c]
    picked = client.get(base + "&picks=picked").text
    assert _payload(picked)["picked_only"] is True
    assert '<option value="picked" selected>' in picked
    empty = client.get(base + "&picks=picked&color=red")
    assert empty.status_code == 200 and "no photos match these filters" in empty.text
    for bad in ("&min_rating=9", "&min_rating=x", "&picks=kept", "&color=pink"):
        assert client.get(base + bad).status_code == 400, bad


def test_sources_event_ids_search_and_none(app: Flask, archive: Archive) -> None:
    client = _client(app)
    event = client.get(f"/seleccion/lupa?source=event:{quote(EVENT)}")
    assert event.status_code == 200
    assert sorted(i["id"] for i in _payload(event.text)["items"]) == sorted(archive.asset_ids)
    a, b, c = archive.asset_ids
    listed = client.get(f"/seleccion/lupa?ids={c},{a},999999")
    assert [i["id"] for i in _payload(listed.text)["items"]] == [c, a]
    found = client.get("/seleccion/lupa?source=search:inauguracion")
    assert sorted(i["id"] for i in _payload(found.text)["items"]) == sorted(archive.asset_ids)
    nothing = client.get("/seleccion/lupa")
    assert nothing.status_code == 200 and "Open the loupe from" in nothing.text
    for bad in ("batch:abc", "album:1", "ids:1,x", "search:fecha:2025-99"):
        assert client.get(f"/seleccion/lupa?source={quote(bad)}").status_code == 400, bad
    for missing in ("batch:999999", "collection:999999"):
        assert client.get(f"/seleccion/lupa?source={missing}").status_code == 404, missing


def test_a_photographer_cannot_open_another_photographers_batch(app: Flask, archive: Archive
                                                               ) -> None:
    _own_batch(app, archive.batch_id, "editora")
    photographer = _client(app, "fotografa")
    assert photographer.get(f"/seleccion/lupa?source=batch:{archive.batch_id}").status_code == 404
    # An event shows them, read-only: they may not mark another's photos.
    page = photographer.get(f"/seleccion/lupa?source=event:{quote(EVENT)}").text
    assert not any(item["can"] for item in _payload(page)["items"])
    assert 'id="loupe-form" hidden' in page


def test_the_no_script_form_marks_and_redirects_back(app: Flask, archive: Archive) -> None:
    client = _client(app)
    asset_id = archive.asset_ids[0]
    back = f"/seleccion/lupa?source=batch:{archive.batch_id}&start={asset_id}"
    page = client.get(back).text
    assert 'action="/seleccion/lupa/marcar"' in page and 'name="rating" value="5"' in page
    form = {"csrf_token": csrf(client), "asset_id": str(asset_id), "next": back}
    response = client.post("/seleccion/lupa/marcar", data={**form, "rating": "3"})
    assert response.status_code == 303 and response.headers["Location"].endswith(back)
    client.post("/seleccion/lupa/marcar", data={**form, "cull_mark": "1"})
    client.post("/seleccion/lupa/marcar", data={**form, "color_label": "blue"})
    asset = _asset(app, asset_id)
    assert (asset.rating, asset.cull_mark, asset.color_label) == (3, 1, "blue")
    reloaded = client.get(back).text
    assert 'name="rating" value="3" aria-pressed="true"' in reloaded
    # Somewhere else is never a way back; bad values are a 400.
    away = client.post("/seleccion/lupa/marcar", data={**form, "next": "//evil.example/x",
                                                        "rating": "1"})
    assert away.headers["Location"].endswith(f"/material/{asset_id}")
    for bad in ({"rating": "x"}, {"rating": "8"}, {"asset_id": "abc", "rating": "1"}, {},
                {"asset_id": "999999", "rating": "1"}):
        status = client.post("/seleccion/lupa/marcar", data={**form, **bad}).status_code
        assert status == (404 if bad.get("asset_id") == "999999" else 400), bad


def test_the_asset_page_shows_marks_and_their_buttons_by_role(app: Flask, archive: Archive
                                                              ) -> None:
    asset_id = archive.asset_ids[0]
    editor = _client(app)
    _post_marks(editor, asset_id, {"rating": 4, "cull_mark": -1, "color_label": "purple"})
    page = editor.get(f"/material/{asset_id}").text
    assert 'class="marks-form"' in page and "★★★★☆" in page and 'class="pick pick--1"' in page
    viewer = _client(app, "prensa").get(f"/material/{asset_id}").text
    assert 'class="marks-form"' not in viewer and "★★★★☆" in viewer
    unmarked = _client(app, "prensa").get(f"/material/{archive.asset_ids[1]}").text
    assert "marks-summary" not in unmarked


def test_entry_points_on_the_batch_and_event_pages(app: Flask, archive: Archive) -> None:
    client = _client(app)
    batch = client.get(f"/cargas/{archive.batch_id}").text
    assert f"/seleccion/lupa?source=batch%3A{archive.batch_id}" in batch
    event = client.get(f"/evento?nombre={quote(EVENT)}").text
    link = re.search(r'href="(/seleccion/lupa\?source=event[^"]+)"', event).group(1)
    assert _counter(client.get(html.unescape(link)).text) == "1 / 3"
    viewer_event = _client(app, "prensa").get(f"/evento?nombre={quote(EVENT)}").text
    assert "/seleccion/lupa?source=" not in viewer_event
    assert "/seleccion/lupa?source=" not in client.get("/cronologia/2025/3").text


def test_long_captions_with_emoji_and_rtl_text(app: Flask, tmp_path: Path) -> None:
    archive = add_photos(app, tmp_path / "rtl", count=1)
    caption = ("مرحبا بالعالم 🎉 <b>Inauguración</b> " * 1500)[:50_000]
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, archive.asset_ids[0]).caption = caption
        record_fixture_writes(session)
    page = _client(app).get(f"/seleccion/lupa?source=batch:{archive.batch_id}").text
    shown = re.search(r'id="loupe-caption" dir="auto">(.*?)</figcaption>', page, re.S).group(1)
    assert html.unescape(shown) == caption and "<b>" not in shown
    item = _payload(page)["items"][0]
    assert item["caption"] == caption[:2000] + "…"
