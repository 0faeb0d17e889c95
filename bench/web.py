"""Web latency on a synthetic archive: browse (page 1, page 500), search with facets, asset page.

For each size (default 10,000 and 100,000 assets) loads the archive straight into a fresh SQLite
catalog (bulk inserts), builds the search index with the project's own ``SearchService.rebuild``,
starts a real `dam serve` (waitress, no workers) on 127.0.0.1 and measures each page with N
signed-in clients, each in its own process, all firing at once in a closed loop (no think time).
Each size is measured with each ``--processes`` count in turn (default: one serving process,
the reference, then `dam serve`'s default of one per core), so the JSON gives their ratio.

Two latencies per request: ``server`` is the app's own time (the ``Server-Timing: app;dur=``
header set in web/security.py: routing, account, queries, search, template), ``client`` is what
the client waited for (adds waitress queueing, HTTP and the client's own CPU). Each page is
measured ``--repeat`` times, interleaved with the others; the figures are the medians of the
rounds' p50 and p95. ``ratio`` is the largest size's p95 over the smallest's. Searches rotate
over several queries and asset pages over several assets, so no single cached answer is timed.
Prints a table, then one JSON object on its last line. ``--keep DIR`` keeps the loaded archives
(about 5 minutes for 100,000 on 2 busy cores) for the next run.

The production shape: ``--postgres URL`` loads each size into its own PostgreSQL database
(``acervo_bench_web_<size>``, made on the server URL names, dropped first unless kept), and
``--engine tantivy`` indexes with tantivy. There the rows are made by PostgreSQL itself
(``INSERT ... SELECT generate_series``, 100,000 a statement, foreign-key triggers off, then
``VACUUM ANALYZE``; needs a superuser URL): a million in about two minutes on 2 busy cores, where
the row-by-row loader took most of an hour. The tantivy index takes about 12 minutes more.

    python bench/web.py --sizes 10000 100000 --requests 200 --clients 8 --repeat 3 \
        --processes 1 0
    python bench/web.py --sizes 1000000 --engine tantivy --processes 1 0 --keep /var/tmp/bw \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import http.cookiejar
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dam.catalog import BatchInfo, create_batch  # noqa: E402
from dam.config import load_settings  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.enums import Role  # noqa: E402
from dam.models import Asset, Rendition  # noqa: E402
from dam.search.service import SearchService  # noqa: E402
from tests.web.live import start_server  # noqa: E402
from web.accounts import create_user  # noqa: E402

PASSWORD = "clave-de-bench-2025"
PER_PAGE = 60
EVENTS = ["Inauguración del mercado", "Jornada de bacheo", "Feria del empleo", "Tianguis",
          "Reforestación en el Cerro de la Estrella", "Conferencia de prensa", "Torneo de fútbol",
          "Representación de la Pasión", "Jornada de vacunación", "Reparto de agua en pipas"]
AREAS = ["Dirección General de Obras", "Dirección General de Cultura",
         "Dirección General de Desarrollo Social", "Dirección General de Servicios Urbanos"]
PLACES = ["Santa Cruz Meyehualco", "San Miguel Teotongo", "Ermita Iztapalapa", "Barrio San Lucas",
          "Lomas de la Estancia", "San Lorenzo Tezonco"]
PEOPLE = ["Ana Peña", "José Núñez", "María López", "Íñigo Yáñez", "Lucía Gómez"]
# Each matches about a tenth (events) or a sixth (places) of the archive.
QUERIES = ["mercado", "bacheo", "vacunacion", "tianguis", "teotongo", "fútbol", "pipas",
           "ermita"]
FILTERED = [("inauguracion", AREAS[0]), ("bacheo", AREAS[1]), ("feria", AREAS[2]),
            ("prensa", AREAS[3])]


def _asset_rows(first: int, last: int, batch_id: int, rng: random.Random
                ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    start = dt.datetime(2019, 1, 1)
    assets, renditions = [], []
    for i in range(first, last):
        sha = hashlib.sha256(str(i).encode()).hexdigest()
        event = rng.choice(EVENTS)
        assets.append({
            "id": i + 1, "sha256": sha, "media_type": "photo", "mime_type": "image/jpeg",
            "byte_size": 4_000_000, "original_filename": f"IMG_{i:06}.jpg",
            "original_key": f"originals/{sha[:2]}/{sha[2:4]}/{sha}", "batch_id": batch_id,
            "state": "ready", "taken_at": start + dt.timedelta(minutes=37 * i),
            "caption": f"{event} en {rng.choice(PLACES)}, foto {i}", "event": event,
            "area": rng.choice(AREAS), "creator": rng.choice(PEOPLE),
            "sublocation": rng.choice(PLACES), "keywords": ["iztapalapa"],
            "persons_shown": [], "metadata_json": {}, "width": 6000, "height": 4000,
            "camera_make": "Canon", "camera_model": "EOS R6",
        })
        for kind, size in (("thumbnail", 400), ("preview", 1440)):
            renditions.append({"asset_id": i + 1, "kind": kind, "page": 0,
                               "key": f"renditions/{sha[:2]}/{sha[2:4]}/{sha}/{kind}.jpg",
                               "mime_type": "image/jpeg", "width": size,
                               "height": size * 2 // 3, "byte_size": 50_000})
    return assets, renditions


# The same rows as _asset_rows, made by PostgreSQL itself (INSERT ... SELECT generate_series):
# a million rows through the driver take most of an hour on 2 busy cores, this a few minutes.
# Choices come from a hash of the id and the column instead of Python's generator: the same
# spread (each event about a tenth of the archive, each place a sixth), not the same draws.
_PICK = "(CAST(:{name} AS text[]))[1 + mod(hashint8(a * 8 + {salt}) + 2147483648, {n})]"
_PG_ASSETS = f"""
INSERT INTO assets (id, sha256, media_type, mime_type, byte_size, original_filename,
    original_key, batch_id, state, taken_at, caption, event, area, creator, sublocation,
    keywords, persons_shown, metadata_json, width, height, camera_make, camera_model)
