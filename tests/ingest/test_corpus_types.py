"""Per type, what the README's "Supported file types" table promises is read, checked on the corpus.

Each kind of file in the shared corpus is mapped to its README row, and each item of that row's
"Read" column to the corpus test that asserts it against exiftool's or ffprobe's reference
output. A README row that promises more, or a new kind of file in the corpus, fails here until a
test checks it. The checks that no other corpus test makes (a TIFF's page count) are here too.
"""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from typing import Any

import pytest

from ingest.renditions import make_photo_renditions
from ingest.sniff import sniff_file
from tests.conftest import CORPUS, ROOT, require_corpus

pytestmark = pytest.mark.corpus

FOLDERS = ("photos", "iptc", "videos", "pdfs")  # bad/ holds damaged files of these types
# exiftool's FileType -> the README row.
ROW_OF_TYPE = {
    "JPEG": "JPEG (also MPO, Ultra HDR)",
    "TIFF": "TIFF",
    "HEIC": "HEIC / HEIF",
    "HEIF": "HEIC / HEIF",
    "AVIF": "AVIF",
    "JXL": "JPEG XL",
    "DNG": "Camera RAW (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2)",
    "ARW": "Camera RAW (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2)",
    "MP4": "MP4 / MOV / M4V / 3GP",
    "MOV": "MP4 / MOV / M4V / 3GP",
    "3GP": "MP4 / MOV / M4V / 3GP",
    "PDF": "PDF",
}
PHOTO_FIELDS = "tests.ingest.test_metadata_corpus::test_fields_match_exiftool"
PHOTO_TEXT = "tests.ingest.test_metadata_corpus::test_iptc_and_xmp_text_match_exiftool"
PHOTO_SIZE = "tests.ingest.test_renditions_corpus::test_every_corpus_photo_renders"
VIDEO = "tests.ingest.test_video_corpus::test_corpus_videos_agree_with_ffprobe_and_exiftool"
PDF = "tests.ingest.test_pdf_corpus::test_corpus_pdfs_agree_with_the_oracles"
# README "Read" item -> the test asserting it against the corpus's reference values.
ASSERTED_BY = {
    "size": PHOTO_SIZE,  # and width/height in PHOTO_FIELDS
    "developed size": PHOTO_SIZE,  # LibRaw's developed size is exiftool's ImageSize
    "EXIF": PHOTO_FIELDS,  # date and offset, make, model, orientation, GPS
    "IPTC-IIM": PHOTO_TEXT,
    "IPTC": PHOTO_TEXT,
    "XMP": PHOTO_TEXT,  # and XMP dates and zones in PHOTO_FIELDS
    "irot/imir": PHOTO_FIELDS,  # orientation
    "page count": "tests.ingest.test_corpus_types::test_tiff_page_count_is_exiftools_ifd_count",
    "duration": VIDEO,
    "codecs": VIDEO,  # video and audio
    "date": VIDEO,
    "GPS": VIDEO,
    "pages": PDF,
    "Info": PDF,  # title, author, subject, keywords, creation date
    "text": PDF,  # of every page
}


@cache
def _exiftool() -> dict[str, dict[str, Any]]:
    entries = json.loads((CORPUS / "exiftool.json").read_text(encoding="utf-8"))
    return {entry["SourceFile"]: entry for entry in entries}


def _read_column() -> dict[str, list[str]]:
    """The README's table: type -> the items of its "Read" column."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Supported file types", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] != "Type" and not re.match(r"^-+$", cells[0]):
            items = re.sub(r"\([^)]*\)", "", cells[1]).split(",")  # "date (AVCHD MDPM)": date
            rows[cells[0]] = [item.strip() for item in items if item.strip() not in ("", "-")]
    return rows


def _test_exists(reference: str) -> bool:
    module, name = reference.split("::")
    return callable(getattr(importlib.import_module(module), name, None))


def test_every_corpus_type_has_what_its_row_promises_asserted() -> None:
    require_corpus()
    rows = _read_column()
    types = {entry.get("File:FileType") for path, entry in _exiftool().items()
             if path.split("/", 1)[0] in FOLDERS}
    unmapped = types - set(ROW_OF_TYPE)
    assert not unmapped, f"corpus types without a README row here: {unmapped}"
    for file_type in sorted(types):
        row = ROW_OF_TYPE[file_type]
        assert row in rows, f"{file_type}: no README row {row!r}"
        unchecked = [item for item in rows[row] if item not in ASSERTED_BY]
        assert not unchecked, f"{row}: the README promises {unchecked}, no corpus test checks it"
    assert all(_test_exists(reference) for reference in set(ASSERTED_BY.values()))


def _tiffs() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(path for path, entry in _exiftool().items()
                  if entry.get("File:FileType") == "TIFF" and "IFD0:ImageWidth" in entry
                  and (path.startswith("photos/") or path.endswith("total-pages-zero.tif")))


@pytest.mark.parametrize("relative", _tiffs() or [pytest.param("", marks=pytest.mark.skip(
    reason=f"the shared corpus is not at {CORPUS}"))])
def test_tiff_page_count_is_exiftools_ifd_count(relative: str) -> None:
    """A TIFF's pages are its chain of IFDs (exiftool's IFD0, IFD1, ...), the first rendered."""
    entry = _exiftool()[relative]
    ifds = {key.split(":", 1)[0] for key in entry if re.match(r"IFD\d+:", key)}
    path = CORPUS / relative
    rendered = make_photo_renditions(path, sniff_file(path).mime_type, {"preview": 400})
    assert rendered.pages == len(ifds), relative
    assert (rendered.source_width, rendered.source_height) == (
        entry["IFD0:ImageWidth"], entry["IFD0:ImageHeight"])
