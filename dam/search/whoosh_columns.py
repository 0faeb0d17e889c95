"""Whoosh segments read into numpy once: value columns, field lengths and term postings.

A Whoosh segment never changes once written (only its deletions do), so what is read from it is
cached by segment id and reused across searcher refreshes; a refresh only reads new segments.
Reading relies on Whoosh 2.7's on-disk column and posting layouts, with a slower generic path
when those internals are not there.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh.util.numeric import byte_to_length

from dam.search.fields import INT_FIELDS, MISSING_INT, MULTI_FACETS, SINGLE_FACETS

log = logging.getLogger(__name__)

SEPARATOR = "\x1f"
LENGTH_TABLE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


@dataclass
class SegmentData:
    """What one segment holds, as arrays indexed by the segment's own document numbers."""

    doccount: int
    alive: np.ndarray
    ints: dict[str, np.ndarray] = field(default_factory=dict)
    single: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)
    multi: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = field(default_factory=dict)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)


def segment_key(leaf: Any) -> str:
    return leaf.segment().segment_id()


def read_alive(leaf: Any) -> np.ndarray:
    """True for documents not deleted."""
    n = leaf.doc_count_all()
    alive = np.ones(n, dtype=bool)
    if leaf.has_deletions():
        deleted = getattr(leaf, "deleted_docs_set", None)
        if deleted is None:
            deleted = [d for d in range(n) if leaf.is_deleted(d)]
        alive[np.fromiter(deleted, dtype=np.int64)] = False
    return alive


def _read_numeric(reader: Any, n: int, default: int) -> np.ndarray:
    try:
        count, width = reader._count, reader._fixedlen
        raw = reader._dbfile.get(reader._basepos, count * width)
        values = np.frombuffer(raw, dtype=">" + reader._typecode).astype(np.int64)
        out = np.full(n, default, dtype=np.int64)
        out[: len(values)] = values[:n]
        return out
    except AttributeError:  # another column layout: the generic, slower way
        return np.fromiter(iter(reader), dtype=np.int64, count=n)


def _ordinals(values: Any, n: int) -> tuple[list[str], np.ndarray]:
    lookup: dict[str, int] = {}
    uniques: list[str] = []
    ords = np.full(n, -1, dtype=np.int32)
    for i, raw in enumerate(values):
        if not raw:
            continue
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        o = lookup.get(text)
        if o is None:
            o = lookup[text] = len(uniques)
            uniques.append(text)
        ords[i] = o
    return uniques, ords


def _multi(values: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    lookup: dict[str, int] = {}
    uniques: list[str] = []
    docs: list[int] = []
    ords: list[int] = []
    for i, raw in enumerate(values):
        if not raw:
            continue
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        for value in text.split(SEPARATOR):
            o = lookup.get(value)
            if o is None:
                o = lookup[value] = len(uniques)
                uniques.append(value)
            docs.append(i)
            ords.append(o)
    return uniques, np.asarray(docs, dtype=np.int32), np.asarray(ords, dtype=np.int32)


def _read_lengths(leaf: Any, fieldname: str, n: int) -> np.ndarray:
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        reader = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if reader is None:
            return np.zeros(n, dtype=np.float32)
        raw = np.frombuffer(reader._dbfile.get(reader._basepos, reader._count), dtype=np.uint8)
        codes = np.zeros(n, dtype=np.uint8)
        codes[: len(raw)] = raw[:n]
        return LENGTH_TABLE[codes]
    except AttributeError:
        lengths = (leaf.doc_field_length(d, fieldname, 0) or 0 for d in range(n))
        return np.fromiter(lengths, dtype=np.float32, count=n)


def read_segment(leaf: Any, text_fields: tuple[str, ...]) -> SegmentData:
    """Read a leaf reader's columns and lengths into arrays (once per segment)."""
    n = leaf.doc_count_all()
    data = SegmentData(doccount=n, alive=read_alive(leaf))
    for name in ("aid", *INT_FIELDS):
        default = 0 if name == "aid" else MISSING_INT
        column = leaf.column_reader(f"i_{name}", translate=False)
        data.ints[name] = _read_numeric(column, n, default)
    for name in SINGLE_FACETS:
        data.single[name] = _ordinals(leaf.column_reader(f"k_{name}", translate=False), n)
    for name in MULTI_FACETS:
        data.multi[name] = _multi(leaf.column_reader(f"k_{name}", translate=False))
    for name in text_fields:
        data.lengths[name] = _read_lengths(leaf, name, n)
    return data


def decode_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """All (document numbers, term frequencies) of a leaf posting list, block by block."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    try:
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int32))
            weights.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
    except AttributeError:
        pairs = [(matcher.id(), matcher.weight()) for _ in _walk(matcher)]
        return (np.asarray([p[0] for p in pairs], dtype=np.int32),
                np.asarray([p[1] for p in pairs], dtype=np.float32))
    if not ids:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    return np.concatenate(ids), np.concatenate(weights)


def _walk(matcher: Any) -> Any:
    while matcher.is_active():
        yield
        matcher.next()


class PostingsCache:
    """Decoded posting lists by (segment, field, term), least recently used dropped first."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict()
        )

    def get(self, key: str, leaf: Any, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        cache_key = (key, fieldname, term)
        hit = self._entries.get(cache_key)
        if hit is not None:
            self._entries.move_to_end(cache_key)
            return hit
        hit = self._read(leaf, fieldname, term)
        self._entries[cache_key] = hit
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return hit

    @staticmethod
    def _read(leaf: Any, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        if (fieldname, term) not in leaf:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        terms = leaf._terms  # the raw matcher, deletions are masked by the caller
        btext = leaf._text_to_bytes(fieldname, term)
        matcher = terms.matcher(fieldname, btext, leaf.schema[fieldname].format)
        return decode_postings(matcher)
