"""Benchmark: `dam reindex` (a full rebuild of the search index from the catalog) at scale.

Loads N synthetic assets (bench/search_corpus.py: realistic Spanish captions, events, places,
people) into a fresh SQLite catalog with bulk inserts, then times the project's own rebuild
(``dam.search.sync.rebuild``: read the catalog, build documents, index, catch up, swap) for each
engine. In the same run, as references: reading the same rows with plain ``sqlite3`` (the floor
for reading), and indexing already-built documents (the engine alone). Figures are seconds and
documents per second; ratios are to the engine-alone time.

    python bench/reindex.py --assets 1000000 --engines tantivy [--keep DIR]

Prints a line per step and one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_corpus import make_assets  # noqa: E402

from dam.catalog import BatchInfo, create_batch  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.models import Asset  # noqa: E402
from dam.search.documents import build_document  # noqa: E402
from dam.search.engine import engine_factory  # noqa: E402
from dam.search.store import DATA_DIR, IndexLocation  # noqa: E402
from dam.search.sync import rebuild  # noqa: E402

STATES = {"borrador": "draft", "revisado": "reviewed", "aprobado": "approved",
          "publicado": "published"}
CHUNK = 20_000


def _row(a) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "id": a.id, "sha256": f"{a.id:064x}", "media_type": a.media_type,
        "mime_type": "image/jpeg", "byte_size": 4_000_000,
        "original_filename": a.original_filename, "original_key": f"originals/{a.id}",
        "batch_id": 1, "state": "ready", "created_at": a.created_at, "taken_at": a.taken_at,
        "width": a.width, "height": a.height, "orientation": a.orientation,
        "camera_make": a.camera_make, "camera_model": a.camera_model,
        "gps_latitude": a.gps_latitude, "gps_longitude": a.gps_longitude if a.gps_latitude
        else None, "headline": a.headline, "caption": a.caption, "keywords": a.keywords,
        "creator": a.creator, "credit": a.credit, "city": a.city, "sublocation": a.sublocation,
        "event": a.event, "area": a.area, "persons_shown": a.persons_shown, "metadata_json": {},
        "workflow_state": STATES[a.workflow_state],
    }


def load(catalog: Catalog, count: int) -> float:
    started = time.perf_counter()
    migrate(catalog)
    create_batch(catalog, BatchInfo(event="bench"))
    rows: list[dict[str, object]] = []
    for asset in make_assets(count):
        rows.append(_row(asset))
        if len(rows) == CHUNK:
            with catalog.write() as session:
                session.execute(Asset.__table__.insert(), rows)
            rows = []
    if rows:
        with catalog.write() as session:
            session.execute(Asset.__table__.insert(), rows)
    return time.perf_counter() - started


def read_floor(path: Path) -> float:
    """Seconds to read every asset's indexed columns with plain sqlite3 (no objects built)."""
    started = time.perf_counter()
    con = sqlite3.connect(path)
    for _ in con.execute("SELECT id, caption, headline, event, area, creator, keywords, "
                         "persons_shown, sublocation, city, taken_at, created_at FROM assets"):
        pass
    con.close()
    return time.perf_counter() - started


def engine_alone(name: str, work: Path, count: int) -> float:
    """Seconds to index ``count`` already-built documents (built outside the timing)."""
    docs = [build_document(a) for a in make_assets(count)]
    root = work / f"alone-{name}"
    shutil.rmtree(root, ignore_errors=True)
    engine = engine_factory(name).create(IndexLocation(root).new_generation(name) / DATA_DIR)
    started = time.perf_counter()
    writer = engine.writer(bulk=True)
    for i in range(0, len(docs), 10_000):
        writer.upsert(docs[i:i + 10_000])
    writer.commit()
    seconds = time.perf_counter() - started
    engine.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--engines", nargs="+", default=["tantivy"])
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the loaded catalog here")
    parser.add_argument("--reference-sample", type=int, default=100_000,
                        help="documents indexed by the engine-alone reference")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="acervo-reindex-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"catalog-{args.assets}.sqlite3"
    fresh = not db.exists()
    catalog = Catalog(f"sqlite:///{db}")
    out: dict[str, object] = {"assets": args.assets}
    if fresh:
        out["load_s"] = round(load(catalog, args.assets), 1)
        print(json.dumps({"load_s": out["load_s"]}), flush=True)
    out["read_floor_s"] = round(read_floor(db), 1)
    print(json.dumps({"read_floor_s": out["read_floor_s"]}), flush=True)
    for name in args.engines:
        alone = engine_alone(name, work, args.reference_sample)
        location = IndexLocation(work / f"index-{name}")
        report = rebuild(catalog, engine_factory(name), location)
        figures = {
            "rebuild_s": round(report.seconds, 1),
            "docs_per_s": round(report.documents / report.seconds),
            "engine_alone_docs_per_s": round(args.reference_sample / alone),
            "ratio_to_engine_alone": round(
                (report.documents / report.seconds) / (args.reference_sample / alone), 2),
            "target_5_min_met": report.seconds < 300,
        }
        out[name] = figures
        print(json.dumps({name: figures}), flush=True)
    catalog.dispose()
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
