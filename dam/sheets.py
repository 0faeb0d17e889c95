"""Reading spreadsheets people keep (xlsx through openpyxl, CSV in UTF-8 or Latin-1) as rows.

Every sheet comes back as its header and its rows of text, whatever the cell types were, so the
importers above never meet openpyxl or the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dam.errors import DamError

MAX_ROWS = 200_000


class SheetReadError(DamError):
    """The file is not a spreadsheet we can read (or has no header row)."""


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)  # each row as long as the header
    first_row: int = 2  # the spreadsheet's row number of rows[0] (the header is row 1)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet(name: str, rows: Iterator[list[str]]) -> Sheet | None:
    header: list[str] | None = None
    sheet = None
    for number, row in enumerate(rows, start=1):
        if header is None:
            if not any(row):
                continue  # blank lines above the header
            header = [c.strip() for c in row]
            sheet = Sheet(name, header, first_row=number + 1)
            continue
        assert sheet is not None
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetReadError(f"{name}: more than {MAX_ROWS:,} rows")
        sheet.rows.append((row + [""] * len(header))[: len(header)])
    return sheet


def read_xlsx(path: Path) -> list[Sheet]:
    """Every sheet of a workbook that has a header row (values, not formulas)."""
    import openpyxl  # loaded only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise SheetReadError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
    try:
        sheets = []
        for ws in book.worksheets:
            rows = ([_text(v) for v in row] for row in ws.iter_rows(values_only=True))
            sheet = _sheet(ws.title, rows)
            if sheet is not None:
                sheets.append(sheet)
        return sheets
    finally:
        book.close()


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else Windows-1252/Latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def read_csv(path: Path) -> list[Sheet]:
    text = decode_csv(path.read_bytes())
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], ",;\t")
    except csv.Error:
        dialect = csv.excel  # one column, or too little to tell: commas
    rows = ([c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect))
    sheet = _sheet(path.stem, rows)
    if sheet is None:
        raise SheetReadError(f"{path.name}: the file is empty")
    return [sheet]


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of ``path`` by its extension: .xlsx (every sheet) or .csv/.txt (one)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(path)
    raise SheetReadError(f"{path.name}: expected a .xlsx or .csv file")
