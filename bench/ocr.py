"""Benchmark: OCR of scanned pages, against the ``tesseract`` command, and photos during OCR.

1. Throughput. ``--pages`` A4 pages at 300 dpi (2480x3508, two columns of 10 pt Spanish text,
   slightly tilted like a real scan) are made once. The reference is Debian's ``tesseract``
   command on the same pages as PNG files (``-l spa``, TSV output: words with boxes, as we keep),
   ``--processes`` at a time with ``OMP_THREAD_LIMIT=1``. Ours is the whole path: the pages as
   one scanned PDF, intake, the processing job, the OCR jobs in ``--processes`` workers of a
   real ``dam worker`` (render at 300 dpi, orientation, deskew, recognition, words and boxes
   into the catalog), then the search index brought up to date and asked for a word of the
   last page. Pages per minute each, and ours over the command's (target >= 0.9), timed from
   the end of the processing job (page previews, pictures' hashes: not OCR) to the last page
   searchable; ``ratio_from_intake`` times the whole path from intake.
2. Photos during OCR. ``--photos`` camera-sized JPEGs are ingested into an idle archive, and
   again while the workers read a ``--gaceta``-page scanned gaceta: seconds until all photos are
   ready, and the slowest photo's wait, both times.

Prints a table, then one JSON object on the last line (medians over ``--repeat`` rounds).
Usage: python bench/ocr.py [--pages 8] [--processes 2] [--gaceta 100] [--photos 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from dam.catalog import BatchInfo  # noqa: E402
from dam.config import load_settings  # noqa: E402
from dam.context import open_context  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.enums import AssetState, MediaType, OcrState  # noqa: E402
from dam.models import Asset, OcrPage  # noqa: E402

DAM = str(Path(sys.executable).with_name("dam"))
A4 = (2480, 3508)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SENTENCES = [
    "La Alcaldía Iztapalapa inauguró el mercado de Santa Cruz Meyehualco.",
    "Las niñas y los niños del Peñón del Marqués recibieron útiles escolares.",
    "La jornada de salud atendió a más de mil personas en la explanada.",
    "Habrá vacunación gratuita el próximo miércoles en la colonia Xalpa.",
    "La dirección territorial rehabilitó la red de agua potable de la unidad habitacional.",
    "Se entregaron becas a estudiantes de secundaria y preparatoria de la demarcación.",
    "El programa de mejoramiento barrial pintó fachadas y luminarias en Santa Catarina.",
    "Protección Civil revisó los inmuebles dañados tras el sismo de septiembre.",
    "La campaña de difusión invita a separar los residuos orgánicos e inorgánicos.",
    "Vecinas y vecinos participaron en la asamblea comunitaria del barrio de San Lucas.",
]
LAST_PAGE_WORD = "Quetzalcóatl"


def make_page(number: int) -> object:
    """One A4 page at 300 dpi: two columns of 10 pt text, tilted 0.7 degrees."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(number)
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 42)  # 10 pt at 300 dpi
    margin, gutter = 240, 90
    width = (A4[0] - 2 * margin - gutter) // 2
    for column in range(2):
        words = " ".join(rng.choice(SENTENCES) for _ in range(28))
        if number and column == 1:
            words += f" {LAST_PAGE_WORD} {number}."
        y = margin
        for line in textwrap.wrap(words, 46):
            draw.text((margin + column * (width + gutter), y), line, font=font, fill=0)
            y += 62
            if y > A4[1] - margin:
                break
    return page.rotate(0.7, fillcolor=255)


def make_pages(folder: Path, count: int) -> tuple[list[Path], Path]:
    """PNG files of ``count`` pages and one scanned PDF of the same pages (no text layer)."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = [make_page(i + 1) for i in range(count)]
    pngs = []
    for i, page in enumerate(pages):
        path = folder / f"pagina_{i + 1:03}.png"
        page.save(path)
        pngs.append(path)
    pdf = folder / f"gaceta_{count}.pdf"
    first, *rest = pages
    first.save(pdf, "PDF", save_all=True, append_images=rest, resolution=300)
    return pngs, pdf


def run_tesseract(pngs: list[Path], processes: int, out: Path) -> float:
    """Seconds for the ``tesseract`` command to read every page, ``processes`` at a time."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(png: Path) -> None:
        subprocess.run(["tesseract", str(png), str(out / png.stem), "-l", "spa", "tsv"],
                       check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    started = time.perf_counter()
    with ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, pngs))
    return time.perf_counter() - started


