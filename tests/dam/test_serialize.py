"""serialize_on: write transactions on the same name run one after the other (both databases)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from dam.context import Context, open_context
from dam.db import serialize_on
from dam.models import SignInFailure
from tests.conftest import init_catalog, make_settings


def _count(session, key: str) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).where(SignInFailure.key == key))


def test_a_second_transaction_waits_and_sees_what_the_first_committed(any_ctx: Context) -> None:
    holding = threading.Event()
    seen: list[int] = []

    def first() -> None:
        with any_ctx.catalog.write() as session:
            serialize_on(session, "gallery target s3://galeria")
            if _count(session, "marker") == 0:  # check, then act: what the lock protects
                session.add(SignInFailure(key="marker"))
            session.flush()
            holding.set()
            time.sleep(0.5)

    def second() -> None:
        holding.wait()
        with any_ctx.catalog.write() as session:
            serialize_on(session, "gallery target s3://galeria")
            count = _count(session, "marker")
            if count == 0:
                session.add(SignInFailure(key="marker"))
            seen.append(count)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [1]  # it waited for the first to commit, then found its row
    with any_ctx.catalog.read() as session:
        assert _count(session, "marker") == 1


def test_other_names_do_not_wait(postgres_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL only: SQLite serializes every write transaction anyway."""
    settings = make_settings(tmp_path, catalog_url=postgres_url)
    init_catalog(settings)
    any_ctx = open_context(settings)
    holding, done = threading.Event(), threading.Event()

    def first() -> None:
        with any_ctx.catalog.write() as session:
            serialize_on(session, "one")
            holding.set()
            done.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait()
    started = time.monotonic()
    with any_ctx.catalog.write() as session:
        serialize_on(session, "another")
    assert time.monotonic() - started < 1.0
    done.set()
    thread.join()
    any_ctx.close()
