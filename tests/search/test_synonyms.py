"""Synonyms from an admin-edited vocabulary, applied at query time on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from dam.search.query import Or, Phrase, Word, parse_query
from dam.search.service import SearchService
from dam.search.synonyms import Synonyms, split_group
from tests.search.archive import ev
from tests.web.conftest import csrf, login

GROUPS = ["sismo = temblor", "cubrebocas = tapabocas = mascarilla", "alcaldesa = titular",
          "DGPC = Dirección General de Protección Civil"]


@pytest.fixture
def with_synonyms(archive_service: SearchService) -> Iterator[SearchService]:
    archive_service.set_synonyms(GROUPS)
    yield archive_service
    archive_service.set_synonyms([])


def test_groups_expand_words_and_their_plurals() -> None:
    synonyms = Synonyms.of(GROUPS + ["sin pareja", " = "])
    used: dict[str, list[str]] = {}
    node = synonyms.expand(parse_query("Sismos mercado").text, used)
    assert node.nodes[0] == Or((Word("Sismos"), Word("temblor")), alternatives=True)
    assert node.nodes[1] == Word("mercado") and used == {"Sismos": ["temblor"]}
    acronym = synonyms.expand(parse_query("dgpc").text, {})
    assert Phrase(("Dirección", "General", "de", "Protección", "Civil")) in acronym.nodes
    assert synonyms.others("tapabocas") == ["cubrebocas", "mascarilla"]
    assert split_group("sismo") == ["sismo"]  # not a group: ignored


def test_a_synonym_finds_what_the_other_word_finds(with_synonyms: SearchService) -> None:
    quake = with_synonyms.search("temblor", per_page=50)
    assert {h.asset_id for h in quake.hits} == ev("simulacro")
    assert quake.also == {"temblor": ["sismo"]} and quake.missing_words == []
    assert quake.suggestion is None  # a synonym is not a typo
    drill = with_synonyms.search("simulacro temblor escuelas", per_page=50)
    assert drill.total == len(ev("simulacro")) and not drill.relaxed
    acronym = with_synonyms.search("DGPC", per_page=100)
    spelled = with_synonyms.search('"Dirección General de Protección Civil"', per_page=100)
    assert {h.asset_id for h in acronym.hits} == {h.asset_id for h in spelled.hits}
    assert ev("simulacro") <= {h.asset_id for h in acronym.hits}


def test_synonyms_count_as_one_word_when_ranking_partial_matches(
    with_synonyms: SearchService,
) -> None:
    r = with_synonyms.search("temblor sismo ballenas", per_page=50)
    assert r.relaxed and r.partial_total == len(ev("simulacro"))
    assert r.missing_words == ["ballenas"]


def test_admins_edit_the_synonym_list_and_the_search_page_shows_them(
    app: Flask, archive,  # type: ignore[no-untyped-def]
) -> None:
    client = app.test_client()
    login(client, "admin")
    assert "Sinónimos de la búsqueda" in client.get("/admin/vocabularios/synonym").text
    bad = client.post("/admin/vocabularios/synonym",
                      data={"label": "solo", "csrf_token": csrf(client)})
    assert bad.status_code == 400
    added = client.post("/admin/vocabularios/synonym",
                        data={"label": "tianguis = mercado", "csrf_token": csrf(client)})
    assert added.status_code == 302
    from tests.web.conftest import state_of

    state_of(app).search._synonyms_due = 0.0  # read again now, not in ten seconds
    page = client.get("/buscar?q=tianguis").text
    assert "También: mercado" in page and "3 resultados" in page
    api = client.get("/api/v1/search?q=tianguis").json
    assert api["also"] == {"tianguis": ["mercado"]} and api["total"] == 3
