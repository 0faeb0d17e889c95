"""Several machines for real: two `dam serve` nodes and a worker-only node on one PostgreSQL
catalog and one SeaweedFS bucket, behind a round-robin proxy.

The nodes are started once for the module. Node A and the worker node reach the store through a
TCP proxy (tests/tcp_proxy.py) that the tests stop, pause and start again; node B reaches it
directly. What each test relies on: the same catalog, store and gallery target (an S3 prefix).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from dam.context import Context
from dam.curation.actor import Actor
from dam.curation.collections import add_items, create_album
from dam.curation.workflow import change_state
from dam.db import Catalog
from dam.enums import Role, WorkflowState
from dam.models import Job, PublishRun, User, utcnow
from dam.publishing.gallery_collections import set_in_gallery
from publish.manifest import verify_gallery
from tests.conftest_s3 import fresh_bucket, make_test_client
from tests.media import make_photo
from tests.tcp_proxy import TcpProxy
from tests.web.live import LiveServer, run_dam, spawn_server, wait_until_serving
from tests.web.round_robin import round_robin
from tests.web.test_serve import _Session, _wait_for
from web import accounts
from web.accounts import ensure_first_admin

PASSWORD = "clave-de-dos-nodos-1"
SYNC_SECONDS = 1.0
LEASE_SECONDS = 3  # job_lease_seconds: a publication's lease too
S3_LIMITS = {"DAM_S3_CONNECT_TIMEOUT_SECONDS": "1", "DAM_S3_READ_TIMEOUT_SECONDS": "5",
             "DAM_S3_MAX_ATTEMPTS": "2"}
NODE_A_READ_TIMEOUT = 2.0  # node A gives a silent store less time than the worker node does
#: The longest a request needing the store may take on node A when it is cut off: the S3
#: client's tries and timeouts (a refused connection: no wait; a silent store: 2 x 2 s) and
#: botocore's backoff, plus a loaded machine.
CUT_OFF_ANSWER_SECONDS = 10.0
ADMIN = Actor(None, "admin", Role.ADMIN)


def _share_keys(first: Path, other: Path) -> None:
    """What `dam init` says a new node needs: the first node's secret and signing keys."""
    (other / "var").mkdir(parents=True, exist_ok=True)
    shutil.copy(first / "var" / "secret.key", other / "var" / "secret.key")
    shutil.copytree(first / "var" / "keys", other / "var" / "keys", dirs_exist_ok=True)


