"""The search service the CLI and the web call: query, facets, paging, sync and rebuild."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from dam.changes import pending_after
from dam.config import Settings
from dam.db import Catalog
from dam.enums import VocabularyKind
from dam.models import VocabularyTerm
from dam.search import snapshot
from dam.search.analysis import words
from dam.search.date_words import DateWords
from dam.search.engine import (
    SCHEMA_VERSION,
    EngineQuery,
    EngineResult,
    SearchEngine,
    engine_factory,
)
from dam.search.errors import QuerySyntaxError, SearchIndexError
from dam.search.fields import DEFAULT_FACETS, KEYWORD_FIELDS, SORT_ALIASES, SORTS
from dam.search.query import And, Keyword, ParsedQuery, parse_query
from dam.search.store import DATA_DIR, IndexLocation, meta_stamp, read_meta
from dam.search.suggest import field_form, suggest_query
from dam.search.sync import (
    ChangeFollower,
    RebuildReport,
    catch_up,
    rebuild,
    rebuild_holding_lock,
    reindex_lapsed_embargoes,
)
from dam.search.synonyms import Synonyms
from storage import ObjectStore

log = logging.getLogger(__name__)

MAX_PER_PAGE = 200
SHAPE_CACHE_SIZE = 512
EMBARGO_CHECK_SECONDS = 30.0  # how often the writer looks for embargoes that have ended
REBUILD_WAIT_SECONDS = 15.0  # how long a search waits for another process rebuilding the index
SYNONYM_SECONDS = 10.0  # how often the synonym vocabulary is read again


@dataclass(frozen=True)
class _Shape:
    """What paging or re-sorting a query does not change: its facets and how it was answered."""

    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None
    relaxed: bool
    corrected: bool
    missing: tuple[str, ...] = ()


class _ShapeCache:
    """Recent queries' shapes, keyed by the index stamp: any index change invalidates them."""

    def __init__(self, size: int = SHAPE_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Any, _Shape] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> _Shape | None:
        with self._lock:
            shape = self._items.get(key)
            if shape is not None:
                self._items.move_to_end(key)
            return shape

    def put(self, key: Any, shape: _Shape) -> None:
        with self._lock:
            self._items[key] = shape
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Hit:
    asset_id: int
    score: float


@dataclass
class SearchResults:
    """One page of results; ``error`` holds the message when the query could not be run."""

    query: str
    total: int = 0
    page: int = 1
    per_page: int = 50
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None  # "¿Quiso decir …?"
    corrected: bool = False  # nothing matched the query: these are the suggestion's results
    relaxed: bool = False  # no asset has every word: ``partial`` holds those with some of them
    partial: list[Hit] = field(default_factory=list)  # by how many of the words they have
    partial_total: int = 0
    missing_words: list[str] = field(default_factory=list)  # words no asset has
    dates: list[DateWords] = field(default_factory=list)  # dates in words, applied as filters
    also: dict[str, list[str]] = field(default_factory=dict)  # synonyms searched too, by word
    error: str | None = None
    unavailable: bool = False  # the index could not be used (being rebuilt): not the query's fault
    took_ms: float = 0.0


