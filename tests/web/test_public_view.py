"""What an anonymous visitor gets of a published asset: the public projection and nothing else.

One photo carries everything private a camera and the archive record (GPS, body and lens
serials, owner name, maker notes, the file's name, its batch, hash and storage key, a culling
mark, the persons shown, a named face); every public surface is walked and must give away none
of it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dam.catalog import BatchInfo
from dam.enums import CullMark, WorkflowState
from dam.models import Asset
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from tests.changefeed_check import record_fixture_writes
from tests.media import make_photo
from tests.public_leaks import FILE_STEM, GPS, PERSON, TAGS, Secrets, add_named_face
from tests.web.conftest import csrf, ctx_of, signed_in, state_of
from web.access import ROUTES, Need

INFO = BatchInfo(event="Entrega de luminarias", area="Dirección de Obras",
                 place="Colonia Centro", photographer="Ana Peña")
_LINK = re.compile(r"""(?:href|src|poster|data-zoom|content)="([^"]+)\"""")


def _published_photos(app: Flask, folder: Path) -> tuple[int, Secrets]:
    """Two published, cleared photos of one event made from files full of private details,
    rejected in culling; the first one's id and the secrets of both."""
    ctx = ctx_of(app)
    paths = [make_photo(folder / f"{FILE_STEM}{suffix}.jpg", (640, 480), seed=7 + n, gps=GPS,
                        private=TAGS) for n, suffix in enumerate(("", "_B"))]
    report = ingest_paths(ctx, paths, INFO)
    ids = [r.asset_id for r in report.results if r.asset_id]
    secrets = Secrets("", "", 0)
    for asset_id in ids:
        process_asset(ctx, asset_id)
    with ctx.catalog.write() as session:
        for asset_id in ids:
            asset = session.get(Asset, asset_id)
            asset.caption = "Entrega de luminarias en la colonia Centro"
            asset.persons_shown = [PERSON]
            add_named_face(session, asset_id)
            asset.cull_mark = CullMark.REJECTED
            asset.rating = 1
            asset.workflow_state = WorkflowState.PUBLISHED
            assert asset.gps_latitude is not None and asset.camera_serial  # the archive has them
            secrets.extra += [asset.sha256, asset.sha256[:16], asset.original_key]
        first = session.get(Asset, ids[0])
        secrets.sha256, secrets.original_key = first.sha256, first.original_key
        secrets.batch_id = first.batch_id or 0
        record_fixture_writes(session)
    state_of(app).search.sync()
    return ids[0], secrets


@pytest.fixture
def published(app: Flask, tmp_path: Path) -> tuple[int, Secrets]:
    return _published_photos(app, tmp_path / "tarjeta")


def _same_site_links(text: str) -> set[str]:
    links = set()
    for raw in _LINK.findall(text) + re.findall(r'"(/[^"\s]+)"', text):
        url = raw.replace("&amp;", "&")
        parts = urlsplit(url)
        if not parts.netloc and parts.path.startswith("/") and not parts.path.startswith(
                ("/static/", "/entrar")):
            links.add(url)
    return links


def _walk(client: FlaskClient, secrets: Secrets, start: list[str]) -> tuple[list[str], set[str]]:
    """Fetch ``start`` and every same-site link found on the way; the secrets each gave away."""
    leaks: list[str] = []
    seen: set[str] = set()
    queue = list(start)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        with client.get(url) as response:
            if response.status_code != 200:
                continue
            for header, value in response.headers.items():
                leaks += secrets.found_in_text(value, f"{url} header {header}")
            if response.mimetype not in ("text/html", "application/json"):
                leaks += secrets.found_in_file(response.data, url)
                continue
            text = response.get_data(as_text=True)
        leaks += secrets.found_in_text(text, url)
        queue += [link for link in _same_site_links(text)
                  if link.startswith(("/material/", "/files/", "/api/v1/assets/", "/enlace/"))]
    return leaks, seen


