"""A catalog that stops answering gives 503 + Retry-After to everyone; it recovers by itself."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dam.db import Catalog
from dam.enums import WorkflowState
from dam.models import Asset
from tests.changefeed_check import record_fixture_writes
from tests.conftest import init_catalog, make_settings
from tests.web.conftest import PASSWORD, ROLES, add_photos, ctx_of, login, state_of
from web import create_app
from web.accounts import create_token, create_user

SPANISH = "El catálogo no responde en este momento"


@dataclass
class Outage:
    app: Flask
    cut: Callable[[], None]
    restore: Callable[[], None]


def _sqlite_outage(tmp_path: Path, template_catalog: Path) -> Iterator[Outage]:
    folder = tmp_path / "catalogo"
    folder.mkdir()
    shutil.copyfile(template_catalog, folder / "catalog.sqlite3")
    settings = make_settings(tmp_path, catalog_url=f"sqlite:///{folder / 'catalog.sqlite3'}")
    app = create_app(settings)
    app.config["TESTING"] = True
    away = tmp_path / "catalogo-desmontado"

    def cut() -> None:
        folder.rename(away)  # the disk holding the catalog is gone
        ctx_of(app).catalog.dispose()  # open files would still work: reconnect, as on a restart

    yield Outage(app, cut, lambda: away.rename(folder))
    state_of(app).close()


def _postgres_outage(tmp_path: Path, postgres_url: str) -> Iterator[Outage]:
    settings = make_settings(tmp_path, catalog_url=postgres_url)
    init_catalog(settings)
    catalog = Catalog(postgres_url)
    for username, role in ROLES.items():
        create_user(catalog, username, role, password=PASSWORD, display_name=username.title())
    catalog.dispose()
    app = create_app(settings)
    app.config["TESTING"] = True
    name = make_url(postgres_url).database
    admin = create_engine(make_url(postgres_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")

    def allow(on: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(on).lower()}'))
            if not on:  # the server drops every session: the pool's connections are dead
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"),
                             {"name": name})

    yield Outage(app, lambda: allow(False), lambda: allow(True))
    allow(True)
    state_of(app).close()
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request: pytest.FixtureRequest, tmp_path: Path, template_catalog: Path
           ) -> Iterator[Outage]:
    if request.param == "sqlite":
        yield from _sqlite_outage(tmp_path, template_catalog)
    else:
        yield from _postgres_outage(tmp_path, request.getfixturevalue("postgres_url"))


def _visits(app: Flask, asset_id: int) -> list[tuple[str, FlaskClient, str, str, dict[str, str]]]:
    """(who, client, method, path, headers): each role, the sign-in, the API with a token."""
    ctx = ctx_of(app)
    token = create_token(ctx.catalog, _user_id(app, "prensa"), "script")
    visits = [("anónimo", app.test_client(), "GET", f"/material/{asset_id}", {}),
              ("anónimo api", app.test_client(), "GET", f"/api/v1/assets/{asset_id}", {}),
              ("token", app.test_client(), "GET", "/api/v1/me",
               {"Authorization": f"Bearer {token}"})]
    for username in ROLES:
        client = app.test_client()
        assert login(client, username).status_code == 302
        visits.append((username, client, "GET", f"/material/{asset_id}", {}))
        visits.append((f"{username} api", client, "GET", "/api/v1/search?q=mercado", {}))
    return visits


def _user_id(app: Flask, username: str) -> int:
    from web.accounts import authenticate

    user = authenticate(ctx_of(app).catalog, username, PASSWORD)
    assert user is not None
    return user.id


def test_every_role_gets_503_with_retry_after_then_the_app_recovers(
    outage: Outage, tmp_path: Path
) -> None:
    app = outage.app
    asset_id = add_photos(app, tmp_path / "tarjeta", count=1).asset_ids[0]
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, asset_id).workflow_state = WorkflowState.PUBLISHED
        record_fixture_writes(session)
    visits = _visits(app, asset_id)
    signing_in = app.test_client()
    signing_in.get("/entrar")

    outage.cut()
    for who, client, method, path, headers in visits:
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 503, (who, path, response.status_code)
        assert int(response.headers["Retry-After"]) > 0, who
        if path.startswith("/api/"):
            assert response.json["error"] == "catalog_unavailable", who
            assert response.json["message"].startswith(SPANISH), who
        else:
            assert SPANISH in response.get_data(as_text=True), who
    refused = login(signing_in, "editora")
    assert refused.status_code == 503 and SPANISH in refused.get_data(as_text=True)

    outage.restore()
    for who, client, method, path, headers in visits:
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 200, (who, path, response.status_code)
    assert login(signing_in, "editora").status_code == 302
