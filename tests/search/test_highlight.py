"""Hit highlighting: accents, plurals, prefixes and phrases marked; NOT never; a window of text."""

from __future__ import annotations

from dam.search.highlight import ELLIPSIS, Fragment, Highlighter
from dam.search.query import parse_query


def _marked(query: str, text: str, width: int = 120) -> str | None:
    found = Highlighter.of(parse_query(query)).fragments(text, width)
    if found is None:
        return None
    return "".join(f"[{f.text}]" if f.hit else f.text for f in found)


def test_accents_and_plurals_are_marked_as_the_search_matched_them() -> None:
    text = "Inauguración del mercado de Santa Cruz Meyehualco; los mercados sobre ruedas."
    assert _marked("inauguracion mercados", text) == (
        "[Inauguración] del [mercado] de Santa Cruz Meyehualco; los [mercados] sobre ruedas.")


def test_prefixes_phrases_and_name_fields_are_marked_but_not_negated_words() -> None:
    text = "Vecinos de Meyehualco en la jornada de vacunación con Clara Brugada"
    assert _marked('meyeh* "jornada de vacunacion" -brugada', text) == (
        "Vecinos de [Meyehualco] en la [jornada] de [vacunación] con Clara Brugada")
    assert _marked("persona:clara", text) == (
        "Vecinos de Meyehualco en la jornada de vacunación con [Clara] Brugada")


def test_a_caption_without_a_hit_gives_none_and_filters_alone_mark_nothing() -> None:
    assert _marked("bacheo", "Inauguración del mercado") is None
    assert _marked("tipo:foto estado:aprobado", "Inauguración del mercado") is None
    assert _marked("", "Inauguración del mercado") is None
    assert not Highlighter.of(parse_query("fecha:2025-03"))


def test_long_captions_are_cut_around_the_first_hit_on_word_boundaries() -> None:
    text = " ".join(["antes"] * 40) + " Tianguis de San Lorenzo " + " ".join(["después"] * 40)
    found = Highlighter.of(parse_query("tianguis")).fragments(text, width=60)
    assert found is not None
    assert found[0] == Fragment(ELLIPSIS) and found[-1] == Fragment(ELLIPSIS)
    inner = "".join(f.text for f in found[1:-1])
    assert "Tianguis de San Lorenzo" in inner and len(inner) <= 75
    assert not inner.startswith(("ntes", "ués")) and inner.split()[0] in ("antes", "Tianguis")
    assert [f.text for f in found if f.hit] == ["Tianguis"]
