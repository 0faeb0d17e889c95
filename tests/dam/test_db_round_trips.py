"""The catalog's connections on PostgreSQL: pages read without transactions, and a connection
is pinged only after it sat idle, yet one the server dropped meanwhile is replaced unnoticed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import dam.db
from dam.db import Catalog, migrate
from dam.models import Asset


@pytest.fixture
def catalog(postgres_url: str) -> Iterator[Catalog]:
    found = Catalog(postgres_url)
    migrate(found)
    yield found
    found.dispose()


def _state_of(postgres_url: str, pid: int) -> str:
    admin = create_engine(make_url(postgres_url).set(database="postgres"))
    with admin.connect() as conn:
        state = conn.execute(text("SELECT state FROM pg_stat_activity WHERE pid = :p"),
                             {"p": pid}).scalar_one()
    admin.dispose()
    return str(state)


def test_a_glance_leaves_no_transaction_open_a_read_does(catalog: Catalog,
                                                         postgres_url: str) -> None:
    with catalog.glance() as session:
        session.execute(select(Asset.id).limit(1)).all()
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _state_of(postgres_url, pid) == "idle"
    with catalog.read() as session:
        session.execute(select(Asset.id).limit(1)).all()
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _state_of(postgres_url, pid) == "idle in transaction"
    with catalog.write() as session:  # after a glance, the pool's connection transacts again
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _state_of(postgres_url, pid) == "idle in transaction"


def _kill_connections(postgres_url: str) -> None:
    admin = create_engine(make_url(postgres_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"),
                     {"n": make_url(postgres_url).database})
    admin.dispose()


def test_a_connection_dropped_while_idle_is_replaced_without_an_error(
        catalog: Catalog, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with catalog.glance() as session:
        before = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    _kill_connections(postgres_url)  # as a server restart does overnight
    monkeypatch.setattr(dam.db, "PING_AFTER_IDLE_SECONDS", 0.0)  # "overnight"
    with catalog.glance() as session:
        after = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert after != before


def test_a_connection_used_a_moment_ago_is_not_pinged(catalog: Catalog) -> None:
    pings: list[object] = []
    original = catalog.engine.dialect.do_ping
    catalog.engine.dialect.do_ping = lambda conn: pings.append(conn) or original(conn)  # type: ignore[method-assign]
    try:
        for _ in range(5):
            with catalog.glance() as session:
                session.execute(select(Asset.id).limit(1)).all()
    finally:
        del catalog.engine.dialect.do_ping
    assert pings == []