@dataclass
class Cluster:
    base: Path
    catalog_url: str
    endpoint: str  # SeaweedFS itself
    bucket: str
    env: dict[str, str]
    store_proxy: TcpProxy  # node A's and the worker node's way to the store
    nodes: list[LiveServer]
    worker: subprocess.Popen[str] | None = None

    @property
    def a(self) -> str:
        return self.nodes[0].url

    @property
    def b(self) -> str:
        return self.nodes[1].url

    @property
    def proxied(self) -> dict[str, str]:
        return {**self.env, "DAM_S3_ENDPOINT_URL": f"http://{self.store_proxy.address}"}

    def start_worker(self) -> None:
        self.worker = run_dam(self.base / "c", "worker", "-n", "1", env=self.proxied,
                              log=self.base / f"worker-{time.monotonic_ns()}.log",
                              new_session=True)

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            self.worker.wait(30)
        self.worker = None

    def kill_worker_node(self) -> None:
        """The worker machine goes away: SIGKILL to `dam worker` and its processes at once."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(30)
        self.worker = None

    def catalog(self) -> Catalog:
        return Catalog(self.catalog_url)

    def scalar(self, query: Any) -> Any:
        engine = create_engine(self.catalog_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return conn.execute(query).scalar()
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_server_url: str,
            seaweedfs_server: str) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("dos-nodos")
    name = f"dam_test_{secrets.token_hex(4)}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        with fresh_bucket(seaweedfs_server) as (endpoint, bucket):
            yield from _run_cluster(base, url, endpoint, bucket)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run_cluster(base: Path, url: str, endpoint: str, bucket: str) -> Iterator[Cluster]:
    env = {"DAM_CATALOG_URL": url, "DAM_STORE_URL": f"s3://{bucket}/acervo",
           "DAM_S3_ENDPOINT_URL": endpoint, "DAM_WEB_PROCESSES": "1",
           "DAM_ADMIN_PASSWORD": PASSWORD, "DAM_SEARCH_SYNC_SECONDS": str(SYNC_SECONDS),
           "DAM_WEB_TRUSTED_PROXIES": "1", "DAM_UPLOAD_CHUNK_BYTES": "65536",
           "DAM_GALLERY_TARGET": f"s3://{bucket}/galeria", "DAM_JOB_LEASE_SECONDS":
           str(LEASE_SECONDS), "DAM_JOB_RETRY_BASE_SECONDS": "0.3",
           "DAM_JOB_RETRY_MAX_SECONDS": "1", **S3_LIMITS}
    split = urllib.parse.urlsplit(endpoint)
    store_proxy = TcpProxy((split.hostname or "127.0.0.1", split.port or 80)).start()
    (base / "a").mkdir()
    assert run_dam(base / "a", "init", env=env).wait(timeout=120) == 0
    _share_keys(base / "a", base / "b")
    _share_keys(base / "a", base / "c")
    cluster = Cluster(base, url, endpoint, bucket, env, store_proxy, [])
    # The nodes start side by side, and the worker node is checked as a new node would be.
    check = run_dam(base / "c", "check", env=cluster.proxied, log=base / "check.log")
    cluster.nodes = [spawn_server(base / "a", workers=0, env={
                         **cluster.proxied,
                         "DAM_S3_READ_TIMEOUT_SECONDS": str(NODE_A_READ_TIMEOUT)}),
                     spawn_server(base / "b", workers=0, env=env)]
    try:
        for node in cluster.nodes:
            wait_until_serving(node, timeout=120)
        assert check.wait(timeout=120) == 0, (base / "check.log").read_text()
        cluster.start_worker()
        yield cluster
    finally:
        store_proxy.start()  # a test that failed half-way may have left it stopped
        cluster.stop_worker()
        stopped = [node.stop() for node in cluster.nodes]
        store_proxy.stop()
    assert stopped == [0, 0]
    for node in cluster.nodes:
        assert "Traceback" not in node.output()


def _upload(client: _Session, data: bytes, filename: str) -> int:
    batch = client.call("POST", "/api/v1/batches", {"event": "Dos nodos",
                                                    "photographer": "Ana Peña"})
    upload = client.call("POST", "/api/v1/uploads", {"batch_id": batch["id"],
                                                     "filename": filename, "size": len(data)})
    offset = 0
    while offset < len(data):  # each chunk to the next node
        chunk = data[offset:offset + upload["chunk_size"]]
        offset = client.call("PATCH", upload["url"], data=chunk, headers={
            "Upload-Offset": str(offset), "Content-Type": "application/octet-stream"})["offset"]
    done = client.call("POST", f"{upload['url']}/complete")
    assert done["outcome"] == "new"
    return int(done["asset_id"])


def _ready(client: _Session, asset_id: int, cluster: Cluster, seconds: float = 120) -> bool:
    return _wait_for(lambda: client.call("GET", f"/api/v1/assets/{asset_id}")["state"]
                     == "ready", seconds)


def test_two_serving_nodes_and_a_worker_node_behave_as_one(cluster: Cluster,
                                                           tmp_path: Path) -> None:
    node_a, node_b = cluster.a, cluster.b
    with round_robin([node_a, node_b]) as proxy:
        # Signing in takes three requests (form, post, landing page) over both nodes.
        client = _Session(proxy.url, "admin", PASSWORD)
        assert {client.call("GET", "/api/v1/me")["username"] for _ in range(4)} == {"admin"}
        for url in (node_a, node_b):  # the one session cookie is valid on each node
            client.url = url
            assert client.call("GET", "/api/v1/me")["username"] == "admin"
        client.url = proxy.url

        data = make_photo(tmp_path / "tequio.jpg", (1600, 1200), seed=4,
                          quality=97).read_bytes()
        asset_id = _upload(client, data, "tequio.jpg")
        assert _ready(client, asset_id, cluster)
        assert proxy.answered[node_a] >= 5 and proxy.answered[node_b] >= 5

    client.url = node_a
    version = client.call("GET", f"/api/v1/assets/{asset_id}")["edit_version"]
    client.call("PATCH", f"/api/v1/assets/{asset_id}", {
        "edit_version": version, "changes": {"caption": "Tequio vecinal en Xalpa"}})
    edited = time.monotonic()
    client.url = node_b
    found = _wait_for(lambda: client.call("GET", "/api/v1/search?q=tequio%20xalpa")
                      ["total"] == 1, 30)
    elapsed = time.monotonic() - edited
    assert found
    print(f"an edit on node A was found on node B after {elapsed:.2f} s")
    assert elapsed <= SYNC_SECONDS + 1.0


# -- publishing the gallery from two nodes ------------------------------------------------------


def _form(client: _Session, path: str) -> tuple[int, str, str]:
    """POST a form as the publish button does: (status, final URL, page); redirects followed."""
    form = urllib.parse.urlencode({"csrf_token": client.token}).encode()
    request = urllib.request.Request(client.url + path, data=form, method="POST",
                                     headers={"Accept-Language": "es-MX"})
    try:
        with client.opener.open(request, timeout=60) as response:
            return response.status, response.url, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.url, error.read().decode()


def _publish(client: _Session) -> int:
    """Press *Publicar galería*; the id of the run it queued."""
    status, url, _page = _form(client, "/publicacion/galeria")
    assert status == 200 and "/publicacion/ejecuciones/" in url, (status, url)
    return int(url.rsplit("/", 1)[1])


def _run_status(cluster: Cluster, run_id: int) -> str:
    return str(cluster.scalar(select(PublishRun.status).where(PublishRun.id == run_id)))


def _wait_status(cluster: Cluster, run_id: int, wanted: set[str], seconds: float = 120) -> str:
    _wait_for(lambda: _run_status(cluster, run_id) in wanted, seconds)
    return _run_status(cluster, run_id)


def _in_the_gallery(cluster: Cluster, asset_id: int) -> None:
    """The asset approved, in an album that is in the gallery."""
    catalog = cluster.catalog()
    try:
        with catalog.write() as session:
            for step in (WorkflowState.REVIEWED, WorkflowState.APPROVED):
                changed = change_state(session, ADMIN, [asset_id], step, utcnow())
                assert changed.changed == [asset_id], changed.refused
            album = create_album(session, ADMIN, f"Jornada {asset_id}")
            add_items(session, ADMIN, album.id, [asset_id])
            assert set_in_gallery(session, ADMIN, album.id, True)
    finally:
        catalog.engine.dispose()


def _live_gallery(cluster: Cluster, folder: Path) -> Path:
    """A copy of the live gallery (the bucket prefix, without what is being staged)."""
    client = make_test_client(cluster.endpoint)
    prefix = "galeria/"
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=cluster.bucket,
                                                             Prefix=prefix)
    for item in (i for page in pages for i in page.get("Contents", [])):
        path = item["Key"][len(prefix):]
        if path.startswith(".staging/"):
            continue
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(
            client.get_object(Bucket=cluster.bucket, Key=item["Key"])["Body"].read())
    return folder


def _photo(cluster: Cluster, tmp_path: Path, client: _Session, seed: int) -> int:
    data = make_photo(tmp_path / f"foto-{seed}.jpg", (1200, 900), seed=seed).read_bytes()
    asset_id = _upload(client, data, f"foto-{seed}.jpg")
    assert _ready(client, asset_id, cluster)
    return asset_id


def test_a_publication_asked_on_node_b_while_node_a_publishes_is_refused(
    cluster: Cluster, tmp_path: Path
) -> None:
    on_a, on_b = _Session(cluster.a, "admin", PASSWORD), _Session(cluster.b, "admin", PASSWORD)
    asset_id = _photo(cluster, tmp_path, on_b, seed=21)
    _in_the_gallery(cluster, asset_id)
    # The worker node writes the gallery through the proxy: paused, the publication waits
    # there (a slow target), running, for as long as the test needs (under the read timeout).
    cluster.store_proxy.pause()
    try:
        first = _publish(on_a)
        assert _wait_status(cluster, first, {"running"}, 60) == "running"
        status, _url, page = _form(on_b, "/publicacion/galeria")
    finally:
        cluster.store_proxy.resume()
    assert status == 409
    said = re.search(r'class="flash flash-error"[^>]*>([^<]*)<', page)
    assert said is not None, page[:3000]
    when = re.fullmatch(rf"La galería ya se está publicando: Administrador inició la "
                        rf"publicación {first} el (.+)\. Publíquela de nuevo cuando termine\.",
                        html.unescape(said.group(1)))
    assert when is not None and re.search(r"\d+:\d\d", when.group(1)), said.group(1)
    assert _wait_status(cluster, first, {"done", "failed"}) == "done"
    assert cluster.scalar(select(func.count()).select_from(PublishRun)) == 1  # none was added

    live = _live_gallery(cluster, tmp_path / "galeria")
    report = verify_gallery(live)
    assert report.ok, report
    assert any(path.name == "index.html" and f"/{asset_id}" in path.parent.as_posix()
               for path in live.rglob("index.html")), sorted(live.rglob("*"))[:40]

    second = _publish(on_b)  # now node B may publish
    assert _wait_status(cluster, second, {"done", "failed"}) == "done"
    assert verify_gallery(_live_gallery(cluster, tmp_path / "otra")).ok


def test_a_publication_whose_node_died_gives_way_after_its_lease(cluster: Cluster) -> None:
    on_a, on_b = _Session(cluster.a, "admin", PASSWORD), _Session(cluster.b, "admin", PASSWORD)
    cluster.store_proxy.pause()
    try:
        first = _publish(on_a)
        assert _wait_status(cluster, first, {"running"}, 60) == "running"
        assert _form(on_b, "/publicacion/galeria")[0] == 409
        cluster.kill_worker_node()  # the machine publishing it goes away
        killed = time.monotonic()
    finally:
        cluster.store_proxy.resume()
        cluster.start_worker()
    # No one renews its lease now: once it runs out, node B's request fails it and queues anew.
    accepted = None
    while accepted is None and time.monotonic() - killed < LEASE_SECONDS + 30:
        status, url, _page = _form(on_b, "/publicacion/galeria")
        if status == 200:
            accepted = int(url.rsplit("/", 1)[1])
        else:
            assert status == 409
            time.sleep(0.5)
    waited = time.monotonic() - killed
    print(f"a publication whose node died gave way after {waited:.1f} s "
          f"(lease {LEASE_SECONDS} s)")
    assert accepted is not None and accepted != first
    assert _run_status(cluster, first) == "failed"
    assert "abandoned" in str(cluster.scalar(select(PublishRun.error)
                                             .where(PublishRun.id == first)))
    assert _wait_status(cluster, accepted, {"done", "failed"}) == "done"


# -- one node cut off from the store ------------------------------------------------------------


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    return call(), time.monotonic() - started


def _get(client: _Session, path: str, *, follow: bool = True) -> tuple[int, bytes, str]:
    """(status, body, final URL) of a GET as the signed-in client, errors included."""
    opener = client.opener
    if not follow:  # the same cookies, no redirects
        (cookies,) = (h for h in client.opener.handlers
                      if isinstance(h, urllib.request.HTTPCookieProcessor))
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(cookies.cookiejar), _NoRedirect())
    request = urllib.request.Request(client.url + path, headers={"Accept-Language": "es-MX"})
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read(), response.url
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Location") or error.url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _job_of(cluster: Cluster, asset_id: int) -> tuple[str, int, str | None]:
    engine = create_engine(cluster.catalog_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(Job.state, Job.transient_retries, Job.transient_error)
                               .where(Job.asset_id == asset_id).order_by(Job.id)).first()
    finally:
        engine.dispose()
    assert row is not None
    return str(row[0]), int(row[1]), row[2]


def test_a_node_cut_off_from_the_store_fails_fast_and_recovers(
    cluster: Cluster, tmp_path: Path
) -> None:
    on_a, on_b = _Session(cluster.a, "admin", PASSWORD), _Session(cluster.b, "admin", PASSWORD)
    before = _photo(cluster, tmp_path, on_b, seed=31)
    info = on_b.call("GET", f"/api/v1/assets/{before}")
    thumb = next(r["url"] for r in info["renditions"] if r["kind"] == "thumbnail")
    original = hashlib.sha256(_get(on_b, f"/material/{before}/original-exacto")[1]).hexdigest()

    cluster.store_proxy.stop()
    try:
        # Node B, which reaches the store, serves everything, uploads included.
        for path in ("/", f"/material/{before}", "/publicacion"):
            assert _get(on_b, path)[0] == 200, path
        status, body, _ = _get(on_b, thumb)
        assert status == 200 and body[:3] == b"\xff\xd8\xff"
        assert hashlib.sha256(_get(on_b, f"/material/{before}/original-exacto")[1]
                              ).hexdigest() == original
        data = make_photo(tmp_path / "durante.jpg", (1200, 900), seed=32).read_bytes()
        during = _upload(on_b, data, "durante.jpg")

        # Node A answers at once: healthz says the store is away; pages from the catalog work.
        (status, body, _), took = _timed(lambda: _get(on_a, "/healthz"))
        assert status == 503 and b'"unavailable"' in body and took < CUT_OFF_ANSWER_SECONDS
        assert b'"store"' in body and b"unavailable" in body.split(b'"store"')[1][:400]
        for path in ("/", f"/material/{before}", "/publicacion", "/api/v1/search?q=foto"):
            assert _get(on_a, path)[0] == 200, path
        # A thumbnail is a redirect to the store (signed locally): the browser fetches it there.
        status, _, location = _get(on_a, thumb, follow=False)
        assert status in (302, 303) and cluster.store_proxy.address in location
        # What the node itself must read or write in the store fails fast, clearly, with 503.
        (status, body, _), took = _timed(lambda: _get(on_a, f"/material/{before}/original"))
        print(f"an original from the cut-off node: {status} in {took:.2f} s")
        assert status == 503 and took < CUT_OFF_ANSWER_SECONDS
        assert "El almacén de archivos no responde" in body.decode()
        assert _get(on_a, f"/material/{before}/jpeg")[0] == 503  # the press JPEG
        upload, took = _timed(lambda: _start_upload_chunk(on_a, data))
        assert upload == 503 and took < CUT_OFF_ANSWER_SECONDS

        # A silent store (connections accepted, never answered) is given up within the bound.
        cluster.store_proxy.start()
        cluster.store_proxy.pause()
        (status, body, _), took = _timed(lambda: _get(on_a, "/healthz"))
        print(f"healthz of node A with a silent store: {status} in {took:.2f} s")
        assert status == 503 and took < CUT_OFF_ANSWER_SECONDS
        assert b"unavailable" in body.split(b'"store"')[1][:400]

        # The worker node (through the same proxy) gives the job back to wait, not a failure.
        assert _wait_for(lambda: _job_of(cluster, during)[1] >= 2, 60), _job_of(cluster, during)
        state, retries, why = _job_of(cluster, during)
        assert state in ("queued", "running") and "unavailable" in (why or ""), (state, why)
        assert cluster.worker is not None and cluster.worker.poll() is None
    finally:
        cluster.store_proxy.start()
    cut_off = time.monotonic()

    # Back: node A recovers without a restart, the waiting job completes.
    assert _wait_for(lambda: _get(on_a, "/healthz")[0] == 200, 30)
    print(f"node A healthy again {time.monotonic() - cut_off:.1f} s after the store came back")
    status, body, _ = _get(on_a, thumb)
    assert status == 200 and body[:3] == b"\xff\xd8\xff"
    assert _get(on_a, f"/material/{before}/original")[0] == 200
    assert _ready(on_a, during, cluster, 60), _job_of(cluster, during)


def _start_upload_chunk(client: _Session, data: bytes) -> int:
    """The status of the first chunk of a new upload sent to the client's node."""
    batch = client.call("POST", "/api/v1/batches", {"event": "Sin almacén",
                                                    "photographer": "Ana Peña"})
    upload = client.call("POST", "/api/v1/uploads", {"batch_id": batch["id"],
                                                     "filename": "sin-almacen.jpg",
                                                     "size": len(data)})
    try:
        client.call("PATCH", upload["url"], data=data[:upload["chunk_size"]], headers={
            "Upload-Offset": "0", "Content-Type": "application/octet-stream"})
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def test_nodes_starting_at_once_share_the_first_admin(any_ctx: Context,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two nodes both find no account and both make `admin`: the second takes the first's."""
    assert ensure_first_admin(any_ctx.catalog, PASSWORD) is None  # made now, password given
    monkeypatch.setattr(accounts, "has_users", lambda _catalog: False)  # the other node's view
    assert ensure_first_admin(any_ctx.catalog, None) is None  # no error, no second password
    with any_ctx.catalog.read() as session:
        assert session.scalars(select(User.username)).all() == ["admin"]



