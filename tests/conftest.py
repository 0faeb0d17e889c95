"""Shared fixtures: settings in a temporary folder, a migrated catalog, PostgreSQL if available."""

from __future__ import annotations

import atexit
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from dam.config import Settings, load_settings
from dam.context import Context, open_context
from dam.db import Catalog, migrate
from tests import changefeed_check
from tests.conftest_s3 import any_s3_bucket, any_s3_server, s3_bucket, s3_server  # noqa: F401
from tests.conftest_seaweedfs import seaweedfs_bucket, seaweedfs_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# The shared corpus beside the project (DAM_TEST_CORPUS names another place, e.g. from a worktree).
CORPUS = Path(os.environ.get("DAM_TEST_CORPUS") or ROOT.parent / "shared" / "corpus").resolve()
POSTGRES_ENV = "DAM_TEST_POSTGRES_URL"

# Every transaction of the tests, and of the processes they start, must record in the change
# feed what it changes of an asset (tests/changefeed_check.py).
changefeed_check.install()
CHANGEFEED_LOG = Path(tempfile.gettempdir()) / f"acervo-changefeed-{os.getpid()}.log"
CHANGEFEED_LOG.write_text("")
atexit.register(lambda: CHANGEFEED_LOG.unlink(missing_ok=True))
os.environ["ACERVO_CHANGEFEED_LOG"] = str(CHANGEFEED_LOG)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [changefeed_check.SITE_DIR, *filter(None, [os.environ.get("PYTHONPATH")])])


@pytest.fixture(autouse=True)
def _every_change_recorded() -> Iterator[None]:
    """Fail a test whose code (or a process it started) changed an asset without recording it,
    even if the error was caught on the way (a job's failure, a web error page)."""
    changefeed_check.VIOLATIONS.clear()
    start = CHANGEFEED_LOG.stat().st_size
    yield
    found = list(changefeed_check.VIOLATIONS)
    changefeed_check.VIOLATIONS.clear()
    with CHANGEFEED_LOG.open(encoding="utf-8") as log:
        log.seek(start)
        found += [m for m in log.read().split(changefeed_check.SEPARATOR + "\n") if m.strip()]
    if found:
        pytest.fail(f"{len(found)} unrecorded change(s); the first:\n{found[0]}", pytrace=False)


def make_settings(base: Path, **overrides: object) -> Settings:
    """Settings for a test: everything under ``base``, short leases, quick retries."""
    values: dict[str, object] = {
        "data_dir": str(base / "var"),
        "workers": 2,
        "job_lease_seconds": 5,
        "job_retry_base_seconds": 0.05,
        "job_timeout_seconds": 120,
        "watch_settle_seconds": 0.0,
        "faces": False,  # dlib costs every worker ~1 s to load: tests of faces turn it on
    }
    values.update(overrides)
    return load_settings(env={}, base_dir=base, **values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


def init_catalog(settings: Settings) -> None:
    catalog = Catalog(settings.catalog_url)
    try:
        migrate(catalog)
    finally:
        catalog.dispose()


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    init_catalog(settings)
    context = open_context(settings)
    yield context
    context.close()


#: Where `make test` looks for PostgreSQL when DAM_TEST_POSTGRES_URL is not set (.ci/run sets it).
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_answers(url: str, timeout_seconds: int = 2) -> bool:
    """Whether a PostgreSQL server accepts a connection at ``url`` within a couple of seconds."""
    engine = create_engine(url, connect_args={"connect_timeout": timeout_seconds},
                           poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """DAM_TEST_POSTGRES_URL; unset, the local server at the default address if it answers
    (set it empty to leave PostgreSQL out)."""
    url = os.environ.get(POSTGRES_ENV)
    if url is None and postgres_answers(DEFAULT_POSTGRES_URL):
        url = DEFAULT_POSTGRES_URL
    if not url:
        pytest.skip(f"PostgreSQL tests need a server at {DEFAULT_POSTGRES_URL} or {POSTGRES_ENV}")
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"dam_test_{secrets.token_hex(4)}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on SQLite, and again on PostgreSQL when it is available."""
    if request.param == "sqlite":
        return make_settings(tmp_path)
    url = request.getfixturevalue("postgres_url")
    return make_settings(tmp_path, catalog_url=url)


@pytest.fixture
def any_ctx(any_settings: Settings) -> Iterator[Context]:
    init_catalog(any_settings)
    context = open_context(any_settings)
    yield context
    context.close()


def require_corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return CORPUS
