"""Benchmark: end-to-end photo ingest against libvips making the same two renditions.

Generates N photo-like 24-megapixel JPEGs (noise and gradients, ~10 MB each), then, interleaved
and repeated so machine noise hits every variant alike:

* ``vips``: the best libvips path (what Immich and PhotoPrism build on): ``Image.thumbnail`` to
  the preview size with shrink-on-load, then the thumbnail from that preview, both encoded to
  JPEG, in P processes. Renditions only: no hashing, metadata, catalog or storage. Every
  process imports pyvips and renders one photo before the clock starts (until 2026-12-05 only
  one of them did: the other's import and first photo, ~26 ms of CPU, were timed).
* ``ours``: Acervo's whole pipeline on the embedded default (SQLite, local store): intake (sniff,
  hash, dedup, store the original, record) then P real worker processes (metadata, both
  renditions, perceptual hash, rendition storage, catalog), timed from the first file taken in
  to the last asset ready.
* ``ours_prefilled``: the same into a catalog already holding M assets (inserted directly).

Prints a table, then one JSON object on the last line with the medians and the ratios, and the
CPU time per image of each side (all their processes and threads): on a busy machine the wall
ratio mostly measures who gets the cores (libvips' thread pool takes a larger share of contended
cores than our single-threaded workers), the CPU one what each side costs.
Usage: python bench/ingest.py [--images 40] [--processes 2] [--repeat 3] [--prefill 200000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dam.catalog import BatchInfo  # noqa: E402
from dam.config import load_settings  # noqa: E402
from dam.context import open_context  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.enums import AssetState  # noqa: E402

DAM = str(Path(sys.executable).with_name("dam"))
WIDTH, HEIGHT = 6000, 4000


def make_photos(folder: Path, count: int) -> list[Path]:
    """Photo-like JPEGs: smooth gradients, blobs of colour and sensor-like noise."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"foto_{i:04}.jpg"
        paths.append(path)
        if path.exists():
            continue
        rng = np.random.default_rng(i)
        y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        base = np.stack(
            [
                128 + 100 * np.sin(x / (700 + 37 * i) + i),
                128 + 100 * np.cos(y / (500 + 23 * i) - i),
                128 + 90 * np.sin((x + y) / (900 + 11 * i)),
            ],
            axis=-1,
        )
        base += rng.normal(0, 12, size=base.shape).astype(np.float32)
        img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"
        exif.get_ifd(0x8769)[0x9003] = "2025:03:14 11:30:00"
        img.save(path, "JPEG", quality=92, exif=exif)
    return paths


def _vips_worker(paths: list[str], preview: int, thumb: int) -> float:
    """Renders ``paths``; returns the CPU seconds this process (all its threads) spent."""
    import pyvips

    cpu = time.process_time()
    for path in paths:
        image = pyvips.Image.thumbnail(path, preview).copy_memory()  # reused for the thumbnail
        image.jpegsave_buffer(Q=82)
        image.thumbnail_image(thumb).jpegsave_buffer(Q=82)
    return time.process_time() - cpu


def _vips_warm_up(path: str, preview: int, thumb: int, ready) -> None:  # type: ignore[no-untyped-def]
    _vips_worker([path], preview, thumb)
    ready.release()


