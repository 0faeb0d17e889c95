"""Query evaluation over numpy arrays: masks for matching, BM25 for ranking, bincounts for facets.

Used by the Whoosh engine: Whoosh stores and analyses, this evaluates. Filters and facets cost
one vectorised pass over per-document arrays, whatever the number of matches, instead of
Whoosh's per-document Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dam.search.analysis import analyze_stemmed, keep_enie
from dam.search.engine import EngineHit, EngineQuery, EngineResult
from dam.search.fields import EXACT, MISSING_INT, NTILDE, SORTS, STEM
from dam.search.query import And, Keyword, Node, Not, Or, Phrase, Prefix, Range, Word

K1, B = 1.2, 0.75
EXACT_BOOST = 1.5  # the spelling typed, accents and ñ included, ranks above folded and stems
NAME_WHOLE, NAME_PREFIX = 3.0, 1.0
NTILDE_WEIGHT = 0.3  # "pena" finds "Peña", well below "pena" and "penas"
PREFIX_EXPANSION = 64
PREFIX_WEIGHT = 1.0  # a word typed as "merc*": every word so begun scores alike
COORD = 1000.0  # per word matched, when any word may match: more words always rank higher


class ColumnSource(Protocol):
    """Per-document arrays and postings in global document numbers."""

    n: int
    alive: np.ndarray
    ints: dict[str, np.ndarray]
    single: dict[str, tuple[list[str], dict[str, int], np.ndarray]]
    multi: dict[str, tuple[list[str], dict[str, int], np.ndarray, np.ndarray]]

    def postings(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]: ...

    def lengths(self, fieldname: str) -> tuple[np.ndarray, float]: ...

    def phrase_docs(self, fieldname: str, words: list[str], slop: int) -> np.ndarray: ...

    def expand_prefix(self, fieldname: str, prefix: str, limit: int) -> list[str]: ...


@dataclass
class Match:
    mask: np.ndarray
    score: np.ndarray | None  # None: matches without adding to the score


class Evaluator:
    """Evaluates a parsed query tree against one ColumnSource."""

    def __init__(self, src: ColumnSource) -> None:
        self.src = src

    # -- scoring primitives -------------------------------------------------------------
    def bm25(self, fieldname: str, term: str, boost: float = 1.0) -> Match:
        ids, tf = self.src.postings(fieldname, term)
        mask = np.zeros(self.src.n, dtype=bool)
        score = np.zeros(self.src.n, dtype=np.float32)
        if len(ids):
            lengths, avg = self.src.lengths(fieldname)
            df = len(ids)
            idf = np.log1p((self.src.n - df + 0.5) / (df + 0.5))
            norm = K1 * (1 - B + B * lengths[ids] / max(avg, 1.0))
            score[ids] = boost * idf * tf * (K1 + 1) / (tf + norm)
            mask[ids] = True
        return Match(mask, score)

    def either(self, stem: str, folded: str | None) -> Match:
        """A stem, or (weighted down) the same stem of a word spelled with ñ."""
        match = self.bm25(STEM, stem)
        if folded is None:
            return match
        fallback = self.bm25(NTILDE, folded, NTILDE_WEIGHT)
        return Match(match.mask | fallback.mask, np.maximum(match.score, fallback.score))

    def docs(self, ids: np.ndarray, weight: float) -> Match:
        mask = np.zeros(self.src.n, dtype=bool)
        mask[ids] = True
        return Match(mask, mask.astype(np.float32) * weight if weight else None)

    # -- nodes --------------------------------------------------------------------------
    def node(self, node: Node, any_word: bool = False) -> Match | None:
        if isinstance(node, Word):
            return self.word(node) if node.field is None else self.name_word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Prefix):
            return self.prefix(node)
        if isinstance(node, Keyword | Range):
            return Match(self.filter_mask(node), None)
        if isinstance(node, Not):
            inner = self.node(node.node)
            return None if inner is None else Match(~inner.mask, None)
        if isinstance(node, And) and not any_word:
            return self.combine([self.node(n) for n in node.nodes], all_of=True)
        assert isinstance(node, And | Or)
        coord = not (isinstance(node, Or) and node.alternatives)
        return self.combine([self.node(n) for n in node.nodes], all_of=False, coord=coord)

    def combine(self, parts: list[Match | None], *, all_of: bool,
                coord: bool = True) -> Match | None:
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        mask = kept[0].mask.copy()
        for p in kept[1:]:
            mask = (mask & p.mask) if all_of else (mask | p.mask)
        scores = [p.score for p in kept if p.score is not None]
        if not all_of and coord:  # coordination: how many scored parts matched comes first
            scores += [p.mask.astype(np.float32) * COORD for p in kept if p.score is not None]
        score = np.sum(scores, axis=0, dtype=np.float32) if scores else None
        return Match(mask, score)

    def word(self, node: Word) -> Match | None:
        stems = [s for _, s in analyze_stemmed(keep_enie(node.text))]
        if not stems:
            return None
        folded = [s for _, s in analyze_stemmed(node.text)]
        if "ñ" in node.text.lower() or len(folded) != len(stems):
            folded = []
        match = self.combine([self.either(s, f) for s, f in zip(stems, folded or [None] * len(
            stems), strict=True)], all_of=True)
        exact = self.bm25(EXACT, node.text.lower(), EXACT_BOOST)
        assert match is not None and match.score is not None
        match.score += exact.score
        return match

    def name_word(self, node: Word) -> Match:
        fieldname = f"n_{node.field}"
        whole = self.bm25(fieldname, node.text, NAME_WHOLE)
        if len(node.text) < 2:
            return whole
        for term in self.src.expand_prefix(fieldname, node.text, PREFIX_EXPANSION):
            if term != node.text:
                ids, _ = self.src.postings(fieldname, term)
                whole.mask[ids] = True
                assert whole.score is not None
                whole.score[ids] = np.maximum(whole.score[ids], NAME_PREFIX)
        return whole

    def prefix(self, node: Prefix) -> Match:
        """Documents with a word that begins as typed (stems, and spellings with accents)."""
        mask = np.zeros(self.src.n, dtype=bool)
        terms = [(STEM, head) for head in node.heads]
        for fieldname, begin in ((STEM, node.folded), (EXACT, node.exact)):
            terms += [(fieldname, t) for t in
                      self.src.expand_prefix(fieldname, begin, PREFIX_EXPANSION)]
        for fieldname, term in terms:
            ids, _ = self.src.postings(fieldname, term)
            mask[ids] = True
        return Match(mask, mask.astype(np.float32) * PREFIX_WEIGHT)

    def phrase(self, node: Phrase) -> Match | None:
        if node.field is not None:
            ids = self.src.phrase_docs(f"n_{node.field}", list(node.words), 1)
            return self.docs(ids, NAME_WHOLE * len(node.words))
        stemmed = analyze_stemmed(keep_enie(" ".join(node.words)))
        if not stemmed:
            return None
        terms = self.combine([self.bm25(STEM, s) for _, s in stemmed], all_of=True)
        assert terms is not None and terms.score is not None
        gaps = max(b[0] - a[0] for a, b in zip(stemmed, stemmed[1:], strict=False)) if len(
            stemmed
        ) > 1 else 1
        in_order = self.src.phrase_docs(STEM, [s for _, s in stemmed], gaps)
        exact = self.src.phrase_docs(EXACT, [w.lower() for w in node.words], 1)
        mask = np.zeros(self.src.n, dtype=bool)
        mask[in_order] = True
        mask[exact] = True
        score = np.where(mask, terms.score, 0).astype(np.float32)
        score[exact] *= 1.0 + EXACT_BOOST
        return Match(mask, score)

    # -- filters ------------------------------------------------------------------------
    def filter_mask(self, node: Node) -> np.ndarray:
        src = self.src
        if isinstance(node, Range):
            col = src.ints[node.field]
            mask = col != MISSING_INT
            if node.low is not None:
                mask &= col >= node.low
            if node.high is not None:
                mask &= col <= node.high
            return mask
        if isinstance(node, Keyword):
            mask = np.zeros(src.n, dtype=bool)
            for name in node.fields:
                mask |= self.values_mask(name, node.values)
            return mask
        match = self.node(node)
        return match.mask if match is not None else np.ones(src.n, dtype=bool)

    def values_mask(self, name: str, values: tuple[str, ...]) -> np.ndarray:
        if name in self.src.single:
            _, lookup, ords = self.src.single[name]
            wanted = [lookup[v] for v in values if v in lookup]
            return np.isin(ords, wanted) if wanted else np.zeros(self.src.n, dtype=bool)
        _, lookup, docs, ords = self.src.multi[name]
        wanted = [lookup[v] for v in values if v in lookup]
        mask = np.zeros(self.src.n, dtype=bool)
        if wanted:
            mask[docs[np.isin(ords, wanted)]] = True
        return mask


def facet_counts(
    src: ColumnSource, mask: np.ndarray, name: str, limit: int
) -> list[tuple[str, int]]:
    """The ``limit`` most frequent values of a field among the documents in ``mask``."""
    if name in src.single:
        uniques, _, ords = src.single[name]
        picked = ords[mask]
    else:
        uniques, _, docs, ords = src.multi[name]
        picked = ords[mask[docs]]
    picked = picked[picked >= 0]
    if not len(picked):
        return []
    counts = np.bincount(picked, minlength=len(uniques))
    nonzero = np.flatnonzero(counts)
    top = nonzero[np.lexsort((nonzero, -counts[nonzero]))][:limit]
    return [(uniques[o], int(counts[o])) for o in top]


def rank(src: ColumnSource, candidates: np.ndarray, score: np.ndarray | None,
         query: EngineQuery) -> list[EngineHit]:
    """The page of hits: by relevance (then newest), or by a date either way (undated last)."""
    need = query.offset + query.limit
    if not len(candidates) or query.limit <= 0:
        return []
    field_name, descending = SORTS[query.sort]
    taken = src.ints["taken_ts"][candidates]
    if field_name is None:
        primary = score[candidates] if score is not None else np.zeros(len(candidates))
        keys = (-taken, -primary)
    else:
        dates = src.ints[field_name][candidates]
        missing = dates == MISSING_INT
        primary = np.where(missing, np.iinfo(np.int64).max, -dates if descending else dates)
        keys = (-taken, primary)
    order_key = keys[-1]
    if len(candidates) > need:
        part = np.argpartition(order_key, need - 1)[:need]
    else:
        part = np.arange(len(candidates))
    ordered = part[np.lexsort(tuple(k[part] for k in keys))]
    page = ordered[query.offset:need]
    aids = src.ints["aid"][candidates[page]]
    scores = score[candidates[page]] if score is not None else np.zeros(len(page))
    return [EngineHit(int(a), float(s)) for a, s in zip(aids, scores, strict=True)]


def execute(src: ColumnSource, query: EngineQuery) -> EngineResult:
    """Match, count, facet and rank one query."""
    ev = Evaluator(src)
    mask = src.alive.copy()
    score = None
    if query.text is not None:
        match = ev.node(query.text, any_word=query.any_word)
        if match is not None:
            mask &= match.mask
            score = match.score
    if query.filter is not None:
        mask &= ev.filter_mask(query.filter)
    candidates = np.flatnonzero(mask)
    facets = {name: facet_counts(src, mask, name, query.facet_limit) for name in query.facets}
    return EngineResult(len(candidates), rank(src, candidates, score, query), facets)


def is_known_stem(src: ColumnSource, word: str) -> bool:
    stems = [s for _, s in analyze_stemmed(keep_enie(word))]
    folded = [s for _, s in analyze_stemmed(word)]
    return bool(stems) and all(len(src.postings(STEM, s)[0]) or len(src.postings(NTILDE, f)[0])
                               for s, f in zip(stems, folded, strict=False))
