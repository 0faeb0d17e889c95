"""Benchmark: `dam handover export` and `verify` of N generated assets, against a plain copy.

Generates N originals (random bytes, ``--size-kb`` each, so nothing compresses or dedups) in a
local store and a fresh SQLite catalog, then, in the same run: copies the originals folder with
``cp -r`` (the reference), exports the handover bag and verifies it (each in a child process,
so its peak memory is its own). Export throughput is the originals' bytes over the export's
wall time; ``ratio`` is that over the plain copy's (target >= 0.7). Peak memory is measured
at N/4 and N assets too, to show whether it grows with the number of assets (target < 300 MB,
flat).

    python bench/handover.py [--assets 10000] [--size-kb 300] [--keep DIR]

Prints a line per step and one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from dam.config import load_settings  # noqa: E402
from dam.context import open_context  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.models import Asset, Batch  # noqa: E402
from storage.keys import original_key  # noqa: E402

EVENTS = ["Jornada de salud", "Entrega de becas", "Recorrido de obra", "Festival cultural",
          "Sesión de cabildo", "Mercado sobre ruedas"]


def settings_for(base: Path):  # type: ignore[no-untyped-def]
    return load_settings(env={}, base_dir=base, data_dir=str(base / "var"))


def generate(base: Path, n: int, size: int) -> int:
    """N originals of ``size`` random bytes in the store, and their catalog rows."""
    import hashlib

    settings = settings_for(base)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    ctx = open_context(settings)
    rng = random.Random(17)
    rows, total = [], 0
    with catalog.write() as session:
        session.add(Batch(id=1, event="Banco de pruebas"))
    for i in range(1, n + 1):
        data = rng.randbytes(size)
        sha = hashlib.sha256(data).hexdigest()
        ctx.store.put_bytes(original_key(sha), data)
        day = dt.datetime(2025, 1, 1) + dt.timedelta(hours=7 * i)
        rows.append({"id": i, "sha256": sha, "byte_size": size, "mime_type": "image/jpeg",
                     "media_type": "photo", "original_filename": f"IMG_{i % 997:04d}.JPG",
                     "original_key": original_key(sha), "batch_id": 1, "state": "ready",
                     "taken_at": day, "event": EVENTS[i % len(EVENTS)], "keywords": ["prueba"],
                     "caption": f"Fotografía {i} del banco de pruebas", "persons_shown": [],
                     "metadata_json": {}, "edited_fields": []})
        total += size
        if len(rows) == 1000 or i == n:
            with catalog.write() as session:
                session.execute(insert(Asset), rows)
            rows = []
    ctx.close()
    catalog.dispose()
    return total


def child(mode: str, base: Path, target: Path) -> None:
    """Run one export or verify and print its time and peak memory (the parent reads it)."""
    started = time.perf_counter()
    from handover.export import ExportOptions, export_bag
    from handover.verify import verify_bag

    ctx = open_context(settings_for(base))
    working = time.perf_counter()
    if mode == "export":
        summary = export_bag(ctx, target, ExportOptions(made_by="bench"))
        extra = {"files": summary.files, "bytes": summary.bytes}
    else:
        report = verify_bag(target)
        extra = {"problems": len(report.problems)}
    ctx.close()
    done = time.perf_counter()
    elapsed = done - started
    extra["work_seconds"] = done - working  # without the start-up (imports, opening)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak, **extra}))


def run_child(mode: str, base: Path, target: Path) -> dict[str, float]:
    os.sync()
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(base), str(target)],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def plain_copy(base: Path, dest: Path) -> float:
    os.sync()  # each timed step starts with no dirty pages of the previous one to write back
    started = time.perf_counter()
    subprocess.run(["cp", "-r", str(base / "var" / "store" / "originals"), str(dest)],
                   check=True)
    return time.perf_counter() - started


def measure(work: Path, n: int, size: int) -> dict[str, object]:
    base = work / f"acervo-{n}"
    total = generate(base, n, size)
    print(f"{n} assets, {total / 1e6:.0f} MB generated", flush=True)
    # The copy runs before and after the export (the store is read warm both times); the
    # faster of the two is the reference.
    first = plain_copy(base, work / f"copia-{n}")
    exp = run_child("export", base, work / f"bolsa-{n}")
    shutil.rmtree(work / f"copia-{n}")
    copy_s = min(first, plain_copy(base, work / f"copia-{n}"))
    print(f"cp -r: {copy_s:.2f} s ({total / copy_s / 1e6:.0f} MB/s)", flush=True)
    print(f"export: {exp['seconds']:.2f} s ({total / exp['seconds'] / 1e6:.0f} MB/s; "
          f"{exp['work_seconds']:.2f} s without start-up), "
          f"peak {exp['peak_mb']:.0f} MB", flush=True)
    ver = run_child("verify", base, work / f"bolsa-{n}")
    print(f"verify: {ver['seconds']:.2f} s, peak {ver['peak_mb']:.0f} MB, "
          f"{ver['problems']} problems", flush=True)
    shutil.rmtree(work / f"copia-{n}")
    return {"assets": n, "bytes": total, "copy_s": round(copy_s, 3),
            "export_s": round(exp["seconds"], 3), "verify_s": round(ver["seconds"], 3),
            "copy_mb_s": round(total / copy_s / 1e6, 1),
            "export_mb_s": round(total / exp["seconds"] / 1e6, 1),
            "verify_mb_s": round(total / ver["seconds"] / 1e6, 1),
            "ratio": round(copy_s / exp["seconds"], 3),
            "ratio_without_startup": round(copy_s / exp["work_seconds"], 3),
            "export_peak_mb": round(exp["peak_mb"], 1), "verify_peak_mb": round(ver["peak_mb"], 1),
            "verify_problems": ver["problems"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--size-kb", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="Work in DIR and keep it.")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="acervo-bench-handover-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        small = measure(work, max(1, args.assets // 4), args.size_kb * 1024)
        full = measure(work, args.assets, args.size_kb * 1024)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result = {"bench": "handover", **full, "peak_mb_at_quarter": small["export_peak_mb"],
              "verify_peak_mb_at_quarter": small["verify_peak_mb"],
              "ratio_at_quarter": small["ratio"], "load_average": os.getloadavg()[0],
              "targets": {"ratio": 0.7, "peak_mb": 300}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