def run_vips(paths: list[Path], processes: int, preview: int, thumb: int) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of all the processes."""
    chunks = [[str(p) for p in paths[i::processes]] for i in range(processes)]
    spawn = mp.get_context("spawn")
    ready = spawn.Semaphore(0)
    # Every process imports pyvips and renders once before the clock starts, as our workers have
    # started (and warmed up) before theirs does.
    with spawn.Pool(processes, _vips_warm_up, (str(paths[0]), preview, thumb, ready)) as pool:
        for _ in range(processes):
            ready.acquire()
        started = time.perf_counter()
        cpu = pool.starmap(_vips_worker, [(c, preview, thumb) for c in chunks])
        return time.perf_counter() - started, sum(cpu)


def prefill(settings, count: int) -> None:  # type: ignore[no-untyped-def]
    """Insert ``count`` ready assets (and their finished jobs) directly, for speed."""
    from sqlalchemy import insert

    from dam.models import Asset, Job

    catalog = Catalog(settings.catalog_url)
    batch = 20_000
    for start in range(0, count, batch):
        rows = []
        for i in range(start, min(start + batch, count)):
            sha = secrets.token_hex(32)
            rows.append(
                dict(
                    sha256=sha,
                    media_type="photo",
                    mime_type="image/jpeg",
                    byte_size=10_000_000,
                    original_filename=f"old_{i}.jpg",
                    original_key=f"originals/{sha[:2]}/{sha[2:4]}/{sha}",
                    state="ready",
                    width=6000,
                    height=4000,
                    keywords=[],
                    persons_shown=[],
                    metadata_json={},
                )
            )
        with catalog.engine.begin() as conn:
            ids = conn.execute(insert(Asset).returning(Asset.id), rows).scalars().all()
            conn.execute(
                insert(Job),
                [dict(kind="process_asset", asset_id=a, state="done", attempts=1) for a in ids],
            )
    catalog.dispose()


def peak_rss_mb(pid: int) -> list[float]:
    """VmHWM of the worker processes under the supervisor ``pid``."""
    peaks = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return peaks


def wait_for_workers(pid: int, processes: int, catalog_file: Path) -> None:
    """Until ``processes`` workers under ``pid`` have the catalog file open (at most 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = 0
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            for child in task.read_text().split():
                try:
                    fds = list(Path(f"/proc/{child}/fd").iterdir())
                    ready += any(fd.resolve() == catalog_file for fd in fds)
                except OSError:
                    continue
        if ready >= processes:
            return
        time.sleep(0.1)
    raise SystemExit("the workers did not start within 60 s")


def wait_until_ready(ctx) -> None:  # type: ignore[no-untyped-def]
    """Until no asset is pending or processing. The count is asked again only once the catalog
    changed (SQLite's data_version, read every 5 ms): the clock stops within ~5 ms of the last
    asset's record, as the libvips side's stops when its last rendition is made (polling the
    count every 50 ms, as until 2026-12-05, added 25 ms to each run on average)."""
    from sqlalchemy import func, select

    from dam.models import Asset

    raw = ctx.catalog.engine.raw_connection()
    try:
        seen = None
        while True:
            cursor = raw.cursor()
            cursor.execute("PRAGMA data_version")
            version = cursor.fetchone()[0]
            cursor.close()
            if version != seen:
                seen = version
                with ctx.catalog.read() as session:
                    pending = session.scalar(
                        select(func.count()).where(
                            Asset.state.in_([AssetState.PENDING, AssetState.PROCESSING])
                        )
                    )
                if not pending:
                    return
            time.sleep(0.005)
    finally:
        raw.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").glob("*/children")
            for child in task.read_text().split()]


