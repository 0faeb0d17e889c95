"""Catalog statements, transactions and CPU per uploaded photo on the web side (Flask test client).

One photographer (token auth, as bench/burst.py) uploads photos through the JSON API in one
chunk and in three chunks; printed per request kind: SQL statements, transactions (BEGIN ...
COMMIT/ROLLBACK, counted at their end) and, with --profile, a cProfile of the requests.

    python bench/upload_statements.py [--photos 20] [--profile] [--postgres URL]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from dam.config import load_settings  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.enums import Role  # noqa: E402
from tests.media import make_photo  # noqa: E402
from web import create_app  # noqa: E402
from web.accounts import create_token, create_user  # noqa: E402


class Counter:
    def __init__(self) -> None:
        self.kind = "setup"
        self.statements: collections.Counter[str] = collections.Counter()
        self.transactions: collections.Counter[str] = collections.Counter()
        self.sql: list[tuple[str, str]] = []

    def attach(self, engine: Any) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _statement(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            self.statements[self.kind] += 1
            self.sql.append((self.kind, " ".join(statement.split())[:110]))

        @event.listens_for(engine, "commit")
        def _commit(_c: Any) -> None:
            self.transactions[self.kind] += 1

        @event.listens_for(engine, "rollback")
        def _rollback(_c: Any) -> None:
            self.transactions[self.kind] += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print the statements of one photo")
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="upstat-"))
    extra = {"catalog_url": args.postgres} if args.postgres else {}
    settings = load_settings(env={}, base_dir=base, data_dir=str(base / "var"), faces=False,
                             upload_chunk_bytes=64 * 1024, upload_max_bytes=50_000_000, **extra)
    setup = Catalog(settings.catalog_url)
    migrate(setup)
    setup.dispose()
    app = create_app(settings)
    app.config["TESTING"] = True
    ctx = app.extensions["acervo"].ctx
    catalog = ctx.catalog
    user_id = create_user(catalog, "fotografa", Role.PHOTOGRAPHER, password="contraseña-segura-1",
                          display_name="F").id
    token = create_token(catalog, user_id, "bench")
    counter = Counter()
    counter.attach(catalog.engine)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    batch = client.post("/api/v1/batches", headers=auth, json={
        "event": "Jornada", "date": "2025-03-14", "area": "Obras", "place": "Cerro",
        "photographer": "Ana", "caption": "Jornada"}).json["id"]
    photos = [make_photo(base / f"p{i}.jpg", (700, 500), seed=i + 1, quality=90).read_bytes()
              for i in range(2 * args.photos)]
    profile = cProfile.Profile(time.process_time) if args.profile else None
    cpu = collections.Counter[str]()
    for chunks in (1, 3):
        counter.statements.clear(), counter.transactions.clear()
        counter.sql.clear()
        cpu.clear()
        for data in photos[(chunks - 1) // 2 * args.photos:][:args.photos]:
            size = -(-len(data) // chunks)
            requests: list[tuple[str, Any]] = [("create", lambda d=data: client.post(
                "/api/v1/uploads", headers=auth,
                json={"batch_id": batch, "filename": f"{time.time_ns()}.jpg",
                      "size": len(d)}))]
            for kind, call in requests:
                counter.kind = kind
                start = time.process_time()
                if profile:
                    profile.enable()
                upload = call().json
                if profile:
                    profile.disable()
                cpu[kind] += time.process_time() - start
            for offset in range(0, len(data), size):
                counter.kind = "chunk"
                start = time.process_time()
                if profile:
                    profile.enable()
                answer = client.patch(upload["url"], data=data[offset:offset + size], headers={
                    **auth, "Upload-Offset": str(offset),
                    "Content-Type": "application/octet-stream"})
                if profile:
                    profile.disable()
                cpu["chunk"] += time.process_time() - start
                assert answer.status_code == 200, answer.json
            counter.kind = "complete"
            start = time.process_time()
            if profile:
                profile.enable()
            done = client.post(f"{upload['url']}/complete", headers=auth)
            if profile:
                profile.disable()
            cpu["complete"] += time.process_time() - start
            assert done.status_code == 200 and done.json["outcome"] == "new", done.json
            if args.sql and counter.kind == "complete" and not getattr(main, "shown", False):
                main.shown = True  # type: ignore[attr-defined]
                for kind, sql in counter.sql:
                    print(f"  {kind:9} {sql}")
        n = args.photos
        print(f"{chunks} chunk(s): per photo "
              + ", ".join(f"{k} {counter.statements[k] / n:.1f} st"
                          f"/{counter.transactions[k] / n:.1f} tx/{1000 * cpu[k] / n:.1f} ms"
                          for k in ("create", "chunk", "complete"))
              + f"; total {sum(counter.statements.values()) / n:.1f} statements, "
              f"{sum(counter.transactions.values()) / n:.1f} transactions, "
              f"{1000 * sum(cpu.values()) / n:.1f} ms CPU")
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(70)
        print(out.getvalue())


if __name__ == "__main__":
    main()
