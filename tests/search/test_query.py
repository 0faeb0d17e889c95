"""The query language: what each construct parses to, and helpful errors for malformed queries."""

from __future__ import annotations

import pytest

from dam.search.documents import day_number
from dam.search.errors import QuerySyntaxError, QueryTooComplexError
from dam.search.query import (
    MAX_DEPTH,
    MAX_TERMS,
    And,
    Keyword,
    Not,
    Or,
    Phrase,
    Range,
    Word,
    parse_query,
)


def test_free_words_phrases_exclusions_and_or() -> None:
    q = parse_query('mercado "sobre ruedas" -tianguis')
    assert q.text == And((Word("mercado"), Phrase(("sobre", "ruedas")), Not(Word("tianguis"))))
    assert parse_query("mercado OR tianguis").text == Or((Word("mercado"), Word("tianguis")))
    assert parse_query("la de el").text is None  # only stop words: everything


def test_fields_in_spanish_and_english() -> None:
    q = parse_query('fotografo:López persona:"Clara Brugada" photographer:peña')
    assert q.text == And((Word("lopez", "creator"), Phrase(("clara", "brugada"), "people"),
                          Word("pena", "creator")))


def test_x_con_y_asks_for_both_people_in_one_picture() -> None:
    q = parse_query('persona:"Clara Brugada" con "Ana López" con pedro mercado')
    assert q.text == And((Phrase(("clara", "brugada"), "people"),
                          Phrase(("ana", "lopez"), "people"), Word("pedro", "people"),
                          Word("mercado")))
    assert parse_query("mercado con tianguis").text == And((Word("mercado"), Word("tianguis")))
    assert parse_query("tipo:foto con perros").text == Word("perros")  # not a name field


def test_filters_are_split_from_scored_words() -> None:
    q = parse_query("mercado tipo:foto -estado:embargado fecha:2025-03-01..2025-03-31 gps:si")
    assert q.text == Word("mercado")
    first, last = day_number(__import__("datetime").date(2025, 3, 1)), None
    assert isinstance(q.filter, And)
    assert q.filter.nodes[0] == Keyword(("type",), ("photo",))
    assert q.filter.nodes[1] == Not(Keyword(("workflow", "rights"), ("embargado",)))
    assert q.filter.nodes[2].low == first and q.filter.nodes[2].high == first + 30
    assert q.filter.nodes[3] == Keyword(("gps",), ("si",))
    del last


@pytest.mark.parametrize(
    ("value", "days"),
    [("2025-03", 31), ("2024", 366), ("2025-03..2025-04", 61), ("14/03/2025", 1)],
)
def test_date_forms(value: str, days: int) -> None:
    node = parse_query(f"fecha:{value}").filter
    assert isinstance(node, Range) and node.high - node.low + 1 == days


def test_year_and_open_ranges() -> None:
    assert parse_query("año:2024").filter == parse_query("fecha:2024").filter
    assert parse_query("year:2020..2022").filter.low == parse_query("fecha:2020").filter.low
    assert parse_query("fecha:..2024-12-31").filter.low is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"inauguración del mercado', "comillas"),
        ("(mercado OR tianguis", "paréntesis"),
        ("mercado)", "paréntesis"),
        ("OR mercado", "OR necesita"),
        ("mercado OR", "OR necesita"),
        ("fotgrafo:lopez", "¿Quiso decir 'fotografo:'?"),
        ("fotografo:", "falta el valor"),
        ("tipo:gif", "valor desconocido"),
        ("fecha:2025-13-01", "fecha no válida"),
        ("fecha:2025-05..2025-01", "empieza después"),
    ],
)
def test_malformed_queries_say_what_to_fix(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message.replace("(", r"\(").replace("?", r"\?")):
        parse_query(query)


def test_a_colon_between_digits_is_text() -> None:
    assert parse_query("10:30").text == Phrase(("10", "30"))


def test_brackets_nested_hundreds_deep_are_too_complex_not_a_crash() -> None:
    with pytest.raises(QueryTooComplexError, match="demasiado compleja"):
        parse_query("(" * 300 + "mercado" + ")" * 300)
    with pytest.raises(QueryTooComplexError, match="paréntesis uno dentro de otro"):
        parse_query("(" * (MAX_DEPTH + 1) + "mercado" + ")" * (MAX_DEPTH + 1))
    nested = parse_query("(" * MAX_DEPTH + "mercado OR tianguis" + ")" * MAX_DEPTH)
    assert nested.text == Or((Word("mercado"), Word("tianguis")))
    assert issubclass(QueryTooComplexError, QuerySyntaxError)  # every caller already answers 400


def test_long_queries_and_many_terms_are_refused_with_a_reason() -> None:
    with pytest.raises(QueryTooComplexError, match="demasiado larga"):
        parse_query("mercado " * 300)
    with pytest.raises(QueryTooComplexError, match=f"más de {MAX_TERMS}"):
        parse_query(" ".join(["-a"] * (MAX_TERMS + 1)))


def test_nul_and_bidi_characters_are_only_text() -> None:
    assert parse_query("merca\x00do").text is not None
    assert parse_query("\u202emercado\u202c \u200f").text == Word("mercado")


def test_a_field_word_then_a_value_is_offered_as_the_field_form() -> None:
    from dam.search.suggest import field_form

    assert field_form("fotografo lopez") == "fotógrafo:lopez"
    assert field_form("mercado Fotógrafa peña") == "mercado fotógrafo:peña"
    assert field_form("tipo video") == "tipo:video"
    assert field_form("tipo mercado") is None  # not a value of tipo:
    assert field_form("lugar de los hechos") is None
    assert field_form("fotografo") is None and field_form("fotógrafo:lopez") is None
    parsed = parse_query("fotografo lopez")  # without the colon they stay words
    assert parsed.free_words == ["fotografo", "lopez"] and parsed.filter is None