class Archive:
    """A fresh data folder with a real ``dam worker`` of ``processes`` processes."""

    def __init__(self, workdir: Path, processes: int) -> None:
        self.data = workdir / f"var_{secrets.token_hex(3)}"
        self.settings = load_settings(env={}, base_dir=workdir, data_dir=str(self.data),
                                      workers=processes)
        catalog = Catalog(self.settings.catalog_url)
        migrate(catalog)
        catalog.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAM_")}
        env.update(DAM_DATA_DIR=str(self.data), DAM_WORKERS=str(processes))
        self.worker = subprocess.Popen([DAM, "worker"], env=env, cwd=workdir)
        self.ctx = open_context(self.settings)
        time.sleep(3)  # the worker processes start and import (not part of the per-page cost)

    def ingest(self, paths: list[Path]) -> list[int]:
        from ingest.batching import ingest_paths

        report = ingest_paths(self.ctx, paths, BatchInfo(event="bench"))
        return [r.asset_id for r in report.results if r.asset_id]

    def scalar(self, query: object) -> int:
        with self.ctx.catalog.read() as session:
            return session.scalar(query) or 0

    def wait(self, condition: object, every: float = 0.05) -> None:
        while self.scalar(condition):
            time.sleep(every)

    def close(self) -> None:
        self.worker.terminate()
        try:
            self.worker.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a page in hand: its workers die with the supervisor
            self.worker.kill()
            self.worker.wait(timeout=60)
        self.ctx.close()
        shutil.rmtree(self.data, ignore_errors=True)


UNFINISHED_ASSETS = select(func.count()).select_from(Asset).where(
    Asset.state.in_([AssetState.PENDING, AssetState.PROCESSING]))
UNREAD_PAGES = select(func.count()).select_from(OcrPage).where(
    OcrPage.state.in_([OcrState.QUEUED, OcrState.RUNNING]))


def run_ours(pdf: Path, pages: int, processes: int, workdir: Path) -> tuple[float, float]:
    """Seconds from the processing job's end (the OCR jobs queued) to the last page searchable,
    and from intake to the same moment, through the real workers."""
    from dam.search.service import SearchService

    archive = Archive(workdir, processes)
    try:
        started = time.perf_counter()
        (asset_id,) = archive.ingest([pdf])
        archive.wait(UNFINISHED_ASSETS, every=0.01)
        ocr_started = time.perf_counter()
        archive.wait(UNREAD_PAGES)
        service = SearchService(archive.settings, archive.ctx.catalog)
        try:
            service.sync()
            found = service.search(f"{LAST_PAGE_WORD} {pages}")
        finally:
            service.close()
        finished = time.perf_counter()
        read = archive.scalar(select(func.count()).select_from(OcrPage).where(
            OcrPage.asset_id == asset_id, OcrPage.state == OcrState.DONE))
        if read != pages or [h.asset_id for h in found.hits] != [asset_id]:
            raise SystemExit(f"OCR incomplete: {read} of {pages} pages, hits {found.hits}")
        return finished - ocr_started, finished - started
    finally:
        archive.close()


