"""Importing the old catalogue's spreadsheet: captions, people, places, credits and rights.

Columns are found by their header (Spanish aliases below, English too), or by a mapping file
(JSON or TOML: ``{"columns": {"Pie definitivo": "caption", "Notas": "-"}}``). Each row names its
file by ``archivo`` (a file name, matched to ``original_filename`` ignoring case) or ``ruta`` (a
path: its file name, and then its folders against the path the file was taken in from, to tell
apart files of the same name). :func:`plan_sheet` works out, without writing, what each row
would change, which rows match nothing (or several assets) and which values clash with what the
archive holds; :func:`apply_plan` writes one sheet in one transaction through the edit service
(every field in the bitácora, the change feed and the index follow), or nothing at all.

A clash (conflict) is a text field that already holds a different value: it is kept unless
``overwrite``. Lists (people, keywords) are merged, never clash. Two rows for one asset clash
on the fields where they differ (the first row wins).
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.edit_fields import FIELDS, EditError, Kind, clean_value, current_value, plain
from dam.curation.edits import edit_asset
from dam.errors import DamError
from dam.models import Asset, IntakeItem
from dam.sheets import Sheet

# Header (folded: lower case, no accents, single spaces) -> field. "file" and "path" find the asset.
HEADER_ALIASES: dict[str, str] = {
    "archivo": "file", "nombre de archivo": "file", "nombre del archivo": "file",
    "nombre archivo": "file", "file": "file", "filename": "file", "file name": "file",
    "foto": "file", "imagen": "file",
    "ruta": "path", "ruta del archivo": "path", "carpeta y archivo": "path", "path": "path",
    "pie de foto": "caption", "pie": "caption", "descripcion": "caption", "caption": "caption",
    "titulo": "headline", "cabeza": "headline", "headline": "headline", "title": "headline",
    "fotografo": "creator", "fotografa": "creator", "fotografo(a)": "creator",
    "videografo": "creator", "autor": "creator", "photographer": "creator", "creator": "creator",
    "credito": "credit", "linea de credito": "credit", "credit": "credit",
    "personas": "persons_shown", "persona": "persons_shown", "quien aparece": "persons_shown",
    "personas que aparecen": "persons_shown", "people": "persons_shown",
    "lugar": "sublocation", "colonia": "sublocation", "ubicacion": "sublocation",
    "place": "sublocation", "ciudad": "city", "city": "city",
    "evento": "event", "event": "event", "area": "area", "unidad administrativa": "area",
    "programa": "programme", "programa social": "programme", "programa de gobierno": "programme",
    "programme": "programme", "program": "programme",
    "palabras clave": "keywords", "etiquetas": "keywords", "keywords": "keywords",
    "derechos": "copyright_notice", "derechos de autor": "copyright_notice",
    "copyright": "copyright_notice", "condiciones de uso": "usage_terms",
    "terminos de uso": "usage_terms", "uso": "usage_terms", "usage terms": "usage_terms",
    "fuente": "source", "source": "source", "texto alternativo": "alt_text",
    "medio": "medium", "seccion": "section", "serie": "series", "numero": "issue_number",
    "tiraje": "print_run", "campana": "campaign", "tono": "tone", "pagina": "clipping_page",
    "fecha de publicacion": "distribution_date", "tipo de publicacion": "publication_kind",
    "formato": "publication_format", "distribucion": "distribution", "url": "web_url",
    "direccion web": "web_url", "liga": "web_url", "enlace": "web_url",
}
IGNORE = "-"
_DRIVE = re.compile(r"^[A-Za-z]:")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
KEYS = ("file", "path")


class SheetImportError(DamError):
    """A sheet cannot be imported as it is (no file column, a bad value, a bad mapping file)."""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("_", " ").replace(":", " ").split())


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping file: header -> field name (or "-" to ignore), JSON or TOML."""
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8-sig")) if path.suffix.lower() == ".toml" \
            else json.loads(raw.decode("utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise SheetImportError(f"{path.name}: not a readable mapping file ({exc})") from exc
    columns = data.get("columns", data) if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise SheetImportError(f"{path.name}: expected {{\"columns\": {{\"header\": \"field\"}}}}")
    for target in columns.values():
        if target not in (*FIELDS, *KEYS, IGNORE):
            raise SheetImportError(f"{path.name}: unknown field {target!r}")
    return {_fold(k): v for k, v in columns.items()}


