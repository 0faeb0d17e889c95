"""Relevance on the judged archive: precision at 10 and recall, the same floor for both engines."""

from __future__ import annotations

from dam.search.service import SearchService
from tests.search.archive import JUDGED, JUDGED_KINDS, NO_ANSWER, SYNONYM_GROUPS

# The level reached when the judgements were first run (both engines), less a small margin.
MIN_PRECISION = 0.97
MIN_RECALL = 0.88


def _measure(service: SearchService, judged: list[tuple[str, set[int]]]
             ) -> tuple[float, float, list[str]]:
    precisions, recalls, misses = [], [], []
    for query, relevant in judged:
        results = service.search(query, per_page=10, facets=False)
        assert results.error is None, (query, results.error)
        top = [h.asset_id for h in results.hits]
        good = len([a for a in top if a in relevant])
        precisions.append(good / len(top) if top else 0.0)
        recalls.append(good / min(10, len(relevant)))
        if recalls[-1] < 1 or precisions[-1] < 1:
            misses.append(f"{query!r}: {good}/{len(top)} of {min(10, len(relevant))}")
    return sum(precisions) / len(judged), sum(recalls) / len(judged), misses


def test_plurals_synonyms_and_dates_in_words_reach_the_same_floor(
    archive_service: SearchService,
) -> None:
    archive_service.set_synonyms(SYNONYM_GROUPS)
    try:
        precision, recall, misses = _measure(archive_service, JUDGED_KINDS)
    finally:
        archive_service.set_synonyms([])
    print(f"\n{archive_service.factory.name}: {len(JUDGED_KINDS)} queries, precision@10 "
          f"{precision:.3f}, recall@10 {recall:.3f}; partial: {'; '.join(misses)}")
    assert len(JUDGED_KINDS) >= 20
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


def test_queries_no_asset_answers_return_nothing_in_the_main_results(
    archive_service: SearchService,
) -> None:
    for query in NO_ANSWER:
        r = archive_service.search(query, per_page=10)
        assert r.error is None and r.total == 0 and r.hits == [], (query, r.total)


def test_judged_queries_reach_the_recorded_precision_and_recall(
    archive_service: SearchService,
) -> None:
    precisions, recalls, misses = [], [], []
    for query, relevant in JUDGED:
        results = archive_service.search(query, per_page=10, facets=False)
        assert results.error is None, (query, results.error)
        top = [h.asset_id for h in results.hits]
        good = len([a for a in top if a in relevant])
        precisions.append(good / len(top) if top else 0.0)
        recalls.append(good / min(10, len(relevant)))
        if recalls[-1] < 1:
            misses.append(f"{query!r}: {good}/{min(10, len(relevant))}")
    precision = sum(precisions) / len(JUDGED)
    recall = sum(recalls) / len(JUDGED)
    print(f"\n{archive_service.factory.name}: {len(JUDGED)} queries, precision@10 {precision:.3f},"
          f" recall@10 {recall:.3f}; partial: {'; '.join(misses)}")
    assert len(JUDGED) >= 40
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


def test_exact_spelling_ranks_first_and_enie_is_only_a_fallback(
    archive_service: SearchService,
) -> None:
    pena = [h.asset_id for h in archive_service.search("pena", per_page=30).hits]
    assert set(pena[:10]) <= set(range(201, 211))  # "penas y duelo" before "la Peña"
    assert set(range(191, 201)) & set(pena)  # ... which is still found
    pena_tilde = [h.asset_id for h in archive_service.search("peña", per_page=10).hits]
    assert set(pena_tilde[:10]) & set(range(191, 201))


def test_accents_plurals_and_verb_forms_match(archive_service: SearchService) -> None:
    for query in ("inauguracion", "INAUGURACIÓN", "inauguraciones"):
        assert archive_service.search(query).total >= 2, query
    assert archive_service.search("vacunan").total == archive_service.search("vacunar").total