def test_no_public_surface_gives_away_private_details(app: Flask,
                                                      published: tuple[int, Secrets]) -> None:
    asset_id, secrets = published
    client = app.test_client()
    assert client.get(f"/material/{asset_id}").status_code == 200  # it is public
    start = [f"/material/{asset_id}", f"/api/v1/assets/{asset_id}",
             f"/material/{asset_id}/jpeg", f"/material/{asset_id}/xmp"]
    leaks, seen = _walk(client, secrets, start)
    assert not leaks, "\n".join(leaks)
    fetched = {url for url in seen if url.startswith("/files/")}
    assert len(fetched) >= 3, seen  # the preview and both thumbnails at least were walked
    assert f"/material/{asset_id + 1}" in seen  # the other photo of the event, by its card
    page = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Entrega de luminarias en la colonia Centro" in page  # the description is public


def test_a_share_link_gives_away_no_private_details(app: Flask,
                                                    published: tuple[int, Secrets]) -> None:
    """The journalists' share page, its pictures, each download and the ZIP (press size)."""
    asset_id, secrets = published
    editor = signed_in(app, "editora")
    expires = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    made = editor.post("/compartir", data={
        "csrf_token": csrf(editor), "asset_id": [str(asset_id), str(asset_id + 1)],
        "title": "Luminarias", "expires": expires, "size": "press"}).get_data(as_text=True)
    found = re.search(r'value="http://[^/]+(/enlace/[^"]+)"', made)
    assert found, made[:300]
    client = app.test_client()
    leaks, seen = _walk(client, secrets, [found.group(1)])
    assert not leaks, "\n".join(leaks)
    assert {f"{found.group(1)}/descargar/{asset_id}", f"{found.group(1)}/todo.zip",
            f"{found.group(1)}/miniatura/{asset_id}.jpg"} <= seen, seen


def test_anonymous_search_and_listings_answer_nothing(app: Flask,
                                                      published: tuple[int, Secrets]) -> None:
    client = app.test_client()
    anonymous = [rule for rule in app.url_map.iter_rules()
                 if ROUTES.get(rule.endpoint) in (Need.PUBLIC, Need.ASSET)]
    assert {r.endpoint for r in anonymous} <= {
        "static", "health.healthz", "auth.login", "auth.welcome", "auth.set_language",
        # the forgotten-password form and its link's page: no asset data, only an account's name
        # to whoever holds a valid signed link
        "auth.forgot_password", "auth.reset_password",
        "api.openapi", "api.docs", "assets.show", "assets.download_original",
        "assets.download_jpeg", "files.serve", "api.asset", "assets.download_exact",
        "assets.download_xmp", "shared.page", "shared.unlock", "shared.picture",
        "shared.download", "shared.download_all",
        "versions.download"}, "a new public route: add it to the walk above"
    for url in ("/api/v1/search?q=luminarias", "/api/v1/assets", "/buscar?q=luminarias",
                "/buscar/todos.json?q=luminarias",
                # an earlier (here the only) original of a published asset: staff only
                f"/material/{published[0]}/versiones/1/archivo"):
        assert client.get(url).status_code in (302, 401, 404), url


def test_the_api_answers_the_public_fields_only(app: Flask,
                                                published: tuple[int, Secrets]) -> None:
    asset_id, _secrets = published
    data = app.test_client().get(f"/api/v1/assets/{asset_id}").get_json()
    assert data["caption"] == "Entrega de luminarias en la colonia Centro"
    assert not {"gps_latitude", "camera_serial", "metadata_json", "persons_shown",
                "original_filename", "sha256", "batch_id", "cull_mark", "rating",
                "original_key", "original_url", "faces", "face_people"} & set(data)
    assert all(r["url"].startswith(f"/files/material/{asset_id}/") for r in data["renditions"])


def test_the_api_document_describes_what_the_public_gets(
        app: Flask, published: tuple[int, Secrets]) -> None:
    """Anonymous answers fit the PublicAsset schema, which names nothing private."""
    asset_id, _secrets = published
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["components"]["schemas"]["PublicAsset"]
    assert schema["additionalProperties"] is False
    assert not {"gps_latitude", "camera_serial", "original_filename", "sha256",
                "persons_shown", "original_key"} & set(schema["properties"])
    operation = document["paths"]["/assets/{asset_id}"]["get"]
    assert {} in operation["security"]
    data = client.get(f"/api/v1/assets/{asset_id}").get_json()
    assert set(data) <= set(schema["properties"])
    rendition_names = set(schema["properties"]["renditions"]["items"]["properties"])
    assert all(set(r) <= rendition_names for r in data["renditions"])


