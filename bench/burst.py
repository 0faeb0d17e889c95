"""Benchmark: four photographers upload at once through the web while a viewer searches.

The burst after a big event: P photographers (default 4) each upload N photos (default 500)
through the JSON API exactly as the upload page does it (a batch, then each file in chunks of
``upload_chunk_bytes``, resumable protocol, three files at a time), into one `dam serve` with its
default workers and search sync, while a viewer runs searches in a loop. Timed: from the first
request until every photo is ready (thumbnail and preview made) and found by the search. In the
same run, the reference: `dam ingest` of the same files from a folder into a fresh archive, with
the same number of `dam worker` processes, until every photo is ready. The ratio reference /
burst (target >= 0.8) says what the web path costs over the folder path; the viewer's search p95
during the burst (target < 300 ms) says whether staff can still work meanwhile.

    python bench/burst.py [--photographers 4] [--photos 500] [--megapixels 6] [--worker-nice N]

Photos are generated (gradients, blobs and noise, JPEG q90) and cached in --cache. Prints one
JSON object on its last line.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import http.client
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.proc_cpu import CpuSampler  # noqa: E402
from dam.db import Catalog  # noqa: E402
from dam.enums import Role  # noqa: E402
from tests.web.live import run_dam, start_server  # noqa: E402
from web.accounts import create_token, create_user  # noqa: E402

EVENT = "Jornada de reforestación en el Cerro de la Estrella"
QUERIES = ["reforestacion", "cerro estrella", "jornada", "reforestación fotografo:uno"]


def make_photos(folder: Path, count: int, megapixels: float) -> list[Path]:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    width = int((megapixels * 1e6 * 1.5) ** 0.5)
    height = int(width / 1.5)
    base = np.random.default_rng(0).integers(0, 255, (height // 8, width // 8, 3), np.uint8)
    smooth = np.asarray(Image.fromarray(base).resize((width, height), Image.BICUBIC))
    paths = []
    for i in range(count):
        path = folder / f"foto_{i:05}.jpg"
        paths.append(path)
        if not path.exists():
            noise = np.random.default_rng(i + 1).integers(0, 24, (height, width, 3), np.uint8)
            Image.fromarray(smooth + noise).save(path, quality=90)
    return paths


def _request(conn: http.client.HTTPConnection, method: str, path: str, token: str,
             body: bytes | None = None, headers: dict[str, str] | None = None
             ) -> tuple[int, dict]:  # type: ignore[type-arg]
    conn.request(method, path, body=body,
                 headers={"Authorization": f"Bearer {token}", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else {})


def _upload_file(host: str, port: int, token: str, batch_id: int, path: Path) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=120)
    data = path.read_bytes()
    status, upload = _request(conn, "POST", "/api/v1/uploads", token,
                              json.dumps({"batch_id": batch_id, "filename": path.name,
                                          "size": len(data)}).encode(),
                              {"Content-Type": "application/json"})
    assert status == 201, upload
    url = urllib.parse.urlsplit(upload["url"]).path
    offset, chunk = 0, upload["chunk_size"]
    while offset < len(data):
        status, answer = _request(conn, "PATCH", url, token, data[offset:offset + chunk],
                                  {"Upload-Offset": str(offset),
                                   "Content-Type": "application/octet-stream"})
        assert status in (200, 409), answer
        offset = answer["offset"]
    status, done = _request(conn, "POST", f"{url}/complete", token)
    assert status in (200, 202), done
    conn.close()


def photographer(url: str, token: str, name: str, paths: list[str]) -> float:
    """One photographer's whole batch, three files at a time; returns seconds."""
    parts = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    status, batch = _request(conn, "POST", "/api/v1/batches", token,
                             json.dumps({"event": EVENT, "date": "2026-07-12",
                                         "area": "Dirección General de Medio Ambiente",
                                         "place": "Cerro de la Estrella",
                                         "photographer": name}).encode(),
                             {"Content-Type": "application/json"})
    assert status == 201, batch
    conn.close()
    with cf.ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda p: _upload_file(parts.hostname, parts.port, token, batch["id"],
                                             Path(p)), paths))
    return time.perf_counter() - started


def viewer(url: str, token: str, stop: mp.Event, out: mp.Queue) -> None:  # type: ignore[type-arg]
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    times, n = [], 0
    while not stop.is_set():
        query = urllib.parse.quote(QUERIES[n % len(QUERIES)])
        started = time.perf_counter()
        status, _ = _request(conn, "GET", f"/api/v1/search?q={query}&per_page=60", token)
        if status == 200:
            times.append((time.perf_counter() - started) * 1000)
        n += 1
        time.sleep(0.2)  # a person reading results, not a load generator
    out.put(times)


