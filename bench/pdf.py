"""Benchmark: PDF pages per second for text and for page-1 thumbnails, over the corpus PDFs.

For every readable PDF of ``../shared/corpus/pdfs`` (or --folder), repeated --repeat times:

* ``text``: open the document and extract the text of every page, as the worker's first PDF
  step does (``read_pdf``, in-process) -> pages per second over all pages;
* ``page1``: open, render page 1 at preview size (1440 px) and make the preview and thumbnail
  JPEGs -> documents (first pages) per second;
* ``pages``: a 1440 px preview of every page (up to the cap of 50) -> pages per second;
* ``pictures``: the perceptual hash of every embedded picture -> pages per second;
* ``step_overhead_ms``: what running a step in a forked child with limits adds (median).

Prints a table, then one JSON object on the last line.
Usage: python bench/pdf.py [--folder ../shared/corpus/pdfs] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dam.config import load_settings  # noqa: E402
from dam.errors import IngestError  # noqa: E402
from ingest.pdf import hash_pdf_images, open_pdf, read_pdf, render_page, render_pdf  # noqa: E402
from ingest.sandbox import run_limited  # noqa: E402
from ingest.stills import sized_renditions  # noqa: E402


def readable(folder: Path) -> list[tuple[Path, int]]:
    found = []
    for path in sorted(folder.rglob("*.pdf")):
        try:
            pdf = open_pdf(str(path))
        except (IngestError, PermissionError):
            continue
        found.append((path, len(pdf)))
        pdf.close()
    return found


def page_one(path: Path) -> None:
    pdf = open_pdf(str(path))
    try:
        image = render_page(pdf, 0, 1440)
        sized_renditions(image, {"preview": 1440, "thumbnail": 400}, "jpeg", 82)
    finally:
        pdf.close()


def timed(func, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    func(*args, **kwargs)
    return time.perf_counter() - started


def _noop() -> int:
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(ROOT.parent / "shared" / "corpus" / "pdfs"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings(env={})
    docs = readable(Path(args.folder))
    pages = sum(count for _path, count in docs)
    rendered = sum(min(count, settings.pdf_page_preview_cap) for _path, count in docs)
    totals = {"text": [], "page1": [], "pages": [], "pictures": []}  # type: ignore[var-annotated]
    for _ in range(args.repeat):
        text = pictures = page1 = previews = 0.0
        for path, _count in docs:
            text += timed(read_pdf, str(path), settings.pdf_text_max_chars, 600)
            page1 += timed(page_one, path)
            previews += timed(render_pdf, str(path), settings)
            pictures += timed(hash_pdf_images, str(path), 400, settings.max_image_pixels)
        totals["text"].append(pages / text)
        totals["page1"].append(len(docs) / page1)
        totals["pages"].append(rendered / previews)
        totals["pictures"].append(pages / pictures)
    overhead = [
        timed(run_limited, _noop, label="noop", timeout=10, memory_mb=512) * 1000 for _ in range(20)
    ]
    result = {
        "documents": len(docs),
        "pages": pages,
        "text_pages_per_s": round(statistics.median(totals["text"]), 1),
        "page1_thumbnails_per_s": round(statistics.median(totals["page1"]), 1),
        "page_previews_per_s": round(statistics.median(totals["pages"]), 1),
        "picture_hash_pages_per_s": round(statistics.median(totals["pictures"]), 1),
        "step_overhead_ms": round(statistics.median(overhead), 1),
    }
    for key, value in result.items():
        print(f"{key:>26}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
