"""The tantivy engine: the same documents and query trees, translated to tantivy (embedded Rust)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from dam.search.analysis import GAP, analyze_stemmed, keep_enie, plain_tokens, stem_tokens
from dam.search.columnar import (
    COORD,
    EXACT_BOOST,
    NAME_PREFIX,
    NAME_WHOLE,
    NTILDE_WEIGHT,
    PREFIX_WEIGHT,
)
from dam.search.documents import SearchDoc
from dam.search.engine import EngineHit, EngineQuery, EngineResult
from dam.search.errors import SearchIndexError
from dam.search.fields import (
    EXACT,
    INT_FIELDS,
    KEYWORD_FIELDS,
    MISSING_INT,
    NAME_FIELDS,
    NTILDE,
    SORTS,
    STEM,
)
from dam.search.query import (
    And,
    Keyword,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Range,
    Word,
    is_filter,
)


def _pre_analysed(*, gaps: bool) -> Any:
    """Text analysed in Python (dam.search.analysis), split on spaces: one analysis, two engines."""
    builder = TextAnalyzerBuilder(Tokenizer.whitespace())
    if gaps:
        builder = builder.filter(Filter.custom_stopword([GAP]))
    return builder.build()


ANALYZERS = {
    "acervo_stems": lambda: _pre_analysed(gaps=True),
    "acervo_words": lambda: _pre_analysed(gaps=False),
}


def stems_of(text: str) -> list[str]:
    return [s for _, s in analyze_stemmed(text)]


def indexed_stems(analyzer: Any, text: str) -> list[tuple[int, str]]:
    """(position, token) that tantivy indexes in the STEM field for ``text`` (for tests)."""
    return [(t.position, t.text) for t in analyzer.pre_tokenize(stem_tokens(text)).tokens]


def build_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("aid", stored=True, indexed=True, fast=True)
    b.add_text_field(STEM, tokenizer_name="acervo_stems")
    b.add_text_field(NTILDE, tokenizer_name="acervo_stems", index_option="freq")
    b.add_text_field(EXACT, tokenizer_name="acervo_words")
    for name in NAME_FIELDS:
        b.add_text_field(f"n_{name}", tokenizer_name="acervo_words")
    for name in KEYWORD_FIELDS:
        b.add_text_field(f"k_{name}", tokenizer_name="raw", fast=True, index_option="basic")
    for name in INT_FIELDS:
        b.add_integer_field(f"i_{name}", indexed=True, fast=True)
    return b.build()


def to_tantivy(doc: SearchDoc) -> tantivy.Document:
    out = tantivy.Document()
    out.add_integer("aid", doc.asset_id)
    out.add_text(STEM, stem_tokens(doc.stem_text))
    if doc.ntilde:
        out.add_text(NTILDE, stem_tokens(doc.ntilde))
    out.add_text(EXACT, plain_tokens(doc.text, folded=False))
    for name, text in doc.names.items():
        out.add_text(f"n_{name}", plain_tokens(text, folded=True))
    for name, values in doc.keywords.items():
        for value in values:
            out.add_text(f"k_{name}", value)
    for name, value in doc.ints.items():
        out.add_integer(f"i_{name}", value)
    return out


class Translator:
    """Parsed query tree → tantivy Query, analysing words with the index's own analyzers."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    def term(self, field: str, text: str, boost: float = 1.0) -> Query:
        q = Query.term_query(self.schema, field, text)
        return Query.boost_query(q, boost) if boost != 1.0 else q

    def node(self, node: Node, any_word: bool = False) -> Query | None:
        if isinstance(node, Word):
            return self.word(node) if node.field is None else self.name_word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Prefix):
            return self.prefix(node)
        if isinstance(node, Keyword | Range):
            return Query.const_score_query(self.filter(node), 0.0)
        if isinstance(node, Not):
            inner = self.node(node.node)
            return None if inner is None else Query.all_query().and_must_not_match(inner)
        parts = [(n, self.node(n)) for n in node.nodes]
        kept = [(n, q) for n, q in parts if q is not None]
        if not kept:
            return None
        if isinstance(node, And) and not any_word:
            return Query.boolean_query([(Occur.Must, q) for _, q in kept])
        # Coordination: each scored part matched adds COORD, so more words always rank higher.
        clauses = [(Occur.Should, q) for _, q in kept]
        if not (isinstance(node, Or) and node.alternatives):
            clauses += [(Occur.Should, Query.const_score_query(q, COORD)) for n, q in kept
                        if not is_filter(n) and not isinstance(n, Not)]
        return Query.boolean_query(clauses)

    def word(self, node: Word) -> Query | None:
        stems = stems_of(keep_enie(node.text))
        if not stems:
            return None
        fallback = stems_of(node.text) if "ñ" not in node.text.lower() else []
        clauses = [(Occur.Must, self._either(s, f)) for s, f in zip(stems, fallback or stems,
                                                                       strict=False)]
        clauses.append((Occur.Should, self.term(EXACT, node.text.lower(), EXACT_BOOST)))
        return Query.boolean_query(clauses)

    def _either(self, stem: str, folded: str) -> Query:
        """The stem, or (weighted down) the same stem of a word that had an ñ."""
        return Query.boolean_query([
            (Occur.Should, self.term(STEM, stem)),
            (Occur.Should, self.term(NTILDE, folded, NTILDE_WEIGHT)),
        ])

    def name_word(self, node: Word) -> Query:
        field = f"n_{node.field}"
        whole = self.term(field, node.text, NAME_WHOLE)
        if len(node.text) < 2:
            return whole
        prefix = Query.regex_query(self.schema, field, re.escape(node.text) + ".*")
        return Query.boolean_query(
            [(Occur.Should, whole), (Occur.Should, Query.const_score_query(prefix, NAME_PREFIX))]
        )

    def prefix(self, node: Prefix) -> Query:
        """Documents with a word that begins as typed (stems, and spellings with accents)."""
        clauses = [(Occur.Should, self.term(STEM, head)) for head in node.heads]
        clauses += [(Occur.Should, Query.regex_query(self.schema, field, re.escape(begin) + ".*"))
                    for field, begin in ((STEM, node.folded), (EXACT, node.exact))]
        return Query.const_score_query(Query.boolean_query(clauses), PREFIX_WEIGHT)

    def phrase(self, node: Phrase) -> Query | None:
        if node.field is not None:
            q = Query.phrase_query(self.schema, f"n_{node.field}", list(node.words))
            return Query.boost_query(q, NAME_WHOLE)
        text = keep_enie(" ".join(node.words))
        tokens = analyze_stemmed(text)
        if not tokens:
            return None
        if len(tokens) == 1:
            stemmed = self.term(STEM, tokens[0][1])
        else:
            first = tokens[0][0]
            stemmed = Query.phrase_query(self.schema, STEM, [(p - first, t) for p, t in tokens])
        lowered = [w.lower() for w in node.words]
        exact = Query.boost_query(Query.phrase_query(self.schema, EXACT, lowered), 1 + EXACT_BOOST)
        return Query.boolean_query([(Occur.Should, stemmed), (Occur.Should, exact)])

    def filter(self, node: Node) -> Query:
        if isinstance(node, Keyword):
            terms = [(Occur.Should, self.term(f"k_{f}", v)) for f in node.fields
                     for v in node.values]
            return Query.boolean_query(terms)
        if isinstance(node, Range):
            low = node.low if node.low is not None else MISSING_INT + 1
            return Query.range_query(self.schema, f"i_{node.field}", tantivy.FieldType.Integer,
                                     low, node.high)
        if isinstance(node, Not):
            return Query.all_query().and_must_not_match(self.filter(node.node))
        if isinstance(node, And | Or):
            occur = Occur.Must if isinstance(node, And) else Occur.Should
            return Query.boolean_query([(occur, self.filter(n)) for n in node.nodes])
        q = self.node(node)
        return q if q is not None else Query.all_query()

    def query(self, eq: EngineQuery) -> Query:
        clauses = []
        text = self.node(eq.text, eq.any_word) if eq.text is not None else None
        clauses.append((Occur.Must, text if text is not None else Query.all_query()))
        if eq.filter is not None:
            clauses.append((Occur.Must, Query.const_score_query(self.filter(eq.filter), 0.0)))
        return Query.boolean_query(clauses)


