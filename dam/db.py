"""The catalog database: engines, sessions, and the check that its schema is current."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Engine, any_, create_engine, event, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dam.errors import CatalogNotReadyError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# Alembic is imported where it is used: worker processes never need it, and it costs ~11 MB.

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and explicit BEGIN so writers can take the lock early.

    pysqlite's own transaction handling begins lazily, which lets two writers deadlock on the
    read-to-write upgrade; we emit BEGIN ourselves and ask for IMMEDIATE where we will write.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the catalog URL, with SQLite tuned for several processes."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 10.0


def _ping_after_idle(engine: Engine) -> None:
    """Ask a pooled connection whether the server still has it only when it sat idle a while.

    SQLAlchemy's ``pool_pre_ping`` asks at every checkout: a round trip each, four or five a page
    (a fifth of a page's time on a busy machine). A server restart finds connections idle past
    this long checked and replaced; one that dies within seconds of its last use fails its
    statement, and the pool then replaces every connection older than the failure.
    """

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure: a new connection is made
            raise DisconnectionError("the catalog connection was lost") from exc
        if not alive:
            raise DisconnectionError("the catalog connection was lost")


class Catalog:
    """The catalog database of one process: an engine and its session factories."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        writer_bind = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._writer = sessionmaker(writer_bind, expire_on_commit=False)
        # PostgreSQL: no BEGIN and ROLLBACK around a page's reads (two round trips each).
        self.glance_engine = (self.engine if self.is_sqlite
                              else self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        self._glancer = sessionmaker(self.glance_engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def glance(self) -> Iterator[Session]:
        """A session for a page's plain reads: on PostgreSQL each statement runs on its own
        (autocommit), which under READ COMMITTED sees what a transaction would, without the
        BEGIN and ROLLBACK round trips. Not for writes, locks (FOR UPDATE) nor ``yield_per``
        (a server-side cursor needs a transaction); SQLite: as ``read``."""
        with self._glancer() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session that writes: committed on success, rolled back on error."""
        with self._writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def among(column: Any, values: Iterable[Any], *, sqlite: bool) -> ColumnElement[bool]:
    """``column IN (values)``. On PostgreSQL written ``column = ANY(:array)``: one parameter
    whatever the count, so a grid's statement is the same text every time (SQLAlchemy compiles
    it once and psycopg prepares it), where an IN list of sixty ids was rendered afresh on each
    call (~1 ms of CPU a statement)."""
    if sqlite:
        return column.in_(list(values))
    array = _ARRAYS.get(type(column.type))
    if array is None:  # made once per type: ARRAY() costs ~120 us
        array = _ARRAYS[type(column.type)] = ARRAY(column.type)
    return column == any_(literal(list(values), array))


_ARRAYS: dict[type, ARRAY[Any]] = {}


def dialect_is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def serialize_on(session: Session, name: str) -> None:
    """Make write transactions that call this with the same ``name`` run one after another.

    On PostgreSQL a transaction-level advisory lock, held until commit or rollback: a second
    transaction waits here, then sees what the first committed (READ COMMITTED). SQLite writes
    are serialized already (BEGIN IMMEDIATE), so nothing is needed there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None, "migrations/ has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(catalog: Catalog) -> tuple[str | None, str]:
    """Upgrade the catalog to the newest schema; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(catalog.engine)
    cfg = alembic_config(catalog.url)
    with catalog.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, head_revision()


def check_ready(catalog: Catalog) -> None:
    """Raise CatalogNotReadyError, saying how to fix it, unless the schema is current."""
    try:
        current = current_revision(catalog.engine)
    except OperationalError as exc:
        raise CatalogNotReadyError(
            f"cannot open the catalog at {_display(catalog.url)}: {exc.orig}"
        ) from exc
    head = head_revision()
    if current is None:
        raise CatalogNotReadyError(
            f"the catalog at {_display(catalog.url)} is not initialised: run `dam init`"
        )
    if current != head:
        raise CatalogNotReadyError(
            f"the catalog at {_display(catalog.url)} is at schema {current}, this version needs "
            f"{head}: run `dam init` to migrate it"
        )


def _display(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


from dam.curation import audit as _audit  # noqa: E402,F401
