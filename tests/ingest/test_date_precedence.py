"""The capture-date precedence table (README, Metadata): each row wins over every row below it,
and a date without a time never beats a date with one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.ingest.test_metadata import app13, exif_with, extract, iim, write_jpeg, xmp_packet

# (source, how the test writes it, the moment it gives)
ROWS: list[tuple[str, dict[str, object], dt.datetime]] = [
    ("EXIF DateTimeOriginal", {"exif": {0x9003: "2024:01:01 08:00:00"}},
     dt.datetime(2024, 1, 1, 8)),
    ("XMP exif:DateTimeOriginal", {"xmp": "<exif:DateTimeOriginal>2024-01-02T08:00:00"
                                          "</exif:DateTimeOriginal>"}, dt.datetime(2024, 1, 2, 8)),
    ("XMP photoshop:DateCreated", {"xmp": "<photoshop:DateCreated>2024-01-03T08:00:00"
                                          "</photoshop:DateCreated>"}, dt.datetime(2024, 1, 3, 8)),
    ("IIM DateCreated + TimeCreated", {"iim": [(2, 55, b"20240104"), (2, 60, b"080000")]},
     dt.datetime(2024, 1, 4, 8)),
    ("EXIF DateTimeDigitized", {"exif": {0x9004: "2024:01:05 08:00:00"}},
     dt.datetime(2024, 1, 5, 8)),
    ("XMP xmp:CreateDate", {"xmp": "<xmp:CreateDate>2024-01-06T08:00:00</xmp:CreateDate>"},
     dt.datetime(2024, 1, 6, 8)),
]
DATE_ONLY = [
    ("XMP photoshop:DateCreated (date only)",
     {"xmp": "<photoshop:DateCreated>2024-02-01</photoshop:DateCreated>"}, dt.datetime(2024, 2, 1)),
    ("IIM DateCreated (date only)", {"iim": [(2, 55, b"20240202")]}, dt.datetime(2024, 2, 2)),
]


def _write(path: Path, rows: list[tuple[str, dict[str, object], dt.datetime]]) -> Path:
    exif: dict[int, object] = {}
    xmp, datasets = "", []
    for _name, parts, _when in rows:
        exif.update(parts.get("exif", {}))  # type: ignore[arg-type]
        xmp += str(parts.get("xmp", ""))
        datasets += parts.get("iim", [])  # type: ignore[operator]
    return write_jpeg(path, exif=exif_with(exif=exif) if exif else None,
                      xmp=xmp_packet(xmp) if xmp else None,
                      segments=app13(iim(*datasets)) if datasets else b"")


SAME_FIELD = {0: 2, 1: 3}  # DATE_ONLY[i] is the field of ROWS[SAME_FIELD[i]] without a time


@pytest.mark.parametrize("index", range(len(ROWS)))
def test_each_row_beats_every_row_below(tmp_path: Path, index: int) -> None:
    """Below it: every lower row, and the date-only fields a file may hold beside them."""
    dates = [row for i, row in enumerate(DATE_ONLY) if SAME_FIELD[i] < index]
    rows = ROWS[index:] + dates
    assert extract(_write(tmp_path / "a.jpg", rows)).taken_at == ROWS[index][2]


@pytest.mark.parametrize("index", range(len(DATE_ONLY)))
def test_a_date_alone_counts_only_when_no_source_has_a_time(tmp_path: Path, index: int) -> None:
    assert extract(_write(tmp_path / "a.jpg", DATE_ONLY[index:])).taken_at == DATE_ONLY[index][2]
