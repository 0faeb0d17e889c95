"""Press clippings and publications in the query language: medio:, tono:, serie:, mes:marzo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from dam.search.query import parse_query
from dam.search.service import SearchService
from tests.search.conftest import ENGINES, indexed_service


def _clipping(aid: int, medium: str, day: str, tone: str | None, headline: str) -> SimpleNamespace:
    date = dt.date.fromisoformat(day)
    return SimpleNamespace(
        id=aid, media_type="document", state="ready", original_filename=f"nota_{aid}.pdf",
        created_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        taken_at=dt.datetime(2026, 4, 30, 12),  # the PDF's creation date: not its date
        headline=headline, caption=None, keywords=[], creator="Redacción", credit=None,
        medium=medium, section="Ciudad", series=None, tone=tone,
        publication_kind="clipping", distribution_date=date, workflow_state="draft", batch=None,
    )


def _archive() -> list[SimpleNamespace]:
    gaceta = SimpleNamespace(
        id=10, media_type="document", state="ready", original_filename="gaceta_12.pdf",
        created_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC), taken_at=None, headline="Gaceta 12",
        series="Gaceta Iztapalapa", issue_number=12, publication_kind="bulletin",
        distribution_date=dt.date(2025, 2, 1), workflow_state="draft", batch=None,
    )
    return [
        _clipping(1, "Reforma", "2025-03-03", "negative", "Bache en avenida Ermita"),
        _clipping(2, "Reforma", "2025-03-20", "positive", "Nuevo mercado en Santa Cruz"),
        _clipping(3, "La Jornada", "2025-03-11", "neutral", "Agua en Iztapalapa"),
        _clipping(4, "Reforma", "2025-04-02", None, "Utopía de la Libertad"),
        _clipping(5, "El Universal", "2024-03-15", "positive", "Mercado sobre ruedas"),
        gaceta,
    ]


@pytest.fixture(scope="module", params=ENGINES)
def service(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    yield from indexed_service(tmp_path_factory, "clippings", request.param, _archive())


def _ids(svc: SearchService, query: str) -> set[int]:
    return {h.asset_id for h in svc.search(query, per_page=50, facets=False).hits}


def test_medium_and_month_of_publication(service: SearchService) -> None:
    assert _ids(service, "medio:reforma") == {1, 2, 4}
    assert _ids(service, 'medio:"la jornada"') == {3}
    # The month is the clipping's date of publication, never the PDF's creation date.
    assert _ids(service, "medio:Reforma mes:2025-03") == {1, 2}
    assert _ids(service, "impreso:recorte mes:2024-03") == {5}
    assert _ids(service, "seccion:ciudad") == {1, 2, 3, 4, 5}


def test_month_in_words_after_the_field(service: SearchService) -> None:
    today = dt.date(2025, 6, 1)
    parsed = parse_query("medio:Reforma mes:marzo", today)
    assert "Range(field='taken_day', low=20148, high=20178)" in repr(parsed.filter)  # March 2025
    assert _ids(service, 'medio:Reforma mes:"marzo 2025"') == {1, 2}
    assert _ids(service, 'mes:"marzo 2024"') == {5}


def test_tone_series_and_kind(service: SearchService) -> None:
    assert _ids(service, "tono:negativa") == {1}
    assert _ids(service, "tono:positiva") == {2, 5}
    assert _ids(service, "serie:gaceta") == {10}
    assert _ids(service, "impreso:gaceta") == {10}
    assert _ids(service, "-impreso:recorte tipo:pdf") == {10}


def test_facets_by_medium_month_and_tone(service: SearchService) -> None:
    r = service.search("impreso:recorte", facets=("medium", "month", "tone"))
    assert dict(r.facets["medium"]) == {"Reforma": 3, "La Jornada": 1, "El Universal": 1}
    assert dict(r.facets["month"]) == {"2025-03": 3, "2025-04": 1, "2024-03": 1}
    assert dict(r.facets["tone"]) == {"positiva": 2, "negativa": 1, "neutral": 1}
    filtered = service.search("", filters={"medium": ["Reforma"], "month": ["2025-03"]})
    assert {h.asset_id for h in filtered.hits} == {1, 2}


def test_unknown_tone_is_a_helpful_error() -> None:
    with pytest.raises(Exception, match="positiva"):
        parse_query("tono:feliz")
