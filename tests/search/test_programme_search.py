"""Programmes and campaigns in the query language and facets, on both engines:
``programa:`` and ``campaña:`` (``campana:``), accent-insensitive, whole word or prefix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from dam.search.query import QuerySyntaxError, parse_query
from dam.search.service import SearchService
from dam.search.suggest import field_form
from tests.search.conftest import ENGINES, indexed_service

UTOPIAS = SimpleNamespace(id=100, event="Inauguración de la Utopía", event_date=None,
                          area="Dirección de Cultura", programme="Utopías", place=None,
                          photographer=None)


def _photo(aid: int, headline: str, programme: str | None, campaign: str | None,
           batch: SimpleNamespace | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        id=aid, media_type="photo", state="ready", original_filename=f"foto_{aid}.jpg",
        created_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC), taken_at=dt.datetime(2025, 3, aid, 12),
        headline=headline, caption=None, keywords=[], creator="Ana Peña",
        programme=programme, campaign=campaign, workflow_state="draft", batch=batch,
    )


def _archive() -> list[SimpleNamespace]:
    return [
        _photo(1, "Entrega de despensas", "Mercomuna", None),
        _photo(2, "Mercado con vales", "Mercomuna", "Iztapalapa limpia"),
        _photo(3, "Alberca techada", "Utopías", None),
        _photo(4, "Taller de pintura", None, None, batch=UTOPIAS),  # the batch's programme
        _photo(5, "Jornada de limpieza", None, "Iztapalapa limpia"),
        _photo(6, "Cartel de la campaña", None, "Campaña de vacunación"),
    ]


@pytest.fixture(scope="module", params=ENGINES)
def service(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    yield from indexed_service(tmp_path_factory, "programmes", request.param, _archive())


def _ids(svc: SearchService, query: str) -> set[int]:
    return {h.asset_id for h in svc.search(query, per_page=50, facets=False).hits}


def test_programme_whole_word_prefix_and_accents(service: SearchService) -> None:
    assert _ids(service, "programa:mercomuna") == {1, 2}
    assert _ids(service, "programa:utopias") == {3, 4}  # typed without the accent
    assert _ids(service, "programa:UTOPÍAS") == {3, 4}
    assert _ids(service, "programa:utop") == {3, 4}  # a prefix
    assert _ids(service, "programme:mercomuna -campaña:limpia") == {1}
    assert _ids(service, "utopias") >= {3, 4}  # free text finds it too


def test_campaign_by_either_spelling_apart_from_the_programme(service: SearchService) -> None:
    assert _ids(service, "campaña:limpia") == {2, 5}
    assert _ids(service, 'campana:"iztapalapa limpia"') == {2, 5}
    assert _ids(service, "campaign:vacunacion") == {6}
    assert _ids(service, "campaña:mercomuna") == set()  # a programme is not a campaign
    assert _ids(service, "programa:limpia") == set()


def test_facets_and_filters_by_programme_and_campaign(service: SearchService) -> None:
    r = service.search("", facets=("programme", "campaign"))
    assert dict(r.facets["programme"]) == {"Mercomuna": 2, "Utopías": 2}
    assert dict(r.facets["campaign"]) == {"Iztapalapa limpia": 2, "Campaña de vacunación": 1}
    only = service.search("", filters={"programme": ["Utopías"]})
    assert {h.asset_id for h in only.hits} == {3, 4}
    both = service.search("", filters={"programme": ["Mercomuna"],
                                       "campaign": ["Iztapalapa limpia"]})
    assert {h.asset_id for h in both.hits} == {2}


def test_the_field_words_parse_and_are_offered() -> None:
    assert "field='programme'" in repr(parse_query("programa:utopias").filter or
                                       parse_query("programa:utopias").text)
    assert field_form("campaña limpieza") == "campaña:limpieza"
    assert field_form("programa mercomuna") == "programa:mercomuna"
    with pytest.raises(QuerySyntaxError, match="programa"):
        parse_query("programa:")