def run_burst(paths: list[Path], photographers: int, workdir: Path,
              env: dict[str, str]) -> dict[str, object]:
    base = workdir / "burst"
    base.mkdir(parents=True, exist_ok=True)
    assert run_dam(base, "init").wait(timeout=120) == 0
    catalog = Catalog(f"sqlite:///{base / 'var' / 'catalog.sqlite3'}")
    tokens = []
    for n in range(photographers):
        user_id = create_user(catalog, f"fotografo{n}", Role.PHOTOGRAPHER, password="x" * 16).id
        tokens.append(create_token(catalog, user_id, "burst"))
    viewer_id = create_user(catalog, "prensa", Role.VIEWER, password="x" * 16).id
    viewer_token = create_token(catalog, viewer_id, "burst")
    server = start_server(base, workers=os.cpu_count() or 2,
                          env={"DAM_SEARCH_SYNC_SECONDS": "1", **env})
    try:
        share = [paths[i::photographers] for i in range(photographers)]
        stop, out = mp.Event(), mp.Queue()
        watcher = mp.Process(target=viewer, args=(server.url, viewer_token, stop, out))
        watcher.start()
        sampler = CpuSampler().start()
        started = time.perf_counter()
        with cf.ProcessPoolExecutor(photographers) as pool:
            uploads = list(pool.map(photographer, [server.url] * photographers, tokens,
                                    [f"Fotógrafo {n}" for n in range(photographers)],
                                    [[str(p) for p in s] for s in share]))
        uploaded = time.perf_counter() - started
        ready_at: list[float] = []
        while not _done(catalog, server.url, viewer_token, len(paths), ready_at):
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        cpu = sampler.stop()
        stop.set()
        searches = out.get(timeout=60)
        watcher.join(timeout=30)
    finally:
        server.stop()
        catalog.dispose()
    searches.sort()
    return {"seconds": round(elapsed, 1), "upload_seconds": round(uploaded, 1),
            "ready_seconds": round(ready_at[0] - started, 1), "cpu_s": cpu,
            "cpu_ms_per_photo": {k: round(1000 * v / len(paths)) for k, v in cpu.items()},
            "per_photographer_upload_s": [round(u, 1) for u in uploads],
            "searches": len(searches),
            "search_p50_ms": round(statistics.median(searches), 1) if searches else None,
            "search_p95_ms": round(searches[int(0.95 * (len(searches) - 1))], 1)
            if searches else None}


def _done(catalog: Catalog, url: str, token: str, total: int, ready_at: list[float]) -> bool:
    """Every photo ready with its thumbnail (noted in ``ready_at`` the first time) and found."""
    from sqlalchemy import func, select

    from dam.enums import AssetState, RenditionKind
    from dam.models import Asset, Rendition

    with catalog.read() as session:
        ready = session.scalar(select(func.count()).select_from(Asset).where(
            Asset.state == AssetState.READY,
            Asset.id.in_(select(Rendition.asset_id).where(
                Rendition.kind == RenditionKind.THUMBNAIL))))
    if ready < total:
        return False
    if not ready_at:
        ready_at.append(time.perf_counter())
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    status, found = _request(conn, "GET", "/api/v1/search?q=reforestacion&per_page=1", token)
    conn.close()
    return status == 200 and found.get("total", 0) >= total


def run_folder(paths: list[Path], workdir: Path, env: dict[str, str]
               ) -> tuple[float, dict[str, float]]:
    """`dam ingest` of the same files with `dam worker` running, until every photo is ready."""
    base = workdir / "folder"
    base.mkdir(parents=True, exist_ok=True)
    assert run_dam(base, "init").wait(timeout=120) == 0
    worker = run_dam(base, "worker", env={"DAM_WORKERS": str(os.cpu_count() or 2), **env},
                     log=base / "worker.log")
    catalog = Catalog(f"sqlite:///{base / 'var' / 'catalog.sqlite3'}")
    time.sleep(3)  # worker processes start and import (not part of the work)
    try:
        sampler = CpuSampler().start()
        started = time.perf_counter()
        ingest = run_dam(base, "ingest", str(paths[0].parent), "--event", EVENT,
                         log=base / "ingest.log")
        assert ingest.wait(timeout=3600) == 0, (base / "ingest.log").read_text()
        from sqlalchemy import func, select

        from dam.enums import AssetState
        from dam.models import Asset

        while True:
            with catalog.read() as session:
                ready = session.scalar(select(func.count()).select_from(Asset).where(
                    Asset.state == AssetState.READY))
            if ready >= len(paths):
                break
            time.sleep(0.5)
        return time.perf_counter() - started, sampler.stop()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        catalog.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photographers", type=int, default=4)
    parser.add_argument("--photos", type=int, default=500, help="per photographer")
    parser.add_argument("--megapixels", type=float, default=6.0)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "acervo-burst")
    parser.add_argument("--worker-nice", type=int, default=None,
                        help="the workers' niceness (setting worker_nice; default: its default)")
    args = parser.parse_args()
    total = args.photographers * args.photos
    paths = make_photos(args.cache / f"{args.megapixels}mp-{total}", total, args.megapixels)
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="acervo-burst-"))
    env = {} if args.worker_nice is None else {"DAM_WORKER_NICE": str(args.worker_nice)}
    try:
        folder_s, folder_cpu = run_folder(paths, workdir, env)
        print(json.dumps({"folder_s": round(folder_s, 1), "folder_cpu_s": folder_cpu}),
              flush=True)
        burst = run_burst(paths, args.photographers, workdir, env)
        print(json.dumps({"burst": burst}), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({
        "photographers": args.photographers, "photos": total, "megapixels": args.megapixels,
        "worker_nice": args.worker_nice,
        "cpus": os.cpu_count(), "loadavg_before": round(load_before, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
        "folder_ingest_s": round(folder_s, 1), "burst_s": burst["seconds"],
        "folder_cpu_s": folder_cpu,
        "folder_cpu_ms_per_photo": {k: round(1000 * v / total) for k, v in folder_cpu.items()},
        "ratio_folder_over_burst": round(folder_s / burst["seconds"], 2),  # type: ignore[operator]
        "target_ratio": 0.8, "viewer_search_p50_ms": burst["search_p50_ms"],
        "viewer_search_p95_ms": burst["search_p95_ms"], "target_search_p95_ms": 300,
        "burst": burst,
    }))


if __name__ == "__main__":
    main()