def map_columns(header: list[str], mapping: Mapping[str, str] | None = None
                ) -> tuple[dict[int, str], list[str]]:
    """Column index -> field, and the headers nothing takes (reported, not imported)."""
    mapping = mapping or {}
    found: dict[int, str] = {}
    unknown: list[str] = []
    for i, name in enumerate(header):
        key = _fold(name)
        field_name = name.strip().lower()
        target = mapping.get(key) or HEADER_ALIASES.get(key) or (
            field_name if field_name in FIELDS else None)
        if target == IGNORE or not name.strip():
            continue
        if target is None:
            unknown.append(name)
        elif target in found.values():
            unknown.append(f"{name} (repeats {target})")
        else:
            found[i] = target
    return found, unknown


@dataclass(frozen=True)
class Conflict:
    row: int
    asset_id: int
    field: str
    current: Any
    sheet: Any


@dataclass
class SheetPlan:
    """What importing one sheet would do (the dry run), and then what it did."""

    name: str
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # header -> field
    unknown_columns: list[str] = field(default_factory=list)
    matched: dict[int, int] = field(default_factory=dict)  # sheet row -> asset id
    unmatched: list[tuple[int, str, str]] = field(default_factory=list)  # row, key, reason
    conflicts: list[Conflict] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # row, what is wrong
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)  # asset id -> new values
    applied: bool = False

    @property
    def change_count(self) -> int:
        return sum(len(c) for c in self.changes.values())


def _key_of(row: list[str], columns: dict[int, str]) -> tuple[str, str]:
    """(file name, folders) a row names, Windows or POSIX path; folders "" for a bare name."""
    for i, target in columns.items():
        raw = row[i].strip()
        if target in KEYS and raw:
            parts = [p for p in _DRIVE.sub("", raw.replace("\\", "/")).split("/") if p]
            if parts:
                return parts[-1], "/".join(parts[:-1])
    return "", ""


def _candidates(session: Session, names: set[str]) -> dict[str, list[int]]:
    """Asset ids by lower-case original file name."""
    found: dict[str, list[int]] = defaultdict(list)
    ordered = sorted(names)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        rows = session.execute(select(Asset.id, func.lower(Asset.original_filename))
                               .where(func.lower(Asset.original_filename).in_(chunk))
                               .order_by(Asset.id))
        for asset_id, name in rows:
            found[name].append(asset_id)
    return found


def _shared_tail(a: list[str], b: list[str]) -> int:
    """How many trailing folders two paths have in common."""
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _by_folders(session: Session, ids: list[int], folders: str) -> list[int]:
    """Of ``ids``, those taken in from the folders closest to ``folders`` (the most trailing
    folder names in common, at least one): the old catalogue's root rarely is ours."""
    want = [p for p in _fold(folders).split("/") if p]
    rows = session.execute(select(IntakeItem.asset_id, IntakeItem.source_path)
                           .where(IntakeItem.asset_id.in_(ids)))
    score: dict[int, int] = {}
    for asset_id, path in rows:
        have = [p for p in _fold(path.replace("\\", "/")).split("/") if p][:-1]
        score[asset_id] = max(score.get(asset_id, 0), _shared_tail(want, have))
    best = max(score.values(), default=0)
    return [i for i in ids if best and score.get(i) == best]


def _match_rows(session: Session, sheet: Sheet, columns: dict[int, str], plan: SheetPlan
                ) -> dict[int, int]:
    keys = {n: _key_of(row, columns) for n, row in enumerate(sheet.rows, start=sheet.first_row)}
    cands = _candidates(session, {name.lower() for name, _ in keys.values() if name})
    matched: dict[int, int] = {}
    for number, (name, folders) in keys.items():
        row = sheet.rows[number - sheet.first_row]
        if not any(row[i].strip() for i in columns):
            continue  # a blank line
        ids = cands.get(name.lower(), []) if name else []
        if len(ids) > 1 and folders:
            ids = _by_folders(session, ids, folders)
        shown = f"{folders}/{name}" if folders else name
        if not name:
            plan.unmatched.append((number, "", "no file name in the row"))
        elif not ids:
            plan.unmatched.append((number, shown, "no file of that name in the archive"))
        elif len(ids) > 1:
            plan.unmatched.append((number, shown, f"{len(ids)} files have that name: give "
                                   "the path (ruta) to tell them apart"))
        else:
            matched[number] = ids[0]
    return matched