def test_staff_still_see_everything(app: Flask, published: tuple[int, Secrets]) -> None:
    asset_id, secrets = published
    staff = signed_in(app, "prensa")
    page = staff.get(f"/material/{asset_id}").get_data(as_text=True)
    assert secrets.sha256 in page and FILE_STEM in page and "openstreetmap" in page
    data = staff.get(f"/api/v1/assets/{asset_id}").get_json()
    assert data["camera_serial"] == TAGS.body_serial
    assert data["gps_latitude"] == pytest.approx(GPS[0], abs=1e-3)
    assert json.dumps(data).count(PERSON) or PERSON in json.dumps(data, ensure_ascii=False)



def test_the_public_cannot_address_a_file_by_its_storage_key(app: Flask,
                                                             published: tuple[int, Secrets]
                                                             ) -> None:
    """A storage key names the SHA-256: whoever learnt one gets 404; staff get the file."""
    asset_id, secrets = published
    preview_key = secrets.original_key.replace("originals/", "renditions/") + "/preview.jpg"
    with signed_in(app, "prensa").get(f"/files/{preview_key}") as staff:
        assert staff.status_code == 200
    anonymous = app.test_client()
    with anonymous.get(f"/files/material/{asset_id}/preview") as public:
        assert public.status_code == 200
    with anonymous.get(f"/files/{preview_key}") as by_key:
        assert by_key.status_code == 404


class _SharedStore:
    """A store that is not a local folder: it hands out presigned URLs naming its keys."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def presigned_url(self, key: str, expires_in: int = 3600) -> str:
        return f"https://s3.example/bucket/{key}?X-Amz-Expires={expires_in}"


def test_a_shared_store_never_redirects_the_public_to_a_key(app: Flask,
                                                            published: tuple[int, Secrets]
                                                            ) -> None:
    asset_id, secrets = published
    ctx = ctx_of(app)
    ctx.store = _SharedStore(ctx.store)  # type: ignore[assignment]
    client = app.test_client()
    data = client.get(f"/api/v1/assets/{asset_id}").get_json()
    for rendition in data["renditions"]:
        with client.get(rendition["url"]) as response:
            assert response.status_code == 200, rendition
            assert response.headers["Cache-Control"].startswith("public")
            assert not secrets.found_in_file(response.data, rendition["url"])
    with signed_in(app, "prensa").get(f"/files/{secrets.original_key}") as staff:
        assert staff.status_code == 302  # staff links still go straight to the store


def test_a_shared_store_streams_video_proxies_to_the_public_in_ranges(
        app: Flask, published: tuple[int, Secrets]) -> None:
    """A player asks for byte ranges; the public gets them from this node, not a store URL."""
    from dam.enums import RenditionKind
    from dam.models import Rendition

    asset_id, secrets = published
    ctx = ctx_of(app)
    body = bytes(range(256)) * 4096  # 1 MiB, every offset recognisable
    key = secrets.original_key.replace("originals/", "renditions/") + "/proxy.mp4"
    ctx.store.put_bytes(key, body, content_type="video/mp4")
    with ctx.catalog.write() as session:
        session.add(Rendition(asset_id=asset_id, kind=RenditionKind.PROXY, key=key,
                              mime_type="video/mp4", width=640, height=360,
                              byte_size=len(body)))
        record_fixture_writes(session)
    ctx.store = _SharedStore(ctx.store)  # type: ignore[assignment]
    client = app.test_client()
    url = f"/files/material/{asset_id}/proxy"
    with client.get(url) as whole:
        assert whole.status_code == 200
        assert whole.data == body
        assert whole.headers["Accept-Ranges"] == "bytes"
        etag = whole.headers["ETag"]
    with client.get(url, headers={"Range": "bytes=1000-1999"}) as part:
        assert part.status_code == 206
        assert part.data == body[1000:2000]
        assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(body)}"
        assert "Location" not in part.headers
    with client.get(url, headers={"Range": "bytes=-10"}) as tail:
        assert tail.status_code == 206 and tail.data == body[-10:]
    with client.get(url, headers={"Range": f"bytes={len(body)}-"}) as beyond:
        assert beyond.status_code == 416
        assert beyond.headers["Content-Range"] == f"bytes */{len(body)}"
    with client.get(url, headers={"If-None-Match": etag}) as unchanged:
        assert unchanged.status_code == 304