class SearchService:
    """Searches this node's index replica and keeps it in step with the catalog.

    Readers share one engine (one searcher) refreshed when the index changes; ``sync`` applies
    the change feed as the node's one writer; ``start`` runs it in a background thread.
    """

    def __init__(self, settings: Settings, catalog: Catalog | None = None, *,
                 refresh_seconds: float = 0.5, store: ObjectStore | None = None) -> None:
        self.settings = settings
        self.catalog = catalog
        self.store = store  # where index snapshots are published and joined from
        self.factory = engine_factory(settings.search_engine)
        self.location = IndexLocation(settings.index_path)
        self.refresh_seconds = refresh_seconds
        self._lock = threading.RLock()
        self._engine: SearchEngine | None = None
        self._stamp: tuple[str, int] | None = None
        self._checked = 0.0
        self._follower: ChangeFollower | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._shapes = _ShapeCache()
        self._embargo_due = 0.0
        self._synonyms = Synonyms()
        self._synonyms_due = 0.0
        self._synonyms_fixed = False

    # -- synonyms -----------------------------------------------------------------------
    def set_synonyms(self, labels: list[str]) -> None:
        """Use these groups ("sismo = temblor") instead of the catalog's synonym vocabulary."""
        self._synonyms, self._synonyms_fixed = Synonyms.of(labels), True

    def synonyms(self) -> Synonyms:
        """The synonym groups, read from the catalog at most every SYNONYM_SECONDS."""
        now = time.monotonic()
        if self._synonyms_fixed or self.catalog is None or now < self._synonyms_due:
            return self._synonyms
        self._synonyms_due = now + SYNONYM_SECONDS
        try:
            with self.catalog.read() as session:
                labels = list(session.scalars(select(VocabularyTerm.label).where(
                    VocabularyTerm.vocabulary == VocabularyKind.SYNONYM,
                    VocabularyTerm.active.is_(True))))
        except Exception:  # the catalog is away: keep the groups read last time
            log.warning("could not read the synonym vocabulary; using the last one read")
            return self._synonyms
        self._synonyms = Synonyms.of(labels)
        return self._synonyms

    # -- the index ----------------------------------------------------------------------
    def engine(self) -> SearchEngine:
        """The open engine, refreshed when the index changed; rebuilt when missing or corrupt."""
        with self._lock:
            now = time.monotonic()
            if self._engine is not None and now - self._checked < self.refresh_seconds:
                return self._engine
            self._checked = now
            generation = self.location.current()
            stamp = meta_stamp(generation) if generation else None
            if self._engine is not None and stamp == self._stamp:
                return self._engine
            if self._engine is not None and stamp and self._stamp and stamp[0] == self._stamp[0]:
                self._engine.refresh()
                self._stamp = stamp
                return self._engine
            return self._open()

    def _open(self) -> SearchEngine:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        try:
            self._engine = self._open_current()
        except SearchIndexError as exc:
            if self.catalog is None:
                raise
            self._engine = self._rebuild_and_open(exc)
        return self._engine

    def _rebuild_and_open(self, problem: SearchIndexError) -> SearchEngine:
        """Rebuild an unusable index, unless another process of the node is doing it.

        Several serving processes find a missing index at once: one rebuilds, the others wait
        a little, then open its result or answer that the index is being rebuilt.
        """
        assert self.catalog is not None
        with self.location.rebuild_lock(REBUILD_WAIT_SECONDS) as mine:
            if not mine:
                raise SearchIndexError("the search index is being rebuilt: try again shortly")
            try:
                return self._open_current()  # rebuilt by another process while we waited
            except SearchIndexError:
                pass
            if self.store is not None and self._join_snapshot():
                self._checked = 0.0
                return self._open_current()
            log.warning("search index unusable (%s): rebuilding it", problem)
            rebuild_holding_lock(self.catalog, self.factory, self.location)
            self._checked = 0.0
            return self._open_current()

    def _join_snapshot(self) -> bool:
        """Install the latest snapshot the nodes published (dam.search.snapshot), if any."""
        assert self.store is not None
        try:
            return snapshot.join(self.location, self.store, self.factory.name) is not None
        except Exception as exc:  # noqa: BLE001 - a store away: rebuild from the catalog
            log.warning("search snapshot not joined (%s): rebuilding instead", exc)
            return False

    def _open_current(self) -> SearchEngine:
        generation = self.location.current()
        meta = read_meta(generation) if generation else None
        if generation is None or meta is None:
            raise SearchIndexError(f"no search index at {self.location.root}: run `dam reindex`")
        if meta.engine != self.factory.name or meta.schema_version != SCHEMA_VERSION:
            raise SearchIndexError(
                f"the index at {generation} is {meta.engine} v{meta.schema_version}, "
                f"this version needs {self.factory.name} v{SCHEMA_VERSION}: run `dam reindex`"
            )
        engine = self.factory.open(generation / DATA_DIR)
        try:
            engine.doc_count()  # touches the files: a damaged index fails here, not mid-search
        except Exception as exc:
            engine.close()
            raise SearchIndexError(f"the search index at {generation} is damaged: {exc}") from exc
        self._stamp = meta_stamp(generation)
        self._follower = None
        return engine

    def rebuild(self) -> RebuildReport:
        """Rebuild the index from the catalog into a new generation and swap it in."""
        if self.catalog is None:
            raise SearchIndexError("rebuilding the index needs the catalog")
        with self._lock:
            report = rebuild(self.catalog, self.factory, self.location)
            self._checked = 0.0
            return report

    def sync(self) -> int:
        """Apply the catalog's new changes to this node's index; returns how many were applied.

        Only one process per node writes: if another holds the writer lock, nothing is done.
        """
        if self.catalog is None:
            raise SearchIndexError("keeping the index in step needs the catalog")
        with self._lock:
            engine = self.engine()  # may rebuild a missing index, which takes the lock itself
            with self.location.writer_lock(wait=False) as mine:
                return self._catch_up(engine) if mine else 0

    def behind(self) -> int | None:
        """How many catalog changes this node's index has not applied yet (None: no index)."""
        if self.catalog is None:
            raise SearchIndexError("comparing the index with the catalog needs the catalog")
        generation = self.location.current()
        meta = read_meta(generation) if generation else None
        if meta is None:
            return None
        return pending_after(self.catalog, meta.last_seq)

    def _catch_up(self, engine: SearchEngine) -> int:
        assert self.catalog is not None
        generation = self.location.current()
        assert generation is not None
        if self._follower is None:
            meta = read_meta(generation)
            self._follower = ChangeFollower(self.catalog, meta.last_seq if meta else 0)
        applied = catch_up(self.catalog, engine, generation, self._follower)
        now = time.monotonic()
        if now >= self._embargo_due:  # embargoes end without a change to the catalog
            self._embargo_due = now + EMBARGO_CHECK_SECONDS
            applied += reindex_lapsed_embargoes(self.catalog, engine, generation)
        if applied:
            engine.refresh()
            self._stamp = meta_stamp(generation)
        return applied

    def start(self, interval: float = 1.0) -> None:
        """Follow the catalog in a background thread (the web app calls this once per process)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True,
                                        name="search-sync")
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.sync()
            except Exception:  # keep following: the next poll retries
                log.exception("search sync failed; retrying in %.1f s", interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        self.stop()
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    # -- searching ----------------------------------------------------------------------
    def search(self, query: str, *, page: int = 1, per_page: int = 50, sort: str = "relevance",
               facets: bool | tuple[str, ...] = True,
               filters: dict[str, list[str]] | None = None) -> SearchResults:
        """Run a query of the query language (see dam.search.query); never raises for bad input."""
        started = time.perf_counter()
        results = SearchResults(query=query, page=page, per_page=per_page)
        try:
            request = self._request(query, page, per_page, sort, facets, filters)
            results.dates = request[0].dates
            request = self._with_synonyms(request, results.also)
            self._run_query(results, request)
        except QuerySyntaxError as exc:
            results.error = str(exc)
        except SearchIndexError as exc:
            results.error, results.unavailable = str(exc), True
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    def _request(self, query: str, page: int, per_page: int, sort: str,
                 facets: bool | tuple[str, ...], filters: dict[str, list[str]] | None
                 ) -> tuple[ParsedQuery, EngineQuery]:
        sort_key = SORT_ALIASES.get(sort, sort)
        if sort_key not in SORTS:
            raise QuerySyntaxError(f"orden desconocido '{sort}'; use: {', '.join(SORTS)}",
                                   f"unknown sort {sort!r}")
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise QuerySyntaxError(
                f"página o tamaño de página no válidos (1 a {MAX_PER_PAGE} por página)",
                "invalid page or page size")
        parsed = parse_query(query)
        filter_node = _with_filters(parsed.filter, filters)
        names = DEFAULT_FACETS if facets is True else tuple(facets or ())
        eq = EngineQuery(parsed.text, filter_node, sort_key, (page - 1) * per_page, per_page,
                         names)
        return parsed, eq

    def _with_synonyms(self, request: tuple[ParsedQuery, EngineQuery],
                       used: dict[str, list[str]]) -> tuple[ParsedQuery, EngineQuery]:
        parsed, eq = request
        text = self.synonyms().expand(eq.text, used)
        return parsed, eq if text is eq.text else _replace(eq, text=text)

    def _run_query(self, results: SearchResults, request: tuple[ParsedQuery, EngineQuery]) -> None:
        parsed, eq = request
        engine = self.engine()
        key = (self._stamp, repr(eq.text), repr(eq.filter), eq.facets, eq.facet_limit)
        shape = self._shapes.get(key)
        if shape is not None:  # the same query paged or re-sorted: facets are known
            self._run_known(results, engine, eq, shape)
            return
        found = engine.search(eq)
        plain = [w for w in parsed.free_words if w not in results.also]  # synonyms: not typos
        if plain:
            results.suggestion = suggest_query(engine, parsed.source, plain)
            results.suggestion = self._field_form(engine, eq, results.suggestion or
                                                  parsed.source) or results.suggestion
        if found.total == 0 and results.suggestion:  # a typo: the corrected words, all of them
            corrected = engine.search(self._suggested(eq, results.suggestion))
            if corrected.total:
                found, results.corrected = corrected, True
        partial = None
        if found.total == 0 and len(parsed.free_words) > 1:
            partial = engine.search(_partial(eq))
            results.relaxed = partial.total > 0
        if found.total == 0 and not results.corrected:
            results.missing_words = [
                w for w in parsed.free_words if not engine.knows(w) and not any(
                    engine.knows(m) for other in results.also.get(w, []) for m in words(other))]
        _fill(results, found)
        if partial is not None and results.relaxed:
            _fill_partial(results, partial)
        self._shapes.put(key, _Shape(results.facets, results.suggestion, results.relaxed,
                                     results.corrected, tuple(results.missing_words)))

    def _field_form(self, engine: SearchEngine, eq: EngineQuery, source: str) -> str | None:
        """``fotografo lopez`` → ``fotógrafo:lopez``, when that finds something."""
        offer = field_form(source)
        if offer is None:
            return None
        try:
            probe = self._suggested(eq, offer)
        except QuerySyntaxError:
            return None
        return offer if engine.search(_replace(probe, offset=0, limit=1, facets=())).total \
            else None

    def _suggested(self, eq: EngineQuery, source: str) -> EngineQuery:
        """``eq`` with a suggestion's words and filters (with synonyms) instead of the typed."""
        parsed = parse_query(source)
        filters = _with_filters(parsed.filter, None)
        if eq.filter is not None:
            filters = eq.filter if filters is None else And((filters, eq.filter))
        return _replace(eq, text=self.synonyms().expand(parsed.text, {}), filter=filters)

    def _run_known(self, results: SearchResults, engine: SearchEngine, eq: EngineQuery,
                   shape: _Shape) -> None:
        run = _replace(eq, facets=())
        if shape.corrected and shape.suggestion:
            run = self._suggested(run, shape.suggestion)
        if shape.relaxed:
            _fill_partial(results, engine.search(_partial(run)))
        else:
            _fill(results, engine.search(run))
        results.facets = shape.facets
        results.suggestion, results.relaxed = shape.suggestion, shape.relaxed
        results.corrected, results.missing_words = shape.corrected, list(shape.missing)


