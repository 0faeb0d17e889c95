"""Sign-in limits: an office behind one address is not locked out, proxies are believed only when
configured, and parallel tries check no more passwords than the limit (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from dam.config import Settings
from dam.db import Catalog
from dam.enums import Role
from dam.models import SignInFailure
from tests.conftest import init_catalog, make_settings
from tests.web.conftest import PASSWORD, csrf, state_of
from web import accounts, create_app

OFFICE = "201.140.7.20"  # the press office's one public address (NAT)
WRONG = "equivocada-123"


def _app(settings: Settings, template: Path | None = None) -> Flask:
    if template is not None:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, Path(settings.data_dir) / "catalog.sqlite3")
    application = create_app(settings)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def make_app(tmp_path: Path, template_catalog: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """Apps on copies of the accounts' catalog; a wrong password is refused without Argon2's
    deliberate cost (the limits are what these tests are about)."""
    real = accounts.authenticate
    monkeypatch.setattr(accounts, "authenticate", lambda catalog, username, password: (
        real(catalog, username, password) if password == PASSWORD else None))
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        settings = make_settings(tmp_path / f"app{len(made)}", **overrides)
        made.append(_app(settings, template_catalog))
        return made[-1]

    yield make
    for application in made:
        state_of(application).close()


def _client(app: Flask, address: str = OFFICE, **headers: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address})
    client.environ_base.update({f"HTTP_{k.upper().replace('-', '_')}": v
                                for k, v in headers.items()})
    return client


def _login(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    return client.post("/entrar", data={"username": username, "password": password,
                                        "csrf_token": csrf(client)}).status_code


def _failure_keys(app: Flask) -> set[str]:
    with state_of(app).ctx.catalog.read() as session:
        return set(session.scalars(select(SignInFailure.key)))


def test_one_bad_account_does_not_lock_the_office_out(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(login_attempts=3)
    for _ in range(3):  # someone at the office forgot their password
        assert _login(_client(app), "prensa", WRONG) == 401
    assert _login(_client(app), "prensa") == 429  # that account waits...
    assert _login(_client(app, "189.203.1.1"), "prensa") == 429  # ...from everywhere
    for username in ("editora", "fotografa", "admin"):  # everyone else signs in as usual
        assert _login(_client(app), username, WRONG) == 401  # even after a typo each
        assert _login(_client(app), username) == 302


def test_the_address_limit_is_much_higher_but_holds(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(login_attempts=3, login_attempts_per_address=6)
    for i in range(6):  # password spraying: one try per account name
        assert _login(_client(app), f"nadie{i}", WRONG) == 401
    assert _login(_client(app), "editora") == 429  # this address has spent its tries
    assert _login(_client(app, "189.203.1.1"), "editora") == 302  # another address has not


def test_forwarded_for_is_ignored_without_trusted_proxies(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(login_attempts=3, login_attempts_per_address=4)
    for i in range(4):  # a new forged address on every try gains the attacker nothing
        spoofed = _client(app, "198.51.100.7", X_Forwarded_For=f"10.9.8.{i}")
        assert _login(spoofed, f"nadie{i}", WRONG) == 401
    assert _login(_client(app, "198.51.100.7", X_Forwarded_For="10.9.8.99"), "editora") == 429
    assert {k for k in _failure_keys(app) if k.startswith("ip:")} == {"ip:198.51.100.7"}


def test_forwarded_for_is_believed_behind_trusted_proxies(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(login_attempts=3, login_attempts_per_address=4, web_trusted_proxies=1)
    proxy = "127.0.0.1"  # the reverse proxy on this machine; clients are behind it
    for i in range(4):  # different people, each at their own address
        client = _client(app, proxy, X_Forwarded_For=f"forged, 203.0.113.{i}")
        assert _login(client, f"nadie{i}", WRONG) == 401
    assert _login(_client(app, proxy, X_Forwarded_For="203.0.113.50"), "editora") == 302
    # The proxy appends the real address: what the client wrote before it is not believed.
    assert {k for k in _failure_keys(app) if k.startswith("ip:")} == {
        f"ip:203.0.113.{i}" for i in range(4)}


@pytest.fixture(params=["sqlite", "postgresql"])
def race_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    overrides: dict[str, object] = {"login_attempts": 3}
    if request.param == "postgresql":
        overrides["catalog_url"] = request.getfixturevalue("postgres_url")
    settings = make_settings(tmp_path, **overrides)
    init_catalog(settings)
    catalog = Catalog(settings.catalog_url)
    accounts.create_user(catalog, "prensa", Role.VIEWER, password=PASSWORD)
    catalog.dispose()
    application = _app(settings)
    yield application
    state_of(application).close()


def test_parallel_tries_check_no_more_passwords_than_the_limit(  # type: ignore[no-untyped-def]
    race_app: Flask, monkeypatch,
) -> None:
    checked: list[str] = []
    real = accounts.authenticate

    def counting(catalog, username, password):  # type: ignore[no-untyped-def]
        checked.append(password)
        return real(catalog, username, password)

    monkeypatch.setattr(accounts, "authenticate", counting)
    clients = [_client(race_app) for _ in range(60)]
    for client in clients:
        csrf(client)
    start = threading.Barrier(len(clients))
    answers: list[int] = []

    def attack(client: FlaskClient) -> None:
        start.wait()
        answers.append(_login(client, "prensa", WRONG))

    threads = [threading.Thread(target=attack, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(answers)) == [401, 429]
    assert len(checked) == answers.count(401) == 3  # login_attempts, not one more
    assert _login(_client(race_app), "prensa") == 429
