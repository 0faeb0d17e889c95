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


@pytest.fixture(scope="session", params=ENGINES)
def archive_service(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    base = tmp_path_factory.mktemp(f"archive-{request.param}")
    settings = make_settings(base, search_engine=request.param)
    build_index(settings.index_path, request.param, make_archive())
    service = SearchService(settings)
    yield service
    service.close()