def _row_values(row: list[str], columns: dict[int, str], number: int, plan: SheetPlan
                ) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i, target in columns.items():
        if target in KEYS or not row[i].strip():
            continue  # an empty cell changes nothing
        cell = row[i].strip()
        if FIELDS[target].kind is Kind.DATE and (m := _DMY.fullmatch(cell)):
            cell = f"{m.group(3)}-{int(m.group(2)):02}-{int(m.group(1)):02}"  # 14/03/2019
        try:
            values[target] = clean_value(FIELDS[target], cell)
        except EditError as exc:
            plan.errors.append((number, str(exc)))
    return values


def _merge(asset: Asset, number: int, values: dict[str, Any], pending: dict[str, Any],
           plan: SheetPlan, overwrite: bool) -> None:
    for name, value in values.items():
        have = pending[name] if name in pending else current_value(asset, name)
        if FIELDS[name].kind is Kind.LIST:
            merged = clean_value(FIELDS[name], [*have, *value])
            if merged != have:
                pending[name] = merged
            continue
        if have == value:
            continue
        if have not in (None, "") and (name in pending or not overwrite):
            plan.conflicts.append(Conflict(number, asset.id, name, plain(have), plain(value)))
            continue
        pending[name] = value


def plan_sheet(session: Session, sheet: Sheet, mapping: Mapping[str, str] | None = None,
               *, overwrite: bool = False) -> SheetPlan:
    """The dry run of one sheet: matches, unmatched rows, clashes, bad values; writes nothing."""
    columns, unknown = map_columns(sheet.header, mapping)
    plan = SheetPlan(sheet.name, rows=len(sheet.rows), unknown_columns=unknown,
                     columns={sheet.header[i]: t for i, t in columns.items()})
    if not any(t in KEYS for t in columns.values()):
        raise SheetImportError(f"{sheet.name}: no column names the file (archivo or ruta); "
                               f"headers: {', '.join(sheet.header)}")
    plan.matched = _match_rows(session, sheet, columns, plan)
    wanted = sorted(set(plan.matched.values()))
    assets = {a.id: a for start in range(0, len(wanted), 500) for a in session.scalars(
        select(Asset).where(Asset.id.in_(wanted[start:start + 500])))}
    for number, asset_id in plan.matched.items():
        values = _row_values(sheet.rows[number - sheet.first_row], columns, number, plan)
        pending = plan.changes.setdefault(asset_id, {})
        _merge(assets[asset_id], number, values, pending, plan, overwrite)
    plan.changes = {a: c for a, c in plan.changes.items() if c}
    return plan


def apply_plan(session: Session, actor: Actor, plan: SheetPlan, source: str) -> SheetPlan:
    """Write a planned sheet through the edit service, in the caller's transaction.

    Refuses a sheet with bad values (nothing is written); the caller's transaction rolls back
    on any error, so a sheet lands whole or not at all. One bitácora entry sums the import up.
    """
    if plan.errors:
        first = plan.errors[0]
        raise SheetImportError(f"{plan.name}: row {first[0]}: {first[1]} "
                               f"({len(plan.errors)} row(s) with errors: nothing imported)")
    ids = sorted(plan.changes)
    versions = dict(row for start in range(0, len(ids), 500) for row in session.execute(
        select(Asset.id, Asset.edit_version).where(Asset.id.in_(ids[start:start + 500]))))
    # One flush at the end rather than one per asset: the bitácora's rows go in batches.
    with session.no_autoflush:
        for asset_id, changes in plan.changes.items():
            if asset_id not in versions:
                raise SheetImportError(f"{plan.name}: asset {asset_id} no longer exists")
            edit_asset(session, actor, asset_id, changes, expected_version=versions[asset_id])
    session.flush()
    audit.record(session, actor, "sheet_import",
                 detail=f"{source} / {plan.name}: {len(plan.matched)} rows matched, "
                        f"{plan.change_count} values changed on {len(plan.changes)} items, "
                        f"{len(plan.unmatched)} unmatched, {len(plan.conflicts)} clashes kept")
    plan.applied = True
    return plan