def make_photos(folder: Path, count: int) -> list[Path]:
    """Camera-sized JPEGs (4000x3000) of smooth colour and noise."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        rng = np.random.default_rng(i)
        y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
        base = np.stack([128 + 100 * np.sin(x / (600 + 31 * i)), 128 + 90 * np.cos(y / 500),
                         128 + 80 * np.sin((x + y) / 800)], axis=-1)
        base += rng.normal(0, 10, size=base.shape).astype(np.float32)
        path = folder / f"foto_{i:03}.jpg"
        Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def photo_round(photos: list[Path], processes: int, workdir: Path, gaceta: Path | None
                ) -> dict[str, float]:
    """Photos ingested into an idle archive, or while the workers read ``gaceta``."""
    archive = Archive(workdir, processes)
    try:
        warm = photos[0].with_name("calentar.jpg")  # both rounds start with workers that ran
        shutil.copyfile(photos[-1], warm)
        with open(warm, "ab") as handle:
            handle.write(b"\0")  # another file (SHA-256), the same picture
        archive.ingest([warm])
        archive.wait(UNFINISHED_ASSETS)
        if gaceta is not None:
            archive.ingest([gaceta])
            archive.wait(UNFINISHED_ASSETS)
            running = select(func.count()).select_from(OcrPage).where(
                OcrPage.state == OcrState.RUNNING)
            while not archive.scalar(running):  # both workers busy reading pages
                time.sleep(0.05)
            time.sleep(1.0)
        started = time.perf_counter()
        ids = archive.ingest(photos)
        archive.wait(select(func.count()).select_from(Asset).where(
            Asset.id.in_(ids), Asset.state.in_([AssetState.PENDING, AssetState.PROCESSING])))
        elapsed = time.perf_counter() - started
        with archive.ctx.catalog.read() as session:
            waits = [(done - made).total_seconds() for made, done in session.execute(
                select(Asset.created_at, Asset.processed_at).where(
                    Asset.id.in_(ids), Asset.media_type == MediaType.PHOTO))]
        result = {"seconds": elapsed, "slowest_wait": max(waits)}
        if gaceta is not None:
            result["pages_waiting_after"] = archive.scalar(UNREAD_PAGES)
        return result
    finally:
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=8, help="pages (0: skip part 1)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--gaceta", type=int, default=100, help="pages (0: skip part 2)")
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="folder to keep the generated pages in")
    args = parser.parse_args()
    if shutil.which("tesseract") is None:
        raise SystemExit("the tesseract command is needed (apt install tesseract-ocr-spa)")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="acervo-bench-ocr-"))
    result: dict[str, object] = {"processes": args.processes, "repeat": args.repeat,
                                 "load_average": round(os.getloadavg()[0], 1)}
    if args.pages:
        result.update(throughput(args, workdir))
    if args.gaceta:
        _, gaceta = make_pages(workdir / "gaceta", args.gaceta)
        photos = make_photos(workdir / "fotos", args.photos)
        idle = photo_round(photos, args.processes, workdir, None)
        busy = photo_round(photos, args.processes, workdir, gaceta)
        result["photos"] = {"count": args.photos, "idle": idle, "during_ocr": busy,
                            "ratio_seconds": round(busy["seconds"] / idle["seconds"], 3)}
        print(f"{args.photos} photos: idle {idle['seconds']:.1f} s (slowest wait "
              f"{idle['slowest_wait']:.1f} s); during the OCR of a {args.gaceta}-page gaceta "
              f"{busy['seconds']:.1f} s (slowest wait {busy['slowest_wait']:.1f} s)")
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))


def throughput(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    """Part 1: pages per minute, ours and the command's, interleaved rounds."""
    pngs, pdf = make_pages(workdir / "paginas", args.pages)
    ours, whole, theirs = [], [], []
    for _ in range(args.repeat):  # interleaved, so both meet the same machine
        theirs.append(run_tesseract(pngs, args.processes, workdir / "tsv"))
        ocr_seconds, whole_seconds = run_ours(pdf, args.pages, args.processes, workdir)
        ours.append(ocr_seconds)
        whole.append(whole_seconds)
    per_minute = {"ours": 60 * args.pages / statistics.median(ours),
                  "whole": 60 * args.pages / statistics.median(whole),
                  "tesseract": 60 * args.pages / statistics.median(theirs)}
    result: dict[str, object] = {
        "pages": args.pages,
        "pages_per_minute": round(per_minute["ours"], 2),
        "pages_per_minute_from_intake": round(per_minute["whole"], 2),
        "tesseract_pages_per_minute": round(per_minute["tesseract"], 2),
        "ratio": round(per_minute["ours"] / per_minute["tesseract"], 3),
        "ratio_from_intake": round(per_minute["whole"] / per_minute["tesseract"], 3),
        "seconds_ours": [round(s, 2) for s in ours],
        "seconds_from_intake": [round(s, 2) for s in whole],
        "seconds_tesseract": [round(s, 2) for s in theirs],
    }
    print(f"{'':40} {'pages/min':>10}")
    print(f"{'tesseract command':40} {per_minute['tesseract']:10.2f}")
    print(f"{'Acervo OCR jobs, to searchable':40} {per_minute['ours']:10.2f}")
    print(f"{'Acervo from intake (previews too)':40} {per_minute['whole']:10.2f}")
    print(f"ratio {result['ratio']} (target >= 0.9); from intake {result['ratio_from_intake']}")
    return result


if __name__ == "__main__":
    main()
