"""Benchmark: publishing the public gallery (``publico`` profile, two sizes, C2PA signed).

Builds a temporary catalog of N approved photos (3000x2000 JPEGs with EXIF and GPS). They are
inserted directly as Asset rows plus originals in the local store (not through the ingest
pipeline, which bench/ingest.py measures): 20 distinct pictures, each stored N/20 times with a
different JPEG comment so every original has its own SHA-256. One published album holds them.

Measured, in this order:

* ``full``: the first publication into an empty folder target (every photo encoded at both
  sizes, signed, pages rendered, manifest signed, release switched);
* ``unchanged``: publishing again with nothing changed (median of --repeat);
* ``one_caption``: publishing again after one photo's caption changed (median of --repeat;
  target: under 5 s);
* ``reference``: plain Pillow on a sample of the same originals, decode + resize to both sizes
  + JPEG encode, in as many processes as the publication uses, so the ratio carries across
  machines.

Prints a line per measure, then one JSON object on the last line.
Usage: python bench/publish.py [--photos 1000] [--repeat 3] [--sample 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dam import changes  # noqa: E402
from dam.config import load_settings  # noqa: E402
from dam.context import Context, open_context  # noqa: E402
from dam.curation.actor import SYSTEM  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.enums import AssetState, CollectionKind, MediaType, WorkflowState  # noqa: E402
from dam.models import Asset, Collection, CollectionItem  # noqa: E402
from publish.gallery.build import publish_gallery  # noqa: E402
from publish.keys import init_keys  # noqa: E402
from storage.keys import original_key  # noqa: E402

WIDTH, HEIGHT = 3000, 2000
DISTINCT = 20
SIZES = (1600, 800)


def base_photos() -> list[bytes]:
    """Photo-like JPEGs (gradients, colour blobs, noise) with camera EXIF and a GPS position."""
    import numpy as np
    from PIL import Image

    photos = []
    for i in range(DISTINCT):
        rng = np.random.default_rng(i)
        y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        base = np.stack([x / WIDTH * 200, y / HEIGHT * 180, (x + y) / (WIDTH + HEIGHT) * 160], -1)
        for _ in range(6):
            cx, cy, r = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(100, 600)
            mask = ((x - cx) ** 2 + (y - cy) ** 2) < r * r
            base[mask] = rng.uniform(0, 255, 3)
        base += rng.normal(0, 6, base.shape)
        image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", (19.0, 21.0, 26.6), "W", (99.0, 4.0, 1.6)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90, exif=exif)
        photos.append(out.getvalue())
    return photos


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment after SOI (new bytes, same pixels)."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def make_catalog(folder: Path, count: int) -> Context:
    settings = load_settings(env={}, base_dir=folder, data_dir=str(folder / "var"), workers=2)
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    catalog.dispose()
    init_keys(settings)
    ctx = open_context(settings)
    bases = base_photos()
    taken = dt.datetime(2025, 3, 14, 11, 30)
    with ctx.catalog.write() as session:
        album = Collection(kind=CollectionKind.ALBUM, title="Benchmark", slug="benchmark",
                           published_at=dt.datetime(2025, 3, 15, tzinfo=dt.UTC))
        session.add(album)
        session.flush()
        for n in range(count):
            data = with_comment(bases[n % DISTINCT], f"acervo-bench-{n}")
            sha = hashlib.sha256(data).hexdigest()
            ctx.store.put_bytes(original_key(sha), data, content_type="image/jpeg")
            asset = Asset(
                sha256=sha, media_type=MediaType.PHOTO, mime_type="image/jpeg",
                byte_size=len(data), original_filename=f"foto_{n:04}.jpg",
                original_key=original_key(sha), state=AssetState.READY, width=WIDTH,
                height=HEIGHT, caption=f"Foto {n} de la jornada", creator="Ana Peña",
                city="Iztapalapa", sublocation="Santa Cruz Meyehualco", taken_at=taken,
                gps_latitude=19.357, gps_longitude=-99.067, camera_make="Canon",
                workflow_state=WorkflowState.APPROVED)
            session.add(asset)
            session.flush()
            changes.record(session, [asset.id], "created")
            session.add(CollectionItem(collection_id=album.id, asset_id=asset.id, position=n))
    return ctx


def _reference_one(data: bytes) -> int:
    from PIL import Image

    written = 0
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        for size in SIZES:
            scale = size / max(image.size)
            small = image.resize((round(image.width * scale), round(image.height * scale)),
                                 Image.Resampling.LANCZOS)
            out = io.BytesIO()
            small.save(out, "JPEG", quality=82, optimize=True, progressive=True)
            written += out.tell()
    return written


def reference(ctx: Context, sample: int, processes: int) -> float:
    """Photos per second of plain Pillow on ``sample`` of the originals."""
    from sqlalchemy import select

    with ctx.catalog.read() as session:
        keys = list(session.scalars(select(Asset.original_key).limit(sample)))
    originals = [ctx.store.read_bytes(k) for k in keys]
    started = time.perf_counter()
    with mp.get_context("forkserver").Pool(processes) as pool:
        pool.map(_reference_one, originals, chunksize=4)
    return len(originals) / (time.perf_counter() - started)


def timed_publish(ctx: Context, target: Path) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    result = publish_gallery(ctx, SYSTEM, target=str(target))
    return time.perf_counter() - started, result.to_json()


def change_caption(ctx: Context, asset_id: int, text: str) -> None:
    with ctx.catalog.write() as session:
        session.get(Asset, asset_id).caption = text
        changes.record(session, [asset_id], "updated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="acervo-bench-publish-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        ctx = make_catalog(folder, args.photos)
        print(f"catalog of {args.photos} photos made in {time.perf_counter() - started:.1f} s")
        target = folder / "galeria"
        full, stats = timed_publish(ctx, target)
        print(f"full publish: {full:.1f} s ({args.photos / full:.2f} photos/s), "
              f"{stats['written']} files written")
        unchanged = []
        for _ in range(args.repeat):
            seconds, stats = timed_publish(ctx, target)
            assert stats["written"] == 0, stats
            unchanged.append(seconds)
        print(f"re-publish, nothing changed: {statistics.median(unchanged):.2f} s")
        one = []
        for n in range(args.repeat):
            change_caption(ctx, 1 + n, f"Pie de foto corregido {n}")
            seconds, stats = timed_publish(ctx, target)
            assert stats["encoded"] == 1, stats
            one.append(seconds)
        print(f"re-publish, one caption changed: {statistics.median(one):.2f} s "
              f"({stats['written']} files written)")
        processes = ctx.settings.workers
        ref = reference(ctx, min(args.sample, args.photos), processes)
        print(f"reference (Pillow decode+resize+encode, {processes} processes): "
              f"{ref:.2f} photos/s")
        ctx.close()
    rate = args.photos / full
    print(json.dumps({
        "photos": args.photos, "processes": processes, "full_seconds": round(full, 2),
        "photos_per_second": round(rate, 2),
        "unchanged_seconds_median": round(statistics.median(unchanged), 3),
        "one_caption_seconds_median": round(statistics.median(one), 3),
        "reference_photos_per_second": round(ref, 2),
        "ratio_to_reference": round(rate / ref, 3),
    }))


if __name__ == "__main__":
    main()