def run_ours(
    paths: list[Path], processes: int, prefilled: int, workdir: Path
) -> tuple[float, list[float], float]:
    """Wall seconds, peak memory of each worker, CPU seconds of intake and the workers."""
    from ingest.batching import ingest_paths

    data = workdir / f"var_{secrets.token_hex(3)}"
    settings = load_settings(env={}, base_dir=workdir, data_dir=str(data), workers=processes)
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    catalog.dispose()
    if prefilled:
        prefill(settings, prefilled)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAM_")}
    # The faces job is measured by bench/faces.py (ready with faces on vs off); here: renditions.
    env.update(DAM_DATA_DIR=str(data), DAM_WORKERS=str(processes), DAM_FACES="false")
    sup = subprocess.Popen([DAM, "worker"], env=env, cwd=workdir)
    ctx = open_context(settings)
    # Let the worker processes start and import (not part of the per-image cost), as the libvips
    # pool has: wait until each has the catalog open (a fixed 3 s was too short under load).
    wait_for_workers(sup.pid, processes, (data / "catalog.sqlite3").resolve())
    try:
        workers = {pid: cpu_seconds(pid) for pid in worker_pids(sup.pid)}
        own_cpu = time.process_time()
        started = time.perf_counter()
        ingest_paths(ctx, paths, BatchInfo(event="bench"))
        cpu = time.process_time() - own_cpu  # intake (not the wait, the bench's own)
        wait_until_ready(ctx)
        elapsed = time.perf_counter() - started
        cpu += sum(cpu_seconds(pid) - before for pid, before in workers.items())
        peaks = peak_rss_mb(sup.pid)
        from sqlalchemy import func, select

        from dam.models import Asset

        with ctx.catalog.read() as session:
            failed = session.scalar(select(func.count()).where(Asset.state == AssetState.FAILED))
        if failed:
            raise SystemExit(f"{failed} assets failed during the benchmark")
    finally:
        sup.terminate()
        sup.wait(timeout=60)
        ctx.close()
        shutil.rmtree(data, ignore_errors=True)
    return elapsed, peaks, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--prefill", type=int, default=200_000)
    parser.add_argument("--photos", type=Path, default=ROOT / "bench" / "out" / "photos")
    args = parser.parse_args()

    settings = load_settings(env={})
    paths = make_photos(args.photos, args.images)
    mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
    print(
        f"{len(paths)} JPEGs of {WIDTH}x{HEIGHT}, {mb:.1f} MB each; {args.processes} processes",
        file=sys.stderr,
    )
    times: dict[str, list[float]] = {"vips": [], "ours": [], "ours_prefilled": []}
    cpu: dict[str, list[float]] = {"vips": [], "ours": []}
    peaks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="dam-bench-") as tmp:
        workdir = Path(tmp)
        for round_no in range(args.repeat):
            elapsed, used = run_vips(
                paths, args.processes, settings.preview_size, settings.thumbnail_size
            )
            times["vips"].append(elapsed)
            cpu["vips"].append(used)
            elapsed, round_peaks, used = run_ours(paths, args.processes, 0, workdir)
            times["ours"].append(elapsed)
            cpu["ours"].append(used)
            peaks.extend(round_peaks)
            if args.prefill:
                elapsed, round_peaks, _ = run_ours(paths, args.processes, args.prefill, workdir)
                times["ours_prefilled"].append(elapsed)
                peaks.extend(round_peaks)
            print(
                f"round {round_no + 1}: "
                + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items() if v),
                file=sys.stderr,
            )
    med = {k: statistics.median(v) for k, v in times.items() if v}
    result = {
        "benchmark": "ingest",
        "images": len(paths),
        "megapixels": WIDTH * HEIGHT / 1e6,
        "mb_per_image": round(mb, 2),
        "processes": args.processes,
        "repeat": args.repeat,
        "vips_images_per_s": round(len(paths) / med["vips"], 2),
        "ours_images_per_s": round(len(paths) / med["ours"], 2),
        "ratio_ours_vs_vips": round(med["vips"] / med["ours"], 3),
        "peak_rss_mb_per_worker": round(max(peaks), 1) if peaks else None,
        # CPU per image of every process (libvips' pool; intake and the workers): what the
        # ratio would be on idle cores with no waiting, and less sensitive to other load.
        "vips_cpu_ms_per_image": round(statistics.median(cpu["vips"]) / len(paths) * 1000, 1),
        "ours_cpu_ms_per_image": round(statistics.median(cpu["ours"]) / len(paths) * 1000, 1),
    }
    if "ours_prefilled" in med:
        result.update(
            {
                "prefilled_assets": args.prefill,
                "ours_prefilled_images_per_s": round(len(paths) / med["ours_prefilled"], 2),
                "prefilled_slowdown": round(med["ours_prefilled"] / med["ours"] - 1, 3),
            }
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
