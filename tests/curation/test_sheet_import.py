"""`dam import sheet`: the old catalogue fills assets by file name or path, whole or not at all."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from sqlalchemy import select

from dam.context import Context
from dam.curation.sheet_import import load_mapping, map_columns, plan_sheet
from dam.enums import IntakeOutcome, PublicationKind, Tone
from dam.models import Asset, AuditEntry, Batch, IntakeItem
from dam.sheets import Sheet, decode_csv, read_sheets
from ingest.import_cli import import_group
from tests.changefeed_check import record_fixture_writes

HEADER = ["Archivo", "Pie de foto", "Fotógrafo", "Crédito", "Lugar", "Personas", "Derechos",
          "Observaciones"]


def _assets(ctx: Context) -> dict[str, int]:
    """Four archive files; two share the name DSC_0001.JPG, told apart by their folders."""
    files = {"mercado.jpg": "/media/2019/03/mercado.jpg",
             "DSC_0001.JPG": "/media/2019/03 Marzo/Feria/DSC_0001.JPG",
             "dsc_0001.jpg": "/media/2020/Desfile/dsc_0001.jpg",
             "jornada.jpg": "/media/2019/04/jornada.jpg"}
    ids = {}
    with ctx.catalog.write() as session:
        batch = Batch(event="Archivo anterior")
        session.add(batch)
        session.flush()
        for n, (name, path) in enumerate(files.items(), start=1):
            asset = Asset(sha256=f"{n:064x}", byte_size=1, original_filename=name,
                          original_key=f"originals/{n}", batch_id=batch.id,
                          credit="Foto: Archivo" if name == "jornada.jpg" else None,
                          persons_shown=["Clara Brugada"] if name == "mercado.jpg" else [])
            session.add(asset)
            session.flush()
            session.add(IntakeItem(batch_id=batch.id, source_path=path, original_filename=name,
                                   outcome=IntakeOutcome.NEW, asset_id=asset.id))
            ids[path] = asset.id
            record_fixture_writes(session)
    return ids


ROWS = [
    ["MERCADO.JPG", "Inauguración del mercado", "Ana Peña", "Foto: Ana Peña / Alcaldía",
     "Santa Cruz Meyehualco", "Clara Brugada; Juan Pérez", "Todos los derechos reservados",
     "ok"],
    [r"D:\Fotos\2019\03 Marzo\Feria\DSC_0001.JPG", "Feria del empleo", "", "", "", "", "", ""],
    ["DSC_0001.JPG", "¿cuál de los dos?", "", "", "", "", "", ""],  # two files: unmatched
    ["no_existe.jpg", "Nada", "", "", "", "", "", ""],  # unmatched
    ["jornada.jpg", "Jornada de salud", "", "Foto: Luis", "", "", "", ""],  # credit conflicts
    ["", "", "", "", "", "", "", ""],  # blank line
]


def _xlsx(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def _run(ctx: Context, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(import_group, ["sheet", *args], obj={"context": ctx})
    return result.exit_code, result.output


def _by_id(ctx: Context) -> dict[int, Asset]:
    with ctx.catalog.read() as session:
        assets = session.scalars(select(Asset)).all()
        session.expunge_all()
    return {a.id: a for a in assets}


def test_headers_by_spanish_names_and_a_mapping_file(tmp_path: Path) -> None:
    columns, unknown = map_columns(HEADER)
    assert list(columns.values()) == ["file", "caption", "creator", "credit", "sublocation",
                                      "persons_shown", "copyright_notice"]
    assert unknown == ["Observaciones"]
    mapping = tmp_path / "columnas.json"
    mapping.write_text(json.dumps({"columns": {"Observaciones": "usage_terms",
                                               "Clave": "file"}}), encoding="utf-8")
    columns, unknown = map_columns(["Clave", "Observaciones"], load_mapping(mapping))
    assert list(columns.values()) == ["file", "usage_terms"] and unknown == []
    toml = tmp_path / "columnas.toml"
    toml.write_text('[columns]\n"Pie definitivo" = "caption"\n"Notas" = "-"\n', encoding="utf-8")
    assert map_columns(["Pie definitivo", "Notas"], load_mapping(toml)) == ({0: "caption"}, [])


def test_csv_in_utf8_with_bom_or_latin1_and_semicolons(tmp_path: Path) -> None:
    text = "Archivo;Pie de foto\r\nmercado.jpg;Inauguración en Peñón\r\n"
    assert decode_csv(("\ufeff" + text).encode("utf-8")) == text
    assert decode_csv(text.encode("latin-1")) == text
    path = tmp_path / "catalogo.csv"
    path.write_bytes(text.encode("cp1252"))
    (sheet,) = read_sheets(path)
    assert sheet.header == ["Archivo", "Pie de foto"]
    assert sheet.rows == [["mercado.jpg", "Inauguración en Peñón"]]


def test_dry_run_lists_matches_unmatched_rows_and_conflicts(any_ctx: Context) -> None:
    ids = _assets(any_ctx)
    with any_ctx.catalog.read() as session:
        plan = plan_sheet(session, Sheet("Hoja1", HEADER, ROWS))
    assert plan.matched == {2: ids["/media/2019/03/mercado.jpg"],
                            3: ids["/media/2019/03 Marzo/Feria/DSC_0001.JPG"],
                            6: ids["/media/2019/04/jornada.jpg"]}
    assert [(n, why.split(":")[0]) for n, _, why in plan.unmatched] == [
        (4, "2 files have that name"), (5, "no file of that name in the archive")]
    (conflict,) = plan.conflicts
    assert (conflict.row, conflict.field, conflict.current, conflict.sheet) == (
        6, "credit", "Foto: Archivo", "Foto: Luis")
    mercado = plan.changes[ids["/media/2019/03/mercado.jpg"]]
    assert mercado["persons_shown"] == ["Clara Brugada", "Juan Pérez"]  # merged, not doubled
    assert mercado["sublocation"] == "Santa Cruz Meyehualco"
    assert plan.unknown_columns == ["Observaciones"]


def test_xlsx_applied_through_the_edit_service_and_audited(any_ctx: Context,
                                                           tmp_path: Path) -> None:
    ids = _assets(any_ctx)
    book = _xlsx(tmp_path / "catalogo.xlsx", {"Hoja1": [HEADER, *ROWS]})
    code, dry = _run(any_ctx, str(book), "--dry-run")
    assert code == 0, dry
    assert "3 matched, 2 unmatched, 1 conflicts" in dry
    assert "row 6: conflict on" in dry and "row 5: unmatched 'no_existe.jpg'" in dry
    assert all(not a.caption for a in _by_id(any_ctx).values())  # the dry run wrote nothing

    code, out = _run(any_ctx, str(book))
    assert code == 0, out
    assets = _by_id(any_ctx)
    mercado = assets[ids["/media/2019/03/mercado.jpg"]]
    assert (mercado.caption, mercado.creator, mercado.copyright_notice) == (
        "Inauguración del mercado", "Ana Peña", "Todos los derechos reservados")
    assert mercado.edit_version == 2 and "caption" in mercado.edited_fields
    assert assets[ids["/media/2019/03 Marzo/Feria/DSC_0001.JPG"]].caption == "Feria del empleo"
    assert assets[ids["/media/2020/Desfile/dsc_0001.jpg"]].caption is None
    jornada = assets[ids["/media/2019/04/jornada.jpg"]]
    assert (jornada.caption, jornada.credit) == ("Jornada de salud", "Foto: Archivo")  # kept
    with any_ctx.catalog.read() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        edits = {(e.asset_id, e.field) for e in entries if e.action == "edit"}
        summary = [(e.detail, e.username) for e in entries if e.action == "sheet_import"]
    assert (mercado.id, "caption") in edits and (jornada.id, "credit") not in edits
    assert len(summary) == 1 and "catalogo.xlsx / Hoja1: 3 rows matched" in summary[0][0]
    assert summary[0][1].startswith("shell:")

    code, _ = _run(any_ctx, str(book), "--overwrite")
    assert code == 0 and _by_id(any_ctx)[jornada.id].credit == "Foto: Luis"


def test_a_bad_value_rolls_the_whole_sheet_back(any_ctx: Context, tmp_path: Path) -> None:
    ids = _assets(any_ctx)
    bad = [["archivo", "pie de foto", "tiraje"],
           ["mercado.jpg", "Inauguración del mercado", "5000"],
           ["jornada.jpg", "Jornada de salud", "cinco mil"]]  # not a number
    good = [["archivo", "titulo"], ["jornada.jpg", "Jornada"]]
    book = _xlsx(tmp_path / "catalogo.xlsx", {"Mala": bad, "Buena": good})
    code, out = _run(any_ctx, str(book))
    assert code == 1
    assert "sheet 'Mala': NOT imported, nothing changed: Mala: row 3: print_run" in out
    assets = _by_id(any_ctx)
    mercado = assets[ids["/media/2019/03/mercado.jpg"]]
    assert (mercado.caption, mercado.print_run, mercado.edit_version) == (None, None, 1)
    assert assets[ids["/media/2019/04/jornada.jpg"]].headline == "Jornada"  # its own sheet
    with any_ctx.catalog.read() as session:
        touched = {e.asset_id for e in session.scalars(select(AuditEntry))
                   if e.action == "edit"}
    assert touched == {ids["/media/2019/04/jornada.jpg"]}


def test_csv_file_applied(any_ctx: Context, tmp_path: Path) -> None:
    ids = _assets(any_ctx)
    path = tmp_path / "viejo.csv"
    path.write_bytes("ruta,pie de foto,personas,tipo de publicación,tono,fecha de publicación\n"
                     "/2020/Desfile/dsc_0001.jpg,Desfile del 16 de septiembre,Niños Héroes,"
                     "Recorte,Positiva,16/09/2020\n".encode("latin-1"))
    code, out = _run(any_ctx, str(path))
    assert code == 0, out
    desfile = _by_id(any_ctx)[ids["/media/2020/Desfile/dsc_0001.jpg"]]
    assert desfile.caption == "Desfile del 16 de septiembre"
    assert desfile.persons_shown == ["Niños Héroes"]
    assert (desfile.publication_kind, desfile.tone, desfile.distribution_date) == (
        PublicationKind.CLIPPING, Tone.POSITIVE, dt.date(2020, 9, 16))  # the office's words


def test_a_sheet_without_a_file_column_is_refused(any_ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("pie de foto\nalgo\n", encoding="utf-8")
    code, out = _run(any_ctx, str(path))
    assert code == 1 and "no column names the file" in out


def test_programme_columns_by_their_spanish_names(any_ctx: Context, tmp_path: Path) -> None:
    """"Programa" and "Programa social" name the government programme, apart from the campaign."""
    assert map_columns(["Archivo", "Programa social", "Campaña"])[0] == {
        0: "file", 1: "programme", 2: "campaign"}
    assert map_columns(["archivo", "PROGRAMA"])[0] == {0: "file", 1: "programme"}
    ids = _assets(any_ctx)
    path = tmp_path / "programas.csv"
    path.write_text("archivo,programa social,campaña\n"
                    "mercado.jpg,Mercomuna,Iztapalapa limpia\n", encoding="utf-8")
    code, out = _run(any_ctx, str(path))
    assert code == 0, out
    mercado = _by_id(any_ctx)[ids["/media/2019/03/mercado.jpg"]]
    assert (mercado.programme, mercado.campaign) == ("Mercomuna", "Iztapalapa limpia")
    with any_ctx.catalog.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.field == "programme")).one()
        assert (entry.asset_id, entry.old_value, entry.new_value) == (mercado.id, None,
                                                                       "Mercomuna")
