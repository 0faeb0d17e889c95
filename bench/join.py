"""Benchmark: a node joining later, from the index snapshot, against rebuilding its index.

Loads N synthetic assets into a fresh SQLite catalog (as bench/reindex.py), rebuilds the index
(the reference: what a joining node did before snapshots), publishes a snapshot to an object
store, then times a new node's first search: fetching the snapshot, checking its SHA-256,
unpacking it and opening it (``SearchService`` with ``store=``), with a few hundred changes made
after the snapshot for it to catch up. The store is a local folder unless ``--s3-endpoint`` and
``--s3-bucket`` name a bucket (e.g. SeaweedFS or MinIO), which is closer to production.

    python bench/join.py --assets 1000000 --engine tantivy [--keep DIR]

Prints a line per step and one JSON object on its last line: seconds, snapshot bytes, and the
ratio join / rebuild (lower is better).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reindex import load  # noqa: E402

from dam import changes  # noqa: E402
from dam.config import load_settings  # noqa: E402
from dam.db import Catalog  # noqa: E402
from dam.enums import MediaType  # noqa: E402
from dam.models import Asset  # noqa: E402
from dam.search import snapshot  # noqa: E402
from dam.search.engine import engine_factory  # noqa: E402
from dam.search.service import SearchService  # noqa: E402
from dam.search.store import IndexLocation  # noqa: E402
from dam.search.sync import rebuild  # noqa: E402
from storage import open_store  # noqa: E402

LATE_CHANGES = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--engine", default="tantivy", choices=["tantivy", "whoosh"])
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the loaded catalog here")
    parser.add_argument("--s3-endpoint", default="")
    parser.add_argument("--s3-bucket", default="")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="acervo-join-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"catalog-{args.assets}.sqlite3"
    fresh = not db.exists()
    catalog = Catalog(f"sqlite:///{db}")
    out: dict[str, object] = {"assets": args.assets, "engine": args.engine}
    if fresh:
        out["load_s"] = round(load(catalog, args.assets), 1)
        print(json.dumps({"load_s": out["load_s"]}), flush=True)
    if args.s3_bucket:
        store = open_store(f"s3://{args.s3_bucket}/bench-join", endpoint_url=args.s3_endpoint)
        out["store"] = "s3"
    else:
        store = open_store((work / "store").as_uri())
        out["store"] = "local folder"

    first = IndexLocation(work / f"index-a-{time.time_ns()}")
    report = rebuild(catalog, engine_factory(args.engine), first)
    out["rebuild_s"] = round(report.seconds, 1)
    print(json.dumps({"rebuild_s": out["rebuild_s"]}), flush=True)

    started = time.perf_counter()
    published = snapshot.publish(first, store)
    assert published is not None
    out["publish_s"] = round(time.perf_counter() - started, 1)
    out["snapshot_mb"] = round(published.byte_size / 1e6, 1)
    print(json.dumps({"publish_s": out["publish_s"], "snapshot_mb": out["snapshot_mb"]}),
          flush=True)

    with catalog.write() as session:  # made after the snapshot: the joining node catches up
        for n in range(LATE_CHANGES):
            session.add(Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO,
                              byte_size=1, original_filename=f"late_{n}.jpg",
                              original_key=f"originals/late/{n}", batch_id=1,
                              caption=f"Material llegado después de la instantánea {n}"))
        session.flush()
        changes.record(session, [a for a in session.identity_map.values()
                                 if isinstance(a, Asset)], "created")

    second = work / f"index-b-{time.time_ns()}"
    settings = load_settings(env={}, base_dir=work, data_dir=str(work / "node-b"),
                             catalog_url=f"sqlite:///{db}", search_engine=args.engine,
                             index_path=second)
    service = SearchService(settings, catalog, refresh_seconds=0.0, store=store)
    started = time.perf_counter()
    service.engine()
    joined = time.perf_counter() - started
    caught_up = service.sync()
    total = time.perf_counter() - started
    hits = service.search("instantánea", per_page=1).total
    service.close()
    out["join_s"] = round(joined, 1)
    out["join_and_catch_up_s"] = round(total, 1)
    out["caught_up_changes"] = caught_up
    out["late_assets_found"] = hits
    out["ratio_join_to_rebuild"] = round(total / report.seconds, 3)
    catalog.dispose()
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
