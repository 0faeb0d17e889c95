"""Benchmark: `dam import sheet` (the old catalogue's spreadsheet) on a SQLite catalog.

Makes N assets and a CSV of N rows (caption, photographer, credit, place, people) naming them,
then times the dry run (read the CSV, match every row by file name, work out the changes) and
the import (the same plan, then every change through the edit service, audited, one
transaction), medians of ``--repeat`` runs on fresh catalogs. The reference, in the same run:
the same values written by one plain ``executemany`` UPDATE (no matching, no audit, no change
feed): the floor for writing them. Ratios are to that reference.

    python bench/sheet_import.py --rows 5000 --repeat 3

Prints a line per run and one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402

from dam.config import load_settings  # noqa: E402
from dam.curation.actor import shell_actor  # noqa: E402
from dam.curation.sheet_import import apply_plan, plan_sheet  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.models import Asset  # noqa: E402
from dam.sheets import read_sheets  # noqa: E402

HEADER = ["archivo", "pie de foto", "fotógrafo", "crédito", "lugar", "personas"]


def _row(i: int) -> list[str]:
    return [f"DSC_{i:06}.JPG", f"Jornada de salud en la colonia número {i}, Iztapalapa.",
            "Ana Peña", "Foto: Ana Peña / Alcaldía Iztapalapa", "Santa Cruz Meyehualco",
            "Clara Brugada; Juan Pérez"]


def _catalog(base: Path, rows: int) -> tuple[Catalog, Path]:
    settings = load_settings(env={}, base_dir=base, data_dir=str(base / "var"))
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    with catalog.write() as session:
        session.execute(insert(Asset), [
            {"sha256": f"{i:064x}", "byte_size": 1, "original_filename": f"DSC_{i:06}.JPG",
             "original_key": f"originals/{i}", "keywords": [], "persons_shown": [],
             "edited_fields": []} for i in range(1, rows + 1)])
    sheet = base / "catalogo.csv"
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(_row(i) for i in range(1, rows + 1))
    return catalog, sheet


def run_once(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        catalog, path = _catalog(Path(tmp), rows)
        start = time.perf_counter()
        (sheet,) = read_sheets(path)
        with catalog.read() as session:
            plan = plan_sheet(session, sheet)
        dry = time.perf_counter() - start
        assert len(plan.matched) == rows and plan.change_count == rows * 5
        start = time.perf_counter()
        (sheet,) = read_sheets(path)
        with catalog.write() as session:
            apply_plan(session, shell_actor(), plan_sheet(session, sheet), path.name)
        applied = time.perf_counter() - start
        catalog.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        catalog, path = _catalog(Path(tmp), rows)
        values = [{"b_id": i, "caption": _row(i)[1], "creator": "Ana Peña",
                   "credit": _row(i)[3], "sublocation": _row(i)[4],
                   "persons_shown": ["Clara Brugada", "Juan Pérez"]} for i in range(1, rows + 1)]
        start = time.perf_counter()
        from sqlalchemy import bindparam

        with catalog.write() as session:
            session.connection().execute(
                update(Asset.__table__).where(Asset.__table__.c.id == bindparam("b_id"))
                .values(caption=bindparam("caption"), creator=bindparam("creator"),
                        credit=bindparam("credit"), sublocation=bindparam("sublocation"),
                        persons_shown=bindparam("persons_shown")), values)
        reference = time.perf_counter() - start
        catalog.dispose()
    return {"dry_run_s": dry, "import_s": applied, "reference_s": reference}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for n in range(args.repeat):
        runs.append(run_once(args.rows))
        print(f"run {n + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in runs[-1].items()))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(json.dumps({
        "rows": args.rows, "repeat": args.repeat, **{k: round(v, 3) for k, v in med.items()},
        "rows_per_s_import": round(args.rows / med["import_s"], 1),
        "ratio_import_to_reference": round(med["import_s"] / med["reference_s"], 1),
    }))


if __name__ == "__main__":
    main()
