"""The narrow interface between Acervo's search and an engine (Whoosh or tantivy).

The query language, facets, suggestions and sync live above it; an engine only stores documents
and translates an :class:`EngineQuery` (a parsed query tree plus paging, sort and facets).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dam.search.documents import SearchDoc
from dam.search.query import Node

SCHEMA_VERSION = 6  # bump when documents or analysis change: indexes of older versions rebuild


@dataclass(frozen=True)
class EngineQuery:
    text: Node | None
    filter: Node | None
    sort: str = "relevance"  # a key of fields.SORTS
    offset: int = 0
    limit: int = 50
    facets: tuple[str, ...] = ()
    facet_limit: int = 20
    any_word: bool = False  # top-level words joined by OR (the relaxed retry of a query)


@dataclass(frozen=True)
class EngineHit:
    asset_id: int
    score: float


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


class IndexWriter(Protocol):
    """The one writer of an index: upserts and deletions, visible after ``commit``."""

    def upsert(self, docs: Iterable[SearchDoc]) -> None: ...

    def delete(self, asset_ids: Iterable[int]) -> None: ...

    def commit(self) -> None: ...

    def cancel(self) -> None: ...


class SearchEngine(Protocol):
    """One index directory opened by one engine."""

    name: str

    def search(self, query: EngineQuery) -> EngineResult: ...

    def refresh(self) -> None:
        """See the writer's latest commit (cheap when nothing changed)."""

    def doc_count(self) -> int: ...

    def knows(self, word: str) -> bool:
        """True when ``word``, analysed as free text, occurs in the index."""

    def vocabulary(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Indexed words (lower-case, accents kept) starting with ``prefix``, with doc counts."""

    def writer(self, *, bulk: bool = False) -> IndexWriter: ...

    def close(self) -> None: ...


class EngineFactory(Protocol):
    name: str

    def create(self, path: Path) -> SearchEngine: ...

    def open(self, path: Path) -> SearchEngine: ...


def engine_factory(name: str) -> EngineFactory:
    """The factory of the engine named by the ``search_engine`` setting."""
    if name == "whoosh":
        from dam.search.whoosh_engine import WhooshFactory

        return WhooshFactory()
    if name == "tantivy":
        from dam.search.tantivy_engine import TantivyFactory

        return TantivyFactory()
    raise ValueError(f"unknown search engine {name!r}")
