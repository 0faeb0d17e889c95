"""The search contract both engines pass: facets, filters, sorting, paging, suggestions, errors."""

from __future__ import annotations

from dam.search.service import SearchService
from tests.search.archive import IDS, ev


def test_facets_count_the_matches(archive_service: SearchService) -> None:
    r = archive_service.search("mercado", facets=("type", "year", "event", "photographer"))
    assert r.total == 20  # the market and the recycling market
    assert dict(r.facets["type"]) == {"photo": 18, "video": 2}
    assert dict(r.facets["year"]) == {"2025": 10, "2022": 10}
    assert ("Ana Peña", 10) in r.facets["photographer"]


def test_filters_combine(archive_service: SearchService) -> None:
    r = archive_service.search("tipo:video año:2025", per_page=50)
    assert {h.asset_id for h in r.hits} == {IDS[k][9] for k in
                                            ("mercado", "feria_empleo", "drenaje", "conferencia",
                                             "clinica", "danza")}
    picked = archive_service.search("", filters={"area": ["Dirección General de Cultura"],
                                                 "orientation": ["vertical"]}, per_page=100)
    assert picked.total == 5 * 3  # five cultural events, three vertical photos each
    assert archive_service.search("gps:si").total == 30 * 3


def test_workflow_rights_and_publication_text(archive_service: SearchService) -> None:
    assert archive_service.search("estado:embargado").total == 1
    assert archive_service.search("conferencia -estado:embargado").total == 9
    assert archive_service.search("estado:publicado").total == 30 * 6
    r = archive_service.search("folleto tipo:pdf")
    assert {h.asset_id for h in r.hits} == ev("boletin")  # the PDF text is indexed


def test_sorting_both_ways_and_paging(archive_service: SearchService) -> None:
    newest = archive_service.search("", sort="taken_desc", per_page=10, facets=False)
    oldest = archive_service.search("", sort="taken_asc", per_page=10, facets=False)
    assert newest.total == oldest.total == 300
    assert set(h.asset_id for h in newest.hits) <= ev("feria_empleo")  # 2025-05-22
    assert set(h.asset_id for h in oldest.hits) <= ev("cancha")  # 2020-01-29
    pages = [archive_service.search("", sort="added_desc", page=p, per_page=100, facets=False)
             for p in (1, 2, 3, 4)]
    seen = [h.asset_id for p in pages for h in p.hits]
    assert len(seen) == len(set(seen)) == 300 and pages[3].hits == []


def test_did_you_mean_comes_from_the_vocabulary(archive_service: SearchService) -> None:
    r = archive_service.search("biblioteka")
    assert r.suggestion == "biblioteca" and r.corrected and r.total == 10
    assert archive_service.search("biblioteca").suggestion is None


def test_no_asset_has_all_words_then_partial_matches_are_apart(
    archive_service: SearchService,
) -> None:
    r = archive_service.search("biblioteca alberca")
    assert r.relaxed and r.total == 0 and r.hits == []  # never mixed into the main results
    assert r.partial_total == 10 + 4 and len(r.partial) == 14
    assert r.missing_words == []


def test_partial_matches_rank_by_how_many_words_they_have(archive_service: SearchService) -> None:
    """More of the words always ranks higher, whatever the accents; the exact spelling only
    orders assets that have as many words."""
    words = ["Utopía", "niños", "alberca", "ballenas"]
    having = {w: {h.asset_id for h in archive_service.search(w, per_page=200).hits}
              for w in words}
    r = archive_service.search(" ".join(words), per_page=100)
    assert r.total == 0 and r.relaxed and r.missing_words == ["ballenas"]
    counts = [sum(h.asset_id in having[w] for w in words) for h in r.partial]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2 and counts[-1] == 1
    plain = archive_service.search("utopia ninos alberca ballenas", per_page=100)
    plain_counts = [sum(h.asset_id in having[w] for w in words) for h in plain.partial]
    assert plain_counts == counts


