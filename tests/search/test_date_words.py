"""Dates written in words become date filters (Mexico City's day); other numbers stay words."""

from __future__ import annotations

import datetime as dt

import pytest

from dam.search.date_words import find_dates, office_today
from dam.search.documents import day_number
from dam.search.query import Or, Range, parse_query

TODAY = dt.date(2026, 12, 5)  # a Saturday


def _span(query: str) -> tuple[str, list[tuple[dt.date, dt.date]]]:
    rest, dates = find_dates(query, TODAY)
    return rest, [(d.first, d.last) for d in dates]


@pytest.mark.parametrize(("query", "rest", "first", "last"), [
    ("mercado marzo 2025", "mercado", dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
    ("marzo de 2025 mercado", "mercado", dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
    ("informe 15 de septiembre de 2024", "informe", dt.date(2024, 9, 15), dt.date(2024, 9, 15)),
    ("15 Septiembre 2024", "", dt.date(2024, 9, 15), dt.date(2024, 9, 15)),
    ("septiembre", "", dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
    ("desfile en diciembre", "desfile", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ("2019", "", dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
    ("feria del empleo 2025", "feria del empleo", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("bacheo ayer", "bacheo", dt.date(2026, 12, 4), dt.date(2026, 12, 4)),
    ("la semana pasada", "", dt.date(2026, 11, 23), dt.date(2026, 11, 29)),
    ("marcha este año", "marcha", dt.date(2026, 1, 1), TODAY),
    ("el año pasado", "", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("hoy", "", TODAY, TODAY),
])
def test_dates_in_words_become_ranges(query: str, rest: str, first: dt.date,
                                      last: dt.date) -> None:
    assert _span(query) == (rest, [(first, last)])


@pytest.mark.parametrize("query", [
    "calle 5", "150 luminarias", "3000", "ruta 66", '"marzo 2025"', "lugar:mayo",
    "fecha:2025-03", "-2019",
])
def test_other_numbers_and_quoted_or_field_text_stay_as_typed(query: str) -> None:
    rest, dates = find_dates(query, TODAY)
    assert dates == [] and rest == query


def test_a_bare_number_that_is_not_a_year_is_a_word() -> None:
    parsed = parse_query("calle 5", TODAY)
    assert parsed.free_words == ["calle", "5"] and parsed.filter is None


def test_the_date_filter_joins_the_typed_filters() -> None:
    parsed = parse_query("mercado marzo 2025 tipo:foto", TODAY)
    assert parsed.free_words == ["mercado"]
    assert Range("taken_day", day_number(dt.date(2025, 3, 1)),
                 day_number(dt.date(2025, 3, 31))) in parsed.filter.nodes
    assert [d.text for d in parsed.dates] == ["marzo 2025"]
    two = parse_query("marzo 2025 abril 2025", TODAY)
    assert isinstance(two.filter, Or) and two.text is None
    assert parse_query("mercado OR 2019", TODAY).dates == []  # part of the logic: a word


def test_today_is_mexico_citys_day() -> None:
    from zoneinfo import ZoneInfo

    assert office_today() == dt.datetime.now(ZoneInfo("America/Mexico_City")).date()


def test_a_date_in_words_filters_the_results(archive_service) -> None:  # type: ignore[no-untyped-def]
    r = archive_service.search("mercado marzo 2025", per_page=50)
    assert r.total == 10 and [d.text for d in r.dates] == ["marzo 2025"]  # not 2022's
    assert archive_service.search("mercado 2022").total == 10
    assert archive_service.search("vacunación 2024").total == 0
