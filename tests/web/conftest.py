"""Web fixtures: an app on a migrated catalog, one account per role, a few processed photos."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dam.catalog import BatchInfo
from dam.config import Settings
from dam.context import Context
from dam.db import Catalog
from dam.enums import Role
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from tests.conftest import init_catalog, make_settings
from tests.media import make_photo
from web import create_app
from web.accounts import create_user
from web.state import state

PASSWORD = "contraseña-segura-1"
ROLES = {"admin": Role.ADMIN, "editora": Role.EDITOR, "fotografa": Role.PHOTOGRAPHER,
         "prensa": Role.VIEWER}
INFO = BatchInfo(event="Inauguración del mercado", area="Dirección General de Obras",
                 place="Santa Cruz Meyehualco", photographer="Ana Peña")


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, upload_chunk_bytes=64 * 1024, upload_max_bytes=50_000_000,
                         login_attempts=3)


@pytest.fixture(scope="session")
def template_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite catalog with one account per role, made once and copied per test."""
    base = tmp_path_factory.mktemp("template")
    settings = make_settings(base)
    init_catalog(settings)
    catalog = Catalog(settings.catalog_url)
    for username, role in ROLES.items():
        create_user(catalog, username, role, password=PASSWORD, display_name=username.title())
    with catalog.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    catalog.dispose()
    return Path(settings.data_dir) / "catalog.sqlite3"


@pytest.fixture
def app(web_settings: Settings, template_catalog: Path) -> Iterator[Flask]:
    Path(web_settings.data_dir).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_catalog, Path(web_settings.data_dir) / "catalog.sqlite3")
    application = create_app(web_settings)
    application.config["TESTING"] = True
    yield application
    state_of(application).close()


def state_of(application: Flask):  # type: ignore[no-untyped-def]
    with application.app_context():
        return state()


def ctx_of(application: Flask) -> Context:
    return state_of(application).ctx


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf(client: FlaskClient) -> str:
    """The CSRF token of the client's session (made by rendering any page)."""
    with client.session_transaction() as session:
        if "csrf" not in session:
            session["csrf"] = "test-csrf-token-0123456789"
        return session["csrf"]


def login(client: FlaskClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/entrar", data={"username": username, "password": password,
                                        "csrf_token": csrf(client)})


@dataclass
class Archive:
    asset_ids: list[int]
    batch_id: int


def add_photos(application: Flask, folder: Path, count: int = 3, info: BatchInfo = INFO,
               gps: tuple[float, float] | None = (19.3574, -99.0671)) -> Archive:
    """Ingest and process ``count`` photos in this process, then bring the index up to date."""
    ctx = ctx_of(application)
    paths = [make_photo(folder / f"foto_{i}.jpg", (640, 480), seed=i + 11, gps=gps)
             for i in range(count)]
    report = ingest_paths(ctx, paths, info)
    ids = [r.asset_id for r in report.results if r.asset_id]
    for asset_id in ids:
        process_asset(ctx, asset_id)
    state_of(application).search.sync()
    return Archive(ids, report.batch_id)


@pytest.fixture
def archive(app: Flask, tmp_path: Path) -> Archive:
    return add_photos(app, tmp_path / "tarjeta")


def meta_csrf(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "page has no CSRF meta tag"
    return found.group(1)


class EnglishClient(FlaskClient):
    """A browser that chose English (as the language menu does), for tests that read text."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        with self.session_transaction() as session:
            session["lang"] = "en"


def use_english(application: Flask) -> None:
    """Every client of ``application`` reads the English pages (the default is es-MX)."""
    application.test_client_class = EnglishClient


def signed_in(application: Flask, username: str) -> FlaskClient:
    """A client of ``application`` signed in as ``username``."""
    client = application.test_client()
    login(client, username)
    return client


def post_form(client: FlaskClient, path: str, **data: object):  # type: ignore[no-untyped-def]
    """POST a form with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf(client), **data})
