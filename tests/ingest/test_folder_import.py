"""`dam import folders`: the old archive's year/month/event tree becomes tagged batches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner
from sqlalchemy import func, select

from dam.context import Context
from dam.models import Asset, Batch
from ingest.folder_names import read_event, read_month, read_year
from ingest.import_cli import import_group
from tests.media import make_photo

MARKET = "2019-03-14 Inauguración mercado - Santa Cruz Meyehualco"


def test_folder_names_by_the_declared_patterns() -> None:
    assert read_event("2019-03-14 Inauguración mercado Santa Cruz") == read_event(
        "14 mar 2019 Inauguración mercado Santa Cruz")
    name = read_event("14 de marzo de 2019 Feria del empleo (Cabeza de Juárez)")
    assert (name.event, name.date, name.place) == (
        "Feria del empleo", dt.date(2019, 3, 14), "Cabeza de Juárez")
    assert read_event("20190314_Jornada de salud | San Lorenzo").place == "San Lorenzo"
    assert read_event("14 sept Desfile", year=2021).date == dt.date(2021, 9, 14)
    assert read_event("Informe de gobierno").date is None
    assert read_event("2019-02-30 Ofrenda").problem == "not a date: '2019-02-30'"
    assert [read_month(n) for n in ("03 Marzo", "Marzo", "3", "mar", "03 Abril", "13")] == [
        3, 3, 3, 3, None, None]
    assert [read_year(n) for n in ("2019", "Año 2019", "19")] == [2019, 2019, None]


def _tree(root: Path) -> None:
    event = root / "2019" / "03 Marzo" / MARKET
    make_photo(event / "DSC_0001.jpg", (64, 48), seed=1)
    make_photo(event / "RAW" / "DSC_0002.jpg", (64, 48), seed=2)  # a sub-folder: same event
    make_photo(root / "2019" / "04 Abril" / "12 abr Jornada de salud" / "a.jpg", (64, 48), seed=3)
    make_photo(root / "2019" / "04 Abril" / "suelta.jpg", (64, 48), seed=4)
    make_photo(root / "2019" / "Informe de gobierno" / "b.jpg", (64, 48), seed=5)
    (root / "2019" / "03 Marzo" / "vacía").mkdir()


def _run(ctx: Context, *args: str) -> str:
    result = CliRunner().invoke(import_group, ["folders", *args], obj={"context": ctx})
    assert result.exit_code == 0, result.output
    return result.output


def test_dry_run_says_what_each_folder_becomes_and_writes_nothing(
        any_ctx: Context, tmp_path: Path) -> None:
    _tree(tmp_path / "archivo")
    out = _run(any_ctx, str(tmp_path / "archivo"), "--dry-run")
    assert f"2019/03 Marzo/{MARKET}/  (2 files)" in out
    assert "    event: Inauguración mercado\n    date:  2019-03-14\n" \
           "    place: Santa Cruz Meyehualco" in out
    assert "2019/04 Abril/12 abr Jornada de salud/  (1 file)\n    event: Jornada de salud\n" \
           "    date:  2019-04-12" in out
    assert "2019/04 Abril/  (1 file)\n    event: -" in out
    assert "no date in the folder name" in out  # Informe de gobierno
    assert "5 batch(es), 5 file(s)" in out
    with any_ctx.catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0


def test_real_run_makes_tagged_batches_through_intake(any_ctx: Context, tmp_path: Path) -> None:
    _tree(tmp_path / "archivo")
    out = _run(any_ctx, str(tmp_path / "archivo"), "--area", "Comunicación Social")
    assert "1 new, 0 duplicate, 0 failed" in out and "2 new" in out
    with any_ctx.catalog.read() as session:
        batches = {b.event: SimpleNamespace(event_date=b.event_date, place=b.place, area=b.area,
                                            source=b.source)
                   for b in session.scalars(select(Batch))}
        assets = session.execute(select(Asset.original_filename, Batch.event)
                                 .join(Batch, Asset.batch_id == Batch.id)).all()
    market = batches["Inauguración mercado"]
    assert (market.event_date, market.place, market.area, market.source) == (
        dt.date(2019, 3, 14), "Santa Cruz Meyehualco", "Comunicación Social", "import")
    assert batches["Jornada de salud"].event_date == dt.date(2019, 4, 12)
    assert batches["Informe de gobierno"].event_date is None
    assert batches[None].event_date is None  # the loose file of April
    assert sorted(assets) == sorted([
        ("DSC_0001.jpg", "Inauguración mercado"), ("DSC_0002.jpg", "Inauguración mercado"),
        ("a.jpg", "Jornada de salud"), ("suelta.jpg", None), ("b.jpg", "Informe de gobierno")])
    again = _run(any_ctx, str(tmp_path / "archivo"))  # a second run finds them all known
    assert "0 new, 2 duplicate" in again