SELECT a, h, 'photo', 'image/jpeg', 4000000, 'IMG_' || lpad((a - 1)::text, 6, '0') || '.jpg',
    'originals/' || substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h, :batch_id, 'ready',
    TIMESTAMP '2019-01-01' + (a - 1) * INTERVAL '37 minutes',
    e || ' en ' || {_PICK.format(name="places", salt=1, n=len(PLACES))} || ', foto ' || (a - 1),
    e, {_PICK.format(name="areas", salt=2, n=len(AREAS))},
    {_PICK.format(name="people", salt=3, n=len(PEOPLE))},
    {_PICK.format(name="places", salt=4, n=len(PLACES))},
    '["iztapalapa"]', '[]', '{{}}', 6000, 4000, 'Canon', 'EOS R6'
FROM (SELECT a, encode(sha256((a - 1)::text::bytea), 'hex') AS h,
             {_PICK.format(name="events", salt=0, n=len(EVENTS))} AS e
      FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS a) AS s
"""
_PG_RENDITIONS = """
INSERT INTO renditions (asset_id, kind, page, key, mime_type, width, height, byte_size)
SELECT id, k.kind, 0, 'renditions/' || substr(sha256, 1, 2) || '/' || substr(sha256, 3, 2) || '/'
       || sha256 || '/' || k.kind || '.jpg', 'image/jpeg', k.size, k.size * 2 / 3, 50000
FROM assets, (VALUES ('thumbnail', 400), ('preview', 1440)) AS k(kind, size)
WHERE id BETWEEN CAST(:first AS bigint) AND CAST(:last AS bigint)
"""


def _insert_postgres(catalog: Catalog, count: int, batch_id: int) -> None:
    """``count`` assets and their renditions, a 100,000 at a time; then the planner's stats.
    Needs a superuser URL (as ``postgres`` in the examples)."""
    from sqlalchemy import text  # noqa: PLC0415

    lists = {"events": EVENTS, "places": PLACES, "areas": AREAS, "people": PEOPLE}
    step = 100_000
    for first in range(1, count + 1, step):
        last = min(first + step - 1, count)
        with catalog.write() as session:
            # No foreign-key triggers (rows are consistent by construction): checking each
            # rendition's asset costs milliseconds a row on a table not analysed yet.
            session.execute(text("SET LOCAL session_replication_role = replica"))
            session.execute(text(_PG_ASSETS), {"first": first, "last": last,
                                               "batch_id": batch_id, **lists})
            session.execute(text(_PG_RENDITIONS), {"first": first, "last": last})
        print(f"  {last} assets inserted", file=sys.stderr, flush=True)
    with catalog.engine.connect() as conn:
        conn.execute(text("SELECT setval('assets_id_seq', :n)"), {"n": count})
        conn.commit()
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def load_archive(settings, count: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Bulk-insert ``count`` assets (core inserts, one transaction), then build the index."""
    started = time.perf_counter()
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    create_user(catalog, "bench", Role.ADMIN, password=PASSWORD)
    rng = random.Random(5)
    batch_id = create_batch(catalog, BatchInfo(event="bench"))
    if catalog.is_sqlite:
        with catalog.write() as session:
            for first in range(0, count, 10_000):
                assets, renditions = _asset_rows(first, min(first + 10_000, count), batch_id,
                                                 rng)
                session.execute(Asset.__table__.insert(), assets)
                session.execute(Rendition.__table__.insert(), renditions)
    else:
        _insert_postgres(catalog, count, batch_id)
    inserted = time.perf_counter()
    service = SearchService(settings, catalog)
    service.rebuild()
    service.close()
    catalog.dispose()
    return {"insert_s": round(inserted - started, 1),
            "index_s": round(time.perf_counter() - inserted, 1)}


