"""The old catalogue's spreadsheet from the browser (admins): upload, see the dry run, apply.

The same services as `dam import sheet` (dam.curation.sheet_import): the dry run writes
nothing; applying writes each sheet in one transaction through the edit service, or nothing.
The uploaded file waits under ``<data_dir>/tmp/sheets/`` between the two steps, named by a
random token, and is removed once applied (or a day later).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, Response, g, render_template, request
from flask_babel import gettext as _

from dam.curation.sheet_import import (
    SheetImportError,
    SheetPlan,
    apply_plan,
    load_mapping,
    plan_sheet,
)
from dam.sheets import SheetReadError, read_sheets
from web.curation_common import actor_of
from web.queries import reading
from web.state import get_ctx

bp = Blueprint("sheet_import", __name__)

SUFFIXES = (".xlsx", ".csv")
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _folder() -> Path:
    folder = Path(get_ctx().settings.data_dir) / "tmp" / "sheets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path) -> None:
    """Sheets uploaded and never applied go after a day."""
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def _page(status: int = 200, **values: object) -> Response:
    values.setdefault("plans", [])
    values.setdefault("failures", [])
    return Response(render_template("admin_sheet_import.html", **values), status=status)


def _saved(token: str) -> tuple[Path, Path | None]:
    """The waiting sheet and mapping of ``token``; FileNotFoundError when gone."""
    if not _TOKEN.fullmatch(token):
        raise FileNotFoundError(token)
    found = [p for p in _folder().glob(f"{token}.*") if p.suffix in SUFFIXES]
    if not found:
        raise FileNotFoundError(token)
    mapping = _folder() / f"{token}-mapping.json"
    return found[0], mapping if mapping.exists() else None


@bp.get("/admin/importar-hoja")
def form() -> Response:
    return _page()


@bp.post("/admin/importar-hoja")
def preview() -> Response:
    upload = request.files.get("sheet")
    name = Path(upload.filename or "").name if upload else ""
    suffix = Path(name).suffix.lower()
    if not upload or suffix not in SUFFIXES:
        return _page(400, error=_("Choose a .xlsx or .csv file."))
    _forget_old(_folder())
    token = secrets.token_hex(16)
    path = _folder() / f"{token}{suffix}"
    upload.save(path)
    mapping_file = request.files.get("mapping")
    if mapping_file and mapping_file.filename:
        raw = _folder() / f"{token}-mapping{Path(mapping_file.filename).suffix.lower()}"
        mapping_file.save(raw)
        try:
            columns = load_mapping(raw)
        except SheetImportError as exc:
            path.unlink(missing_ok=True)
            return _page(400, error=str(exc))
        finally:
            raw.unlink(missing_ok=True)
        (_folder() / f"{token}-mapping.json").write_text(json.dumps(columns), encoding="utf-8")
    overwrite = request.form.get("overwrite") == "1"
    plans, failures = _plan(path, token, overwrite)
    return _page(plans=plans, failures=failures, token=token, filename=name,
                 overwrite=overwrite)


def _plan(path: Path, token: str, overwrite: bool
          ) -> tuple[list[SheetPlan], list[tuple[str, str]]]:
    _, mapping_path = _saved(token)
    mapping = json.loads(mapping_path.read_text(encoding="utf-8")) if mapping_path else None
    plans, failures = [], []
    try:
        sheets = read_sheets(path)
    except SheetReadError as exc:
        return [], [("", str(exc))]
    for sheet in sheets:
        try:
            with reading(get_ctx().catalog) as session:
                plans.append(plan_sheet(session, sheet, mapping, overwrite=overwrite))
        except SheetImportError as exc:
            failures.append((sheet.name, str(exc)))
    return plans, failures


@bp.post("/admin/importar-hoja/aplicar")
def apply() -> Response:
    token = request.form.get("token", "")
    overwrite = request.form.get("overwrite") == "1"
    filename = request.form.get("filename", "")[:255]
    try:
        path, mapping_path = _saved(token)
    except FileNotFoundError:
        return _page(404, error=_("That sheet is no longer waiting: upload it again."))
    mapping = json.loads(mapping_path.read_text(encoding="utf-8")) if mapping_path else None
    plans, failures = [], []
    try:
        sheets = read_sheets(path)
    except SheetReadError as exc:
        sheets, failures = [], [("", str(exc))]
    for sheet in sheets:
        try:
            with get_ctx().catalog.write() as session:
                plan = plan_sheet(session, sheet, mapping, overwrite=overwrite)
                plans.append(apply_plan(session, actor_of(g.user), plan, filename or path.name))
        except SheetImportError as exc:
            failures.append((sheet.name, str(exc)))
    path.unlink(missing_ok=True)
    if mapping_path:
        mapping_path.unlink(missing_ok=True)
    return _page(plans=plans, failures=failures, applied=True, filename=filename)
