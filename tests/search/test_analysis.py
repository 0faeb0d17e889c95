"""One analysis for both engines: plurals and genders stem alike, false friends apart."""

from __future__ import annotations

from pathlib import Path

import tantivy

from dam.search.analysis import fold, keep_enie, stem, stemming_analyzer
from dam.search.tantivy_engine import ANALYZERS, indexed_stems

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def _stem(word: str) -> str:
    return stem(fold(keep_enie(word)))


def test_real_singular_plural_and_gender_pairs_stem_alike() -> None:
    pairs = _rows("spanish_pairs.tsv")
    assert len(pairs) >= 500
    apart = [f"{a}/{b} ({_stem(a)}, {_stem(b)})" for a, b, _ in pairs if _stem(a) != _stem(b)]
    assert not apart, f"{len(apart)} pairs stem apart: {'; '.join(apart[:30])}"


def test_the_issues_examples_stem_alike() -> None:
    for a, b in (("predio", "predios"), ("estudio", "estudios"), ("laboratorio", "laboratorios"),
                 ("inauguración", "inauguraciones"), ("solución", "soluciones"),
                 ("biología", "biologías"), ("mujer", "mujeres"), ("lugar", "lugares"),
                 ("taller", "talleres"), ("año", "años"), ("inauguracion", "INAUGURACIÓN")):
        assert _stem(a.lower()) == _stem(b.lower()), (a, b)


def test_false_friends_stay_apart() -> None:
    pairs = _rows("false_friends.tsv")
    merged = [f"{a}/{b}" for a, b in pairs if _stem(a) == _stem(b)]
    assert not merged, merged


def test_both_engines_index_identical_tokens_for_real_words() -> None:
    words = [w for (w,) in _rows("spanish_words.txt")]
    assert len(words) >= 2000
    whoosh = stemming_analyzer()
    index = tantivy.Index(tantivy.SchemaBuilder().build())
    del index  # the analyzers need no index; building one checks the tantivy module loads
    analyzer = ANALYZERS["acervo_stems"]()
    texts = words + [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]
    texts += ["La alcaldesa y los vecinos de la Peña, en el año 2025", "niños_y niñas ÁRBOLES"]
    differ = []
    for text in texts:
        ours = [(t.pos, t.text) for t in whoosh(keep_enie(text), positions=True)]
        theirs = indexed_stems(analyzer, keep_enie(text))
        if ours != theirs:
            differ.append(f"{text!r}: {ours} != {theirs}")
    assert not differ, differ[:10]


def test_an_index_analysed_the_old_way_is_not_used(tmp_path: Path) -> None:
    """The analysis changed with schema version 4: older indexes are rebuilt, never searched."""
    from dam.search.engine import SCHEMA_VERSION
    from dam.search.service import SearchService
    from dam.search.store import IndexLocation, IndexMeta, write_meta
    from tests.conftest import make_settings
    from tests.search.archive import make_archive
    from tests.search.conftest import build_index

    assert SCHEMA_VERSION >= 4
    settings = make_settings(tmp_path, search_engine="whoosh")
    build_index(settings.index_path, "whoosh", make_archive()[:5])
    generation = IndexLocation(settings.index_path).current()
    assert generation is not None
    write_meta(generation, IndexMeta("whoosh", 3, 0))
    service = SearchService(settings)  # no catalog: it cannot rebuild, so it must refuse
    try:
        results = service.search("mercado")
        assert results.unavailable and "reindex" in (results.error or "")
    finally:
        service.close()
