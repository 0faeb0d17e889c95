"""Migrations: an empty database upgrades to the models' schema; stale catalogs are refused."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dam.config import Settings
from dam.db import Catalog, check_ready, head_revision, migrate
from dam.errors import CatalogNotReadyError
from dam.models import Base


def test_empty_database_upgrades_to_exactly_the_models(any_settings: Settings) -> None:
    catalog = Catalog(any_settings.catalog_url)
    with pytest.raises(CatalogNotReadyError, match="not initialised: run `dam init`"):
        check_ready(catalog)
    before, after = migrate(catalog)
    assert (before, after) == (None, head_revision())
    check_ready(catalog)
    with catalog.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert migrate(catalog) == (after, after)  # running again changes nothing
    catalog.dispose()


def test_catalog_behind_the_code_says_how_to_fix_it(settings: Settings) -> None:
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    with catalog.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000old'")
    with pytest.raises(CatalogNotReadyError, match="run `dam init` to migrate"):
        check_ready(catalog)
    catalog.dispose()