class TantivyWriter:
    def __init__(self, index: tantivy.Index, bulk: bool) -> None:
        self.bulk = bulk
        heap = 512_000_000 if bulk else 64_000_000
        self._writer = index.writer(heap_size=heap, num_threads=2 if bulk else 1)

    def upsert(self, docs: Iterable[SearchDoc]) -> None:
        for doc in docs:
            if not self.bulk:
                self._writer.delete_documents_by_term("aid", doc.asset_id)
            self._writer.add_document(to_tantivy(doc))

    def delete(self, asset_ids: Iterable[int]) -> None:
        for asset_id in asset_ids:
            self._writer.delete_documents_by_term("aid", asset_id)

    def commit(self) -> None:
        self._writer.commit()
        self._writer.wait_merging_threads()

    def cancel(self) -> None:
        self._writer.rollback()


class TantivyEngine:
    name = "tantivy"

    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = path
        self.index = index
        self.analyzers = {name: make() for name, make in ANALYZERS.items()}
        for name, analyzer in self.analyzers.items():
            index.register_tokenizer(name, analyzer)
        self.translator = Translator(index.schema)
        self._searcher = index.searcher()

    def refresh(self) -> None:
        self.index.reload()
        self._searcher = self.index.searcher()

    def search(self, query: EngineQuery) -> EngineResult:
        searcher = self._searcher
        q = self.translator.query(query)
        field, descending = SORTS[query.sort]
        options: dict[str, Any] = {"limit": max(query.limit, 1), "offset": query.offset}
        if field is not None:
            options["order_by_field"] = f"i_{field}"
            options["order"] = tantivy.Order.Desc if descending else tantivy.Order.Asc
        result = searcher.search(q, count=True, **options)
        addresses = [addr for _, addr in result.hits][: query.limit]
        ids = searcher.fast_field_values("aid", addresses) if addresses else []
        scores = [float(s) if field is None else 0.0 for s, _ in result.hits]
        hits = [EngineHit(int(a), s) for a, s in zip(ids, scores, strict=False)]
        return EngineResult(result.count, hits, self._facets(searcher, q, query))

    def _facets(self, searcher: Any, q: Query, query: EngineQuery) -> dict[str, list]:
        if not query.facets:
            return {}
        aggs = {name: {"terms": {"field": f"k_{name}", "size": query.facet_limit}}
                for name in query.facets}
        out = searcher.aggregate(q, aggs)
        return {name: [(b["key"], int(b["doc_count"])) for b in out[name]["buckets"]]
                for name in query.facets}

    def doc_count(self) -> int:
        return int(self._searcher.num_docs)

    def knows(self, word: str) -> bool:
        stems, folded = stems_of(keep_enie(word)), stems_of(word)
        return bool(stems) and all(self._searcher.doc_freq(STEM, s) or
                                   self._searcher.doc_freq(NTILDE, f)
                                   for s, f in zip(stems, folded, strict=False))

    def vocabulary(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        return list(self._searcher.terms_with_prefix(EXACT, prefix, limit=limit))

    def writer(self, *, bulk: bool = False) -> TantivyWriter:
        return TantivyWriter(self.index, bulk)

    def close(self) -> None:
        self._searcher = None


class TantivyFactory:
    name = "tantivy"

    def create(self, path: Path) -> TantivyEngine:
        path.mkdir(parents=True, exist_ok=True)
        return TantivyEngine(path, tantivy.Index(build_schema(), path=str(path), reuse=False))

    def open(self, path: Path) -> TantivyEngine:
        try:
            if not tantivy.Index.exists(str(path)):
                raise ValueError("no index here")
            return TantivyEngine(path, tantivy.Index.open(str(path)))
        except (ValueError, OSError) as exc:
            raise SearchIndexError(f"cannot open the tantivy index at {path}: {exc}") from exc
