"""The Whoosh engine: Whoosh stores and analyses; evaluation runs over cached numpy arrays."""

from __future__ import annotations

import gc
import itertools
import logging
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.columns import NumericColumn, RefBytesColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, TEXT, Schema

from dam.search.analysis import exact_analyzer, folded_analyzer, stemming_analyzer
from dam.search.columnar import execute, is_known_stem
from dam.search.documents import SearchDoc
from dam.search.engine import EngineQuery, EngineResult
from dam.search.errors import SearchIndexError
from dam.search.fields import (
    EXACT,
    INT_FIELDS,
    MISSING_INT,
    MULTI_FACETS,
    NAME_FIELDS,
    NTILDE,
    SINGLE_FACETS,
    STEM,
)
from dam.search.whoosh_columns import (
    SEPARATOR,
    PostingsCache,
    SegmentData,
    read_alive,
    read_segment,
)

log = logging.getLogger(__name__)

TEXT_FIELDS = (STEM, NTILDE, EXACT, *(f"n_{n}" for n in NAME_FIELDS))
# Few distinct values per segment: stored once each, with a small pointer per document.
_REF_COLUMNS = {"type", "year", "month", "area", "programme", "campaign", "photographer",
                "workflow", "rights", "orientation", "gps", "state", "pick", "color", "stars"}


def build_schema() -> Schema:
    fields: dict[str, Any] = {
        "id": ID(unique=True),
        STEM: TEXT(analyzer=stemming_analyzer(), phrase=True),
        NTILDE: TEXT(analyzer=stemming_analyzer(), phrase=False),
        EXACT: TEXT(analyzer=exact_analyzer(), phrase=True),
    }
    for name in NAME_FIELDS:
        fields[f"n_{name}"] = TEXT(analyzer=folded_analyzer(), phrase=True)
    for name in (*SINGLE_FACETS, *MULTI_FACETS):
        column = RefBytesColumn() if name in _REF_COLUMNS else VarBytesColumn()
        fields[f"k_{name}"] = COLUMN(column)
    fields["i_aid"] = COLUMN(NumericColumn("q", default=0))
    for name in INT_FIELDS:
        fields[f"i_{name}"] = COLUMN(NumericColumn("q", default=MISSING_INT))
    return Schema(**fields)


def to_whoosh(doc: SearchDoc) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": str(doc.asset_id), STEM: doc.stem_text, EXACT: doc.text,
                              "i_aid": doc.asset_id}
    if doc.ntilde:
        fields[NTILDE] = doc.ntilde
    for name, text in doc.names.items():
        fields[f"n_{name}"] = text
    for name, values in doc.keywords.items():
        fields[f"k_{name}"] = SEPARATOR.join(values).encode("utf-8")
    for name, value in doc.ints.items():
        fields[f"i_{name}"] = value
    return fields


class WhooshWriter:
    """The index's one writer; ``bulk`` uses both cores for a fresh build."""

    def __init__(self, ix: Any, bulk: bool) -> None:
        self.bulk = bulk
        options = {"procs": 2, "limitmb": 256, "multisegment": True} if bulk else {"limitmb": 64}
        self._writer = ix.writer(**options)

    def upsert(self, docs: Iterable[SearchDoc]) -> None:
        add = self._writer.add_document if self.bulk else self._writer.update_document
        for doc in docs:
            add(**to_whoosh(doc))

    def delete(self, asset_ids: Iterable[int]) -> None:
        for asset_id in asset_ids:
            self._writer.delete_by_term("id", str(asset_id))

    def commit(self) -> None:
        self._writer.commit()

    def cancel(self) -> None:
        self._writer.cancel()