def page_paths(count: int) -> dict[str, list[str]]:
    """The URLs of each measured page; page 500 is the last full page when there are fewer."""
    deep = min(500, count // PER_PAGE)
    first_id = count + 1 - PER_PAGE * (deep - 1)  # ids are dense: the key of that page
    assets = [count * k // 9 for k in range(1, 9)]
    return {
        "browse_page_1": ["/"],
        "browse_page_500": [f"/?antes={first_id}"],
        "search_with_facets": [f"/buscar?q={urllib.parse.quote(q)}" for q in QUERIES],
        "search_filtered": [f"/buscar?{urllib.parse.urlencode({'q': q, 'area': a})}"
                            for q, a in FILTERED],
        "asset_page": [f"/material/{i}" for i in assets],
    }


def _sign_in(url: str) -> str:
    """The session cookie of a fresh sign-in as the bench account."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{url}/entrar").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"username": "bench", "password": PASSWORD,
                                   "csrf_token": token}).encode()
    opener.open(f"{url}/entrar", data=data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _client(url: str, conn, barrier) -> None:  # type: ignore[no-untyped-def]
    """One client process: signs in, then runs the batches of requests the parent sends."""
    cookie = _sign_in(url)
    parsed = urllib.parse.urlsplit(url)
    http_conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    conn.send("ready")
    while (job := conn.recv()) is not None:
        paths, count, offset = job
        barrier.wait()
        times = []
        for i in range(count):
            started = time.perf_counter()
            http_conn.request("GET", paths[(offset + i) % len(paths)], headers={"Cookie": cookie})
            response = http_conn.getresponse()
            response.read()
            client_ms = (time.perf_counter() - started) * 1000
            assert response.status == 200, response.status
            timing = response.getheader("Server-Timing", "")
            server_ms = float(timing.rpartition("dur=")[2]) if "dur=" in timing else float("nan")
            times.append((client_ms, server_ms))
        conn.send(times)
    http_conn.close()


def _percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[max(0, int(len(values) * 0.95) - 1)]


class Clients:
    """N client processes (spawned: nothing of the server or the loader is shared)."""

    def __init__(self, url: str, count: int) -> None:
        context = mp.get_context("spawn")
        self.barrier = context.Barrier(count)
        self.pipes, self.processes = [], []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=_client, args=(url, child, self.barrier),
                                      daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        for pipe in self.pipes:
            assert pipe.recv() == "ready"

    def run(self, paths: list[str], requests: int) -> list[tuple[float, float]]:
        per_client = max(1, requests // len(self.pipes))
        for n, pipe in enumerate(self.pipes):
            pipe.send((paths, per_client, n))
        return [t for pipe in self.pipes for t in pipe.recv()]

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(timeout=10)


def _database(server_url: str, count: int, fresh: bool) -> str:
    """The URL of this size's PostgreSQL database on ``server_url``'s server (made if missing;
    dropped first when ``fresh``)."""
    from sqlalchemy import create_engine, text  # noqa: PLC0415 - only for --postgres
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    name = f"acervo_bench_web_{count}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).first() is not None
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if fresh or not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _settings(base: Path, args: argparse.Namespace, count: int, fresh: bool):  # type: ignore[no-untyped-def]
    extra: dict[str, object] = {"search_engine": args.engine}
    if args.postgres:
        extra["catalog_url"] = _database(args.postgres, count, fresh)
    return load_settings(env={}, base_dir=base, data_dir=str(base / "var"), **extra)


def _server_env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"DAM_CATALOG_URL": settings.catalog_url, "DAM_SEARCH_ENGINE": settings.search_engine}


def prepare(count: int, args: argparse.Namespace) -> tuple[Path, dict[str, float], object]:
    """A folder holding a loaded archive of ``count`` assets (reused from ``keep`` if there)."""
    keep = args.keep
    if keep is None:
        base = Path(tempfile.mkdtemp(prefix=f"acervo-bench-web-{count}-"))
    else:
        base = keep / f"{count}-{args.engine}{'-pg' if args.postgres else ''}"
        if (base / "loaded.json").exists():
            settings = _settings(base, args, count, fresh=False)
            _bring_up_to_date(settings)
            return base, json.loads((base / "loaded.json").read_text()), settings
        base.mkdir(parents=True, exist_ok=True)
    settings = _settings(base, args, count, fresh=True)
    load = load_archive(settings, count)
    print(f"{count} assets: inserted in {load['insert_s']} s, indexed in {load['index_s']} s",
          file=sys.stderr)
    (base / "loaded.json").write_text(json.dumps(load))
    return base, load, settings


def _bring_up_to_date(settings) -> None:  # type: ignore[no-untyped-def]
    """A kept archive made by an older version: migrate it, rebuild an index of an old schema."""
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    service = SearchService(settings, catalog)
    service.engine()  # rebuilds here, before timing, if the index's schema is older
    service.close()
    catalog.dispose()


def measure_size(count: int, processes: int, args: argparse.Namespace) -> dict[str, object]:
    base, load, settings = prepare(count, args)
    server = start_server(base, workers=0, env={"DAM_WEB_THREADS": str(args.threads),
                                                "DAM_WEB_PROCESSES": str(processes),
                                                "DAM_SEARCH_SYNC_SECONDS": "1",
                                                **_server_env(settings)})
    rounds: dict[str, list[dict[str, float]]] = {}
    try:
        clients = Clients(server.url, args.clients)
        try:
            paths = page_paths(count)
            for urls in paths.values():  # warm up: every URL once from every client
                clients.run(urls, len(urls) * args.clients)
            for _ in range(args.repeat):
                for name, urls in paths.items():
                    times = clients.run(urls, args.requests)
                    c50, c95 = _percentiles([c for c, _ in times])
                    s50, s95 = _percentiles([s for _, s in times])
                    rounds.setdefault(name, []).append(
                        {"server_p50": s50, "server_p95": s95, "client_p50": c50,
                         "client_p95": c95})
        finally:
            clients.close()
    finally:
        server.stop()
    pages = {name: {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}
             for name, runs in rounds.items()}
    return {"assets": count, "processes": _serving_processes(server), "load": load,
            "catalog": "postgresql" if args.postgres else "sqlite", "engine": args.engine,
            "pages": pages}


def _serving_processes(server: object) -> int:
    """How many web processes `dam serve` said it started (its first line)."""
    found = re.search(r"\((\d+) web process", server.output())  # type: ignore[attr-defined]
    return int(found.group(1)) if found else 1


def print_table(results: list[dict[str, object]], target: float) -> None:
    print(f"{'assets':>8} {'procs':>5} {'page':<20} {'server p50':>10} {'p95':>7} "
          f"{'client p50':>10} {'p95':>7}  p95<{target:.0f} ms (server/client)")
    for result in results:
        for name, f in result["pages"].items():  # type: ignore[attr-defined]
            ok = "/".join("yes" if f[k] < target else "no" for k in ("server_p95", "client_p95"))
            print(f"{result['assets']:>8} {result['processes']:>5} {name:<20} "
                  f"{f['server_p50']:>10} {f['server_p95']:>7} {f['client_p50']:>10} "
                  f"{f['client_p95']:>7}  {ok}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--requests", type=int, default=200, help="per page and round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8,
                        help="waitress request threads per process")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 0],
                        help="web processes to measure, each in turn (0: one per core)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target-ms", type=float, default=150.0)
    parser.add_argument("--postgres", default="",
                        help="a PostgreSQL server URL: each size gets its own database there")
    parser.add_argument("--engine", default="whoosh", choices=["whoosh", "tantivy"])
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the loaded archives in KEEP/<size>/ and reuse them next time")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = [measure_size(count, processes, args)
               for count in sorted(args.sizes) for processes in args.processes]
    print_table(results, args.target_ms)
    last = results[-1]["processes"]
    same = [r for r in results if r["processes"] == last]
    small, large = same[0]["pages"], same[-1]["pages"]
    ratio = {name: {k: round(large[name][k] / small[name][k], 2)  # type: ignore[index]
                    for k in ("server_p95", "client_p95")} for name in large}  # type: ignore[union-attr]
    print(json.dumps({"sizes": sorted(args.sizes), "clients": args.clients,
                      "threads": args.threads, "processes": args.processes,
                      "requests": args.requests,
                      "repeat": args.repeat, "target_ms": args.target_ms,
                      "cpus": os.cpu_count(), "loadavg_before": round(load_before, 2),
                      "loadavg_after": round(os.getloadavg()[0], 2), "results": results,
                      "ratio_p95_largest_over_smallest": ratio,
                      "ratio_p95_over_one_process": _over_one_process(results)}))


def _over_one_process(results: list[dict[str, object]]) -> dict[str, object]:
    """Each size's p95 with several processes over its p95 with one (same run)."""
    out: dict[str, object] = {}
    for result in results:
        one = next((r for r in results if r["assets"] == result["assets"]
                    and r["processes"] == 1), None)
        if one is None or result["processes"] == 1:
            continue
        out[f"{result['assets']}x{result['processes']}"] = {
            name: round(f["client_p95"] / one["pages"][name]["client_p95"], 2)  # type: ignore[index]
            for name, f in result["pages"].items()}  # type: ignore[attr-defined]
    return out


if __name__ == "__main__":
    main()
