"""Search fixtures: an index of the judged archive for each engine, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dam.search.documents import build_document
from dam.search.engine import SCHEMA_VERSION, SearchEngine, engine_factory
from dam.search.service import SearchService
from dam.search.store import DATA_DIR, IndexLocation, IndexMeta, write_meta
from tests.conftest import make_settings
from tests.search.archive import make_archive
from tests.web.conftest import (  # noqa: F401  (the web app fixtures, for the search page tests)
    app,
    archive,
    template_catalog,
    web_settings,
)

ENGINES = ["whoosh", "tantivy"]


def build_index(root: Path, engine_name: str, assets: list) -> None:
    """An index generation holding ``assets``, made current, without a catalog."""
    factory = engine_factory(engine_name)
    location = IndexLocation(root)
    generation = location.new_generation(engine_name)
    engine: SearchEngine = factory.create(generation / DATA_DIR)
    writer = engine.writer()
    writer.upsert(build_document(a) for a in assets)
    writer.commit()
    engine.close()
    write_meta(generation, IndexMeta(engine_name, SCHEMA_VERSION, 0))
    location.swap(generation)


def indexed_service(tmp_path_factory: pytest.TempPathFactory, name: str, engine_name: str,
                    assets: list) -> Iterator[SearchService]:
    """A search service over an index of ``assets`` alone (no catalog), closed after use: the
    body of a module's or session's service fixture (``yield from``)."""
    base = tmp_path_factory.mktemp(f"{name}-{engine_name}")
    settings = make_settings(base, search_engine=engine_name)
    build_index(settings.index_path, engine_name, assets)
    service = SearchService(settings)
    yield service
    service.close()


@pytest.fixture(scope="session", params=ENGINES)
def archive_service(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    yield from indexed_service(tmp_path_factory, "archive", request.param, make_archive())