class WhooshView:
    """One searcher's documents as global arrays (the ColumnSource of the evaluator)."""

    def __init__(self, searcher: Any, segments: dict[str, SegmentData], cache: PostingsCache):
        self.searcher = searcher
        self.cache = cache
        self.leaves: list[tuple[str, Any, int]] = []
        datas: list[SegmentData] = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if reader.segment() is None:  # an empty index
                continue
            key = reader.segment().segment_id()
            data = segments.get(key)
            if data is None:
                data = segments[key] = read_segment(reader, TEXT_FIELDS)
            self.leaves.append((key, reader, offset))
            datas.append(data)
        self.n = sum(d.doccount for d in datas)
        self.alive = _concat([d.alive for d in datas], bool)
        self.ints = {k: _concat([d.ints[k] for d in datas], np.int64)
                     for k in ("aid", *INT_FIELDS)}
        self.single = {k: _merge_single([d.single[k] for d in datas]) for k in SINGLE_FACETS}
        self.multi = {k: _merge_multi([d.multi[k] for d in datas], datas) for k in MULTI_FACETS}
        self._lengths = {k: _concat([d.lengths[k] for d in datas], np.float32)
                         for k in TEXT_FIELDS}

    def postings(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        ids, tfs = [], []
        for key, reader, offset in self.leaves:
            i, t = self.cache.get(key, reader, fieldname, term)
            if len(i):
                ids.append(i.astype(np.int64) + offset)
                tfs.append(t)
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(ids), np.concatenate(tfs)

    def lengths(self, fieldname: str) -> tuple[np.ndarray, float]:
        lengths = self._lengths[fieldname]
        return lengths, float(lengths.mean()) if len(lengths) else 1.0

    def phrase_docs(self, fieldname: str, words: list[str], slop: int) -> np.ndarray:
        if len(words) == 1:
            return self.postings(fieldname, words[0])[0]
        docs = wq.Phrase(fieldname, words, slop=max(slop, 1)).docs(self.searcher)
        return np.fromiter(docs, dtype=np.int64)

    def expand_prefix(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        terms = self.searcher.reader().expand_prefix(fieldname, prefix)
        return [t.decode() if isinstance(t, bytes) else t for t in itertools.islice(terms, limit)]


def _concat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _merge_single(parts: list[tuple[list[str], np.ndarray]]) -> tuple[list, dict, np.ndarray]:
    uniques: list[str] = []
    lookup: dict[str, int] = {}
    out = []
    for local_uniques, ords in parts:
        lut = np.array([lookup.setdefault(u, len(lookup)) for u in local_uniques] + [-1],
                       dtype=np.int32)
        out.append(lut[ords])  # -1 indexes the trailing -1: "no value" stays -1
    uniques = list(lookup)
    return uniques, lookup, _concat(out, np.int32)


def _merge_multi(parts: list[tuple[list[str], np.ndarray, np.ndarray]],
                 datas: list[SegmentData]) -> tuple[list, dict, np.ndarray, np.ndarray]:
    lookup: dict[str, int] = {}
    docs, ords, offset = [], [], 0
    for (local_uniques, local_docs, local_ords), data in zip(parts, datas, strict=True):
        lut = np.array([lookup.setdefault(u, len(lookup)) for u in local_uniques] + [-1],
                       dtype=np.int32)
        docs.append(local_docs.astype(np.int64) + offset)
        ords.append(lut[local_ords])
        offset += data.doccount
    return list(lookup), lookup, _concat(docs, np.int64), _concat(ords, np.int32)


class WhooshEngine:
    name = "whoosh"

    def __init__(self, path: Path, ix: Any) -> None:
        self.path = path
        self.ix = ix
        self._lock = threading.Lock()
        self._segments: dict[str, SegmentData] = {}
        self._cache = PostingsCache()
        self._searcher = ix.searcher()
        self._view = WhooshView(self._searcher, self._segments, self._cache)

    def refresh(self) -> None:
        with self._lock:
            if self._searcher.up_to_date():
                return
            # A fresh searcher, not Searcher.refresh(): that reuses the readers of segments it
            # knew, with their old deletions, so replaced versions of edited assets would stay.
            searcher = self.ix.searcher()
            kept: dict[str, SegmentData] = {}
            for sub, _ in searcher.leaf_searchers():  # segments that stay: deletions may change
                reader = sub.reader()
                key = reader.segment().segment_id() if reader.segment() else None
                if key in self._segments:
                    kept[key] = self._segments[key]
                    kept[key].alive = read_alive(reader)
            self._segments = kept
            self._view = WhooshView(searcher, self._segments, self._cache)
            self._searcher = searcher  # the old one closes when the last search using it ends

    def search(self, query: EngineQuery) -> EngineResult:
        return execute(self._view, query)

    def doc_count(self) -> int:
        return int(self._view.alive.sum())

    def knows(self, word: str) -> bool:
        return is_known_stem(self._view, word)

    def vocabulary(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        reader = self._view.searcher.reader()
        terms = itertools.islice(reader.expand_prefix(EXACT, prefix), limit)
        out = []
        for term in terms:
            text = term.decode() if isinstance(term, bytes) else term
            out.append((text, reader.doc_frequency(EXACT, text)))
        return out

    def writer(self, *, bulk: bool = False) -> WhooshWriter:
        return WhooshWriter(self.ix, bulk)

    def close(self) -> None:
        self._searcher.close()
        self.ix.close()


class WhooshFactory:
    name = "whoosh"

    def create(self, path: Path) -> WhooshEngine:
        path.mkdir(parents=True, exist_ok=True)
        return WhooshEngine(path, whoosh_index.create_in(str(path), build_schema()))

    def open(self, path: Path) -> WhooshEngine:
        # Whoosh leaves a damaged file open when it fails: the handle is dropped with the
        # exception, inside this block, so its ResourceWarning is expected here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return WhooshEngine(path, whoosh_index.open_dir(str(path)))
            except Exception as exc:  # whoosh raises many kinds on damaged files
                problem = f"{type(exc).__name__}: {exc}"
            gc.collect()
        raise SearchIndexError(f"cannot open the Whoosh index at {path}: {problem}")
