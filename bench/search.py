"""Benchmark: Acervo's search service on Whoosh and tantivy, with SQLite FTS5 as a reference.

Generates a synthetic archive (bench/search_corpus.py: a vocabulary of 5,000 Spanish-like words
with accents, 50 photographers, 20 areas, 2,000 events, 10 years), indexes it, and runs a fixed
mix of 500 queries (1-3 words, half with filters, a third with facets, a fifth sorted by date)
in one warm process through SearchService (parser, facets, paging included). Also: index build
rate and size, and the time for 1,000 edited assets to become searchable.

Usage: python bench/search.py [--sizes 100000 1000000] [--engines whoosh tantivy] [--fts5]
Prints a line per run and one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from search_corpus import make_assets, make_queries  # noqa: E402

from dam.config import load_settings  # noqa: E402
from dam.search.documents import build_document  # noqa: E402
from dam.search.engine import SCHEMA_VERSION, engine_factory  # noqa: E402
from dam.search.query import parse_query  # noqa: E402
from dam.search.service import SearchService  # noqa: E402
from dam.search.store import DATA_DIR, IndexLocation, IndexMeta, write_meta  # noqa: E402


def percentiles(values: list[float]) -> dict[str, float]:
    p = np.percentile(np.array(values) * 1000, [50, 95, 99])
    return {"p50_ms": round(p[0], 2), "p95_ms": round(p[1], 2), "p99_ms": round(p[2], 2)}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(engine_name: str, root: Path, docs: list) -> dict:
    factory = engine_factory(engine_name)
    location = IndexLocation(root)
    generation = location.new_generation(engine_name)
    started = time.perf_counter()
    engine = factory.create(generation / DATA_DIR)
    writer = engine.writer(bulk=True)
    for i in range(0, len(docs), 10_000):
        writer.upsert(docs[i:i + 10_000])
    writer.commit()
    engine.close()
    seconds = time.perf_counter() - started
    write_meta(generation, IndexMeta(engine_name, SCHEMA_VERSION, 0))
    location.swap(generation)
    return {"build_s": round(seconds, 1), "docs_per_s": round(len(docs) / seconds),
            "size_mb": round(dir_size(generation) / 1e6, 1)}


def run_queries(service: SearchService, queries: list[dict]) -> dict:
    for q in queries[:50]:  # warm up: the first queries read columns and postings
        service.search(q["q"], facets=q["facets"], sort=q["sort"])
    times, facet_times = [], []
    for q in queries:
        started = time.perf_counter()
        r = service.search(q["q"], facets=q["facets"], sort=q["sort"], per_page=50)
        elapsed = time.perf_counter() - started
        assert r.error is None, (q, r.error)
        times.append(elapsed)
        if q["facets"]:
            facet_times.append(elapsed)
    return {"all": percentiles(times), "with_facets": percentiles(facet_times)}


def edit_latency(service: SearchService, assets: list) -> float:
    """1,000 edited assets: seconds from the first write until a search finds all of them."""
    engine = service.engine()
    started = time.perf_counter()
    for a in assets[:1000]:
        a.caption = (a.caption or "") + " zumbadorxyz"
    writer = engine.writer()
    writer.upsert(build_document(a) for a in assets[:1000])
    writer.commit()
    service._checked = 0.0
    while service.search("zumbadorxyz", facets=False).total < 1000:
        engine.refresh()
        time.sleep(0.05)
    return round(time.perf_counter() - started, 2)


def fts5(docs: list, queries: list[dict], path: Path) -> dict:
    """The same queries on SQLite FTS5 (unicode61, diacritics removed; facets by GROUP BY)."""
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61 remove_diacritics 2')")
    db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, type TEXT, year TEXT, area TEXT, "
               "photographer TEXT, day INTEGER, gps TEXT, orientation TEXT, workflow TEXT)")
    started = time.perf_counter()
    db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", [(d.asset_id, d.text) for d in docs])
    db.executemany("INSERT INTO m VALUES (?,?,?,?,?,?,?,?,?)", [(
        d.asset_id, d.keywords.get("type", [""])[0], d.keywords.get("year", [""])[0],
        d.keywords.get("area", [""])[0], d.keywords.get("photographer", [""])[0],
        d.ints["taken_day"], d.keywords["gps"][0], d.keywords.get("orientation", [""])[0],
        d.keywords.get("workflow", [""])[0]) for d in docs])
    db.execute("CREATE INDEX m_day ON m(day)")
    db.commit()
    build_s = time.perf_counter() - started
    times, facet_times = [], []
    for q in queries:
        sql, args = _fts_sql(q["q"])
        started = time.perf_counter()
        order = "ORDER BY m.day DESC" if q["sort"] != "relevance" else "ORDER BY rank"
        db.execute(f"SELECT t.rowid FROM t JOIN m ON m.id = t.rowid WHERE {sql} {order} LIMIT 50",
                   args).fetchall()
        db.execute(f"SELECT count(*) FROM t JOIN m ON m.id = t.rowid WHERE {sql}", args).fetchall()
        if q["facets"]:
            for col in ("type", "year", "area"):
                db.execute(f"SELECT m.{col}, count(*) FROM t JOIN m ON m.id = t.rowid WHERE {sql} "
                           f"GROUP BY m.{col} ORDER BY 2 DESC LIMIT 20", args).fetchall()
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        if q["facets"]:
            facet_times.append(elapsed)
    db.close()
    return {"build_s": round(build_s, 1), "all": percentiles(times),
            "with_facets": percentiles(facet_times)}


def _fts_sql(text: str) -> tuple[str, list]:
    parsed = parse_query(text)
    words = [w for w in parsed.free_words]
    where, args = ["t MATCH ?"], [" ".join(f'"{w}"' for w in words) or '""']
    f = parsed.filter
    for node in (getattr(f, "nodes", None) or ([f] if f is not None else [])):
        kind = type(node).__name__
        if kind == "Range":
            where.append("m.day BETWEEN ? AND ?")
            args += [node.low if node.low is not None else -10**9, node.high or 10**9]
        elif kind == "Keyword":
            where.append(f"m.{node.fields[0]} = ?")
            args.append(node.values[0])
        elif kind == "Not":
            where.append("(m.workflow IS NULL OR m.workflow != ?)")
            args.append(node.node.values[0])
    return " AND ".join(where), args


def run_size(size: int, engines: list[str], with_fts: bool, work: Path) -> dict:
    started = time.perf_counter()
    assets = list(make_assets(size))
    docs = [build_document(a) for a in assets]
    doc_rate = size / (time.perf_counter() - started)
    queries = make_queries(500)
    out: dict = {"size": size, "generate_and_build_docs_per_s": round(doc_rate)}
    for name in engines:
        root = work / f"{name}-{size}"
        shutil.rmtree(root, ignore_errors=True)
        figures = build(name, root, docs)
        settings = load_settings(env={}, base_dir=work, index_path=str(root), search_engine=name)
        service = SearchService(settings)
        figures["queries"] = run_queries(service, queries)
        figures["edit_1000_searchable_s"] = edit_latency(service, assets)
        service.close()
        out[name] = figures
        print(json.dumps({name: figures, "size": size}), flush=True)
    if with_fts:
        out["fts5"] = fts5(docs, queries, work / f"fts5-{size}.sqlite3")
        print(json.dumps({"fts5": out["fts5"], "size": size}), flush=True)
    for name in engines:
        for kind in ("all", "with_facets"):
            ours, ref = out[name]["queries"][kind]["p95_ms"], out.get("fts5", {}).get(kind)
            if ref:
                out[name]["queries"][kind]["p95_vs_fts5"] = round(ours / ref["p95_ms"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--engines", nargs="+", default=["whoosh", "tantivy"])
    parser.add_argument("--fts5", action="store_true", help="also run SQLite FTS5")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="acervo-search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = [run_size(size, args.engines, args.fts5, work) for size in args.sizes]
    print(json.dumps({"results": results, "median": statistics.median([1])}))


if __name__ == "__main__":
    main()