def test_a_word_in_no_asset_is_named(archive_service: SearchService) -> None:
    r = archive_service.search("ballenas")
    assert r.total == 0 and r.missing_words == ["ballenas"]
    assert archive_service.search("mercado").missing_words == []


def test_malformed_queries_are_results_with_an_error(archive_service: SearchService) -> None:
    for query in ('"sin cerrar', "fotgrafo:x", "fecha:ayer"):
        r = archive_service.search(query)
        assert r.error and r.total == 0 and " / " in r.error
    assert archive_service.search("x", sort="alfabetico").error
    assert archive_service.search("x", per_page=10_000).error


def test_paging_and_resorting_keep_the_facets_and_flags(archive_service: SearchService) -> None:
    first = archive_service.search("mercado", facets=("type", "year"), per_page=5)
    again = archive_service.search("mercado", facets=("type", "year"), per_page=5, page=3,
                                   sort="taken_asc")
    assert again.facets == first.facets and again.total == first.total == 20
    plain = archive_service.search("mercado", facets=False, per_page=5, page=3, sort="taken_asc")
    assert [h.asset_id for h in again.hits] == [h.asset_id for h in plain.hits] != []
    typo = archive_service.search("biblioteka", per_page=3)
    typo_page2 = archive_service.search("biblioteka", per_page=3, page=2)
    assert typo_page2.corrected and typo_page2.suggestion == "biblioteca"
    assert typo_page2.total == typo.total == 10 and len(typo_page2.hits) == 3
    relaxed = archive_service.search("biblioteca alberca", per_page=5, page=2)
    assert relaxed.relaxed and relaxed.partial_total == 14 and len(relaxed.partial) == 5
    assert relaxed.total == 0 and relaxed.hits == []


def test_a_changed_index_is_not_answered_from_remembered_facets(tmp_path) -> None:
    from tests.conftest import make_settings
    from tests.search.archive import make_archive
    from tests.search.conftest import build_index

    assets = make_archive()
    settings = make_settings(tmp_path, search_engine="whoosh")
    build_index(settings.index_path, "whoosh", assets[:150])
    service = SearchService(settings, refresh_seconds=0)
    try:
        before = service.search("", facets=("type",), per_page=10)
        build_index(settings.index_path, "whoosh", assets)
        after = service.search("", facets=("type",), per_page=10, page=2)
        assert before.total == 150 and after.total == 300
        assert sum(n for _v, n in after.facets["type"]) == 300
    finally:
        service.close()


def test_a_word_typed_with_a_star_finds_every_word_so_begun(archive_service: SearchService) -> None:
    def ids(query: str) -> set[int]:
        return {h.asset_id for h in archive_service.search(query, per_page=100).hits}

    market = ids("mercado")
    assert market and ids("merc*") >= market and ids("mercad*") == market
    # Accents optional, and a beginning past the stem still reaches it.
    opening = ids("inauguración")
    assert ids("inauguracio*") >= opening and ids("Inauguració*") >= opening
    assert ids("inaugur*") >= opening
    assert ids("bibliot*") == ids("biblioteca")
    assert ids("merc* tipo:video") == market & ids("tipo:video") != set()
    assert ids("xyzw*") == set()
    short = archive_service.search("me*")
    assert short.error and "3" in short.error and short.total == 0


def test_did_you_mean_offers_the_field_form(archive_service: SearchService) -> None:
    r = archive_service.search("fotografo lopez", per_page=50)
    assert r.suggestion == "fotógrafo:lopez"
    by_lopez = archive_service.search("fotógrafo:lopez", per_page=50)
    assert by_lopez.total > 0 and r.corrected and r.total == by_lopez.total
    assert archive_service.search("fotografo xyzzy").suggestion != "fotógrafo:xyzzy"


def test_a_field_form_with_a_value_list_is_corrected_as_a_filter(
    archive_service: SearchService,
) -> None:
    videos = archive_service.search("tipo:video", per_page=50)
    r = archive_service.search("tipo video", per_page=50)
    assert r.suggestion == "tipo:video" and r.corrected
    assert 0 < r.total == videos.total < 300  # the videos, not every asset
