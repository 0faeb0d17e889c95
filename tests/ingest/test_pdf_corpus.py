"""The shared corpus's PDFs through the real workers: what the README says is read of a PDF
(pages, Info and XMP: title, author, subject, keywords, creation date; text) as the oracles say."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, MediaType
from ingest.batching import ingest_paths
from ingest.worker import run_workers
from tests.conftest import require_corpus

FOLDER = "pdfs/py-pdf-sample-files"
# Known differences, checked by hand.
DAMAGED = {
    # An invalid secondary xref table: PDFium refuses the file, exiftool reads no page count
    # either; pypdf (the upstream oracle) recovers 4 pages. It ends failed, with the reason.
    "unreadablemetadata.pdf": "damaged or unreadable PDF",
}
ENCRYPTED = {"libreoffice-writer-password.pdf"}
# A sentence from a page deep inside the 117-page book, as the search index will read it.
KNOWN_PAGE_TEXT = ("GeoTopo-komprimiert.pdf", 10, "Sei X eine Menge. Eine Abbildung")


def _oracles(corpus: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    exiftool = {
        Path(o["SourceFile"]).name: o
        for o in json.loads((corpus / "exiftool.json").read_text())
        if o["SourceFile"].startswith(FOLDER)
    }
    upstream = json.loads((corpus / FOLDER / "_upstream_files.json").read_text())["data"]
    return exiftool, {Path(entry["path"]).name: entry for entry in upstream}


def _expected_title(exif: dict[str, Any]) -> str | None:
    return exif.get("PDF:Title") or exif.get("XMP-dc:Title") or None


def _expected_text(exif: dict[str, Any], info: str, xmp: str) -> str | None:
    """The Info dictionary's value, else the XMP one (as exiftool reports them), blank as None."""
    value = exif.get(info) or exif.get(xmp)
    return str(value).strip() or None if value else None


def _expected_created(exif: dict[str, Any]) -> tuple[str, int | None] | None:
    """(local time ISO, UTC offset in minutes) of exiftool's CreateDate (Info, else XMP)."""
    value = exif.get("PDF:CreateDate") or exif.get("XMP-xmp:CreateDate")
    match = re.match(r"(\d{4}):(\d\d):(\d\d) (\d\d:\d\d:\d\d)(Z|([+-])(\d\d):(\d\d))?$",
                     str(value or ""))
    if match is None:
        return None
    when = dt.datetime.fromisoformat(f"{match[1]}-{match[2]}-{match[3]}T{match[4]}").isoformat()
    if match[5] is None:
        return when, None
    if match[5] == "Z":
        return when, 0
    minutes = int(match[7]) * 60 + int(match[8])
    return when, -minutes if match[6] == "-" else minutes


def _check_description(asset: dict[str, Any], exif: dict[str, Any]) -> list[str]:
    problems = []
    for field, info, xmp in (("creator", "PDF:Author", "XMP-dc:Creator"),
                             ("caption", "PDF:Subject", "XMP-dc:Description")):
        want = _expected_text(exif, info, xmp)
        if asset[field] != want:
            problems.append(f"{field} {asset[field]!r} != {want!r}")
    keywords = exif.get("PDF:Keywords") or exif.get("XMP-pdf:Keywords") or []
    keywords = [str(k) for k in keywords] if isinstance(keywords, list) else [
        k.strip() for k in re.split(r"[;,]", str(keywords)) if k.strip()]
    if asset["keywords"] != keywords:
        problems.append(f"keywords {asset['keywords']!r} != {keywords!r}")
    created = _expected_created(exif)
    actual = (asset["taken_at"], asset["taken_at_offset_minutes"]) if asset["taken_at"] else None
    if actual != created:
        problems.append(f"created {actual} != {created}")
    return problems


def _check(asset: dict[str, Any], exif: dict[str, Any], upstream: dict[str, Any]) -> list[str]:
    name = asset["original_filename"]
    if name in DAMAGED:
        ok = asset["state"] == AssetState.FAILED and DAMAGED[name] in (asset["error"] or "")
        return [] if ok else [f"{name}: expected a failure, got {asset['state']}"]
    if asset["state"] != AssetState.READY:
        return [f"{name}: {asset['state']} {asset['error']}"]
    if name in ENCRYPTED:
        ok = asset["is_encrypted"] and asset["document_text"] is None and upstream["encrypted"]
        return [] if ok else [f"{name}: not catalogued as encrypted"]
    problems = []
    pages = exif.get("PDF:PageCount", upstream.get("pages"))
    if asset["page_count"] != pages or asset["page_count"] != upstream["pages"]:
        problems.append(f"pages {asset['page_count']} != {pages} / {upstream['pages']}")
    if asset["headline"] != _expected_title(exif):
        problems.append(f"title {asset['headline']!r} != {_expected_title(exif)!r}")
    if not {"thumbnail", "preview", "page"} <= {r["kind"] for r in asset["renditions"]}:
        problems.append("previews missing")
    problems += _check_description(asset, exif)
    text = asset["document_text"]  # None: no text layer (a scan, a picture)
    if text is not None and len(text.split("\f")) != asset["page_count"]:
        problems.append(f"text of {len(text.split(chr(12)))} pages for {asset['page_count']}")
    return [f"{name}: {p}" for p in problems]


@pytest.mark.corpus
def test_corpus_pdfs_agree_with_the_oracles(ctx: Context) -> None:
    corpus = require_corpus()
    exiftool, upstream = _oracles(corpus)
    report = ingest_paths(ctx, [corpus / FOLDER], BatchInfo(event="corpus"), recursive=True)
    assert run_workers(ctx.settings.replace(job_lease_seconds=30), 2, until_idle=True) == 0
    problems, assets = [], {}
    for result in report.results:
        asset = get_asset(ctx.catalog, result.asset_id)
        assets[asset["original_filename"]] = asset
        if asset["media_type"] == MediaType.DOCUMENT:
            name = asset["original_filename"]
            problems += _check(asset, exiftool[name], upstream[name])
    assert not problems, "\n".join(problems)
    assert len([a for a in assets.values() if a["media_type"] == MediaType.DOCUMENT]) == 16

    name, page, sentence = KNOWN_PAGE_TEXT
    book = assets[name]
    text_pages = book["document_text"].split("\f")
    assert len(text_pages) == 117 and sentence in text_pages[page - 1]
    assert book["keywords"] == ["Geometrie", "Topologie"] and book["creator"] == "Martin Thoma"