def _partial(eq: EngineQuery) -> EngineQuery:
    """The query with its words joined by OR, ranked by how many of them an asset has."""
    return _replace(eq, any_word=True, sort="relevance")


def _fill_partial(results: SearchResults, found: EngineResult) -> None:
    """Partial matches go to their own list: the main results stay empty (total 0)."""
    results.total, results.hits = 0, []
    results.partial_total = found.total
    results.partial = [Hit(h.asset_id, h.score) for h in found.hits]
    results.facets = found.facets


def _replace(eq: EngineQuery, **changes: object) -> EngineQuery:
    from dataclasses import replace

    return replace(eq, **changes)


def _fill(results: SearchResults, found: EngineResult) -> None:
    results.total = found.total
    results.hits = [Hit(h.asset_id, h.score) for h in found.hits]
    results.facets = found.facets


def _with_filters(node: object, filters: dict[str, list[str]] | None) -> object:
    """Add the facet values picked in the UI ({"area": ["Dirección General de Obras"]})."""
    if not filters:
        return node
    parts = [] if node is None else [node]
    for name, values in filters.items():
        if name not in KEYWORD_FIELDS:
            raise QuerySyntaxError(f"filtro desconocido '{name}'", f"unknown filter {name!r}")
        if values:
            parts.append(Keyword((name,), tuple(values)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))
