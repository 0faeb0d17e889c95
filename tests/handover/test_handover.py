"""The handover bag: readable, complete, verifiable, resumable, and taken back in whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from dam.context import Context, open_context
from dam.curation.audit import LogFilter, search_log
from dam.models import Collection, ConsentForm
from tests.changefeed_check import record_fixture_writes
from tests.conftest import init_catalog, make_settings
from tests.handover.archive import build_archive, cli, listing, original_hashes

CAT = Path("data/catalogo")


def export(ctx: Context, target: Path, *args: str) -> str:
    result = CliRunner().invoke(cli(), ["handover", "export", str(target), "--quiet",
                                        "--by", "Lic. Entrega", *args], obj={"context": ctx})
    assert result.exit_code == 0, result.output
    return result.output


def records(bag: Path) -> dict[str, dict]:
    data = json.loads((bag / CAT / "catalogo.json").read_text(encoding="utf-8"))
    return {r["original_filename"] + str(r["id"]): r for r in data}


def test_export_writes_a_valid_readable_bag(ctx: Context, tmp_path: Path) -> None:
    ids = build_archive(ctx)
    bag = tmp_path / "entrega"
    out = export(ctx, bag)
    assert "5 assets (2 restricted)" in out
    assert bagit.Bag(str(bag)).is_valid()
    by_id = {r["id"]: r for r in records(bag).values()}
    # Readable paths, the collision resolved, a sidecar beside each original.
    first, second = by_id[ids["a"]]["ruta"], by_id[ids["b"]]["ruta"]
    assert first == "data/originales/2025/03/Jornada de salud/IMG_0001.JPG"
    assert second == f"data/originales/2025/03/Jornada de salud/IMG_0001__{ids['b']}.JPG"
    assert (bag / first).read_bytes() == b"first picture" * 100
    xmp = (bag / (first + ".xmp")).read_text(encoding="utf-8")
    assert "Vacunación en la plaza" in xmp and "María Pérez" in xmp
    # Restricted material is there, and marked.
    assert by_id[ids["restricted"]]["restringido"] is True
    assert "solo uso interno" in by_id[ids["restricted"]]["restricciones"]
    assert by_id[ids["b"]]["restricciones"] == ["contenido sensible"]
    assert by_id[ids["a"]]["restringido"] is False
    assert by_id[ids["a"]]["licencia"] == "CC BY 4.0"
    assert by_id[ids["a"]]["colecciones"] == ["Salud 2025"]
    assert by_id[ids["a"]]["consentimientos"] == [ids["consent"]]
    # The spreadsheet: a BOM, and a formula shown as text.
    raw = (bag / CAT / "catalogo.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with (bag / CAT / "catalogo.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5
    caption = next(r for r in rows if r["id"] == str(ids["a"]))["pie_de_foto"]
    assert caption == "'=HYPERLINK(\"x\")"
    # Collections, consents with what they cover, the audit log.
    albums = json.loads((bag / CAT / "colecciones.json").read_text(encoding="utf-8"))
    assert albums[0]["title"] == "Salud 2025" and albums[0]["activos"] == [ids["b"], ids["a"]]
    forms = json.loads((bag / CAT / "consentimientos.json").read_text(encoding="utf-8"))
    assert forms[0]["activos_que_cubre"] == [ids["a"]]
    assert forms[0]["document_asset_id"] == ids["scan"]
    actions = [json.loads(line)["action"] for line in
               (bag / CAT / "bitacora.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "consent" in " ".join(actions) and "edit" in actions
    info = bagit.Bag(str(bag)).info
    assert info["Source-Organization"] == ctx.settings.agency_name
    assert info["Internal-Sender-Identifier"].startswith("acervo-entrega-")
    assert info["Payload-Oxum"] and info["Bagging-Date"] and info["Contact-Name"] == "Lic. Entrega"
    leeme = (bag / "LEEME.txt").read_text(encoding="utf-8")
    assert "5 archivos originales" in leeme and "Lic. Entrega" in leeme
    assert "dam handover verify" in leeme


def test_period_and_collection_choose_assets_and_keep_consent_scans(
        ctx: Context, tmp_path: Path) -> None:
    ids = build_archive(ctx)
    export(ctx, tmp_path / "p", "--from", "2025-03-01", "--to", "2025-12-31")
    got = {r["id"] for r in records(tmp_path / "p").values()}
    # The consent form's scan comes along though it was taken before the period.
    assert got == {ids["a"], ids["b"], ids["restricted"], ids["scan"]}
    export(ctx, tmp_path / "c", "--collection", str(ids["album"]))
    got = {r["id"] for r in records(tmp_path / "c").values()}
    assert got == {ids["a"], ids["b"], ids["scan"]}


def test_an_interrupted_export_resumes_and_verify_catches_damage(
        ctx: Context, tmp_path: Path) -> None:
    ids = build_archive(ctx)
    bag = tmp_path / "entrega"
    export(ctx, bag, "--with-renditions")
    first = bag / records(bag)[f"IMG_0001.JPG{ids['a']}"]["ruta"]
    # Simulate an interruption: the tag files are gone, one original half written.
    for name in ("bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"):
        (bag / name).unlink()
    first.write_bytes(first.read_bytes()[:50])
    out = export(ctx, bag, "--with-renditions")
    assert "already in place" in out
    assert first.read_bytes() == b"first picture" * 100
    result = CliRunner().invoke(cli(), ["handover", "verify", str(bag)], obj={})
    assert result.exit_code == 0, result.output
    first.write_bytes(b"X" + first.read_bytes()[1:])
    result = CliRunner().invoke(cli(), ["handover", "verify", str(bag)], obj={})
    assert result.exit_code == 1 and "not a valid bag" in result.output


@pytest.fixture
def fresh(any_settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A second, empty Acervo (catalog and store) beside ``any_ctx``."""
    url = any_settings.catalog_url
    if url.startswith("sqlite"):
        settings = make_settings(tmp_path / "fresh")
    else:
        settings = make_settings(tmp_path / "fresh", catalog_url=_database(url, create=True))
    init_catalog(settings)
    context = open_context(settings)
    yield context
    context.close()
    if not url.startswith("sqlite"):
        _database(settings.catalog_url, create=False)


def _database(url: str, *, create: bool) -> str:
    """Create a database beside ``url``'s (returning its URL), or drop ``url``'s."""
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"dam_test_{secrets.token_hex(4)}" if create else make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    if not create:
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' if create
                          else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def test_import_into_a_fresh_acervo_gives_the_same_catalog_and_bytes(
        any_ctx: Context, fresh: Context, tmp_path: Path) -> None:
    build_archive(any_ctx)
    bag = tmp_path / "entrega"
    export(any_ctx, bag, "--with-renditions")
    result = CliRunner().invoke(cli(), ["handover", "import", str(bag), "--quiet"],
                                obj={"context": fresh})
    assert result.exit_code == 0, result.output
    assert listing(fresh) == listing(any_ctx)
    assert original_hashes(fresh) == original_hashes(any_ctx)
    for row in listing(fresh):
        for r in row["renditions"]:
            assert fresh.store.read_bytes(r["key"]) == any_ctx.store.read_bytes(r["key"])

    def everything_else(ctx: Context) -> tuple:
        with ctx.catalog.read() as s:
            cols = [(c.slug, c.title, c.description, [i.asset_id for i in c.items])
                    for c in s.query(Collection).order_by(Collection.id)]
            forms = [(f.persons, f.scope, f.signed_on, f.document_asset_id,
                      sorted(a.asset_id for a in f.covered)) for f in s.query(ConsentForm)]
            log = [(e.id, e.at, e.username, e.action, e.asset_id, e.field, e.new_value)
                   for e in search_log(s, LogFilter(), limit=1000)]
        return cols, forms, log

    assert everything_else(fresh) == everything_else(any_ctx)
    # The fresh catalog keeps working: its ids go on from the imported ones.
    from tests.handover.archive import add_asset
    assert add_asset(fresh, b"new after import", "nuevo.jpg") > max(r["id"] for r in
                                                                    listing(any_ctx))
    again = CliRunner().invoke(cli(), ["handover", "import", str(bag), "--quiet"],
                               obj={"context": fresh})
    assert again.exit_code == 1 and "fresh Acervo" in again.output


def test_a_period_imports_though_an_album_cover_is_outside_it(ctx: Context, tmp_path: Path
                                                               ) -> None:
    ids = build_archive(ctx)
    with ctx.catalog.write() as session:
        session.get(Collection, ids["album"]).cover_asset_id = ids["late"]  # taken in 2026
        record_fixture_writes(session)
    export(ctx, tmp_path / "p", "--from", "2025-01-01", "--to", "2025-12-31")
    settings = make_settings(tmp_path / "fresh")
    init_catalog(settings)
    fresh = open_context(settings)
    try:
        result = CliRunner().invoke(cli(), ["handover", "import", str(tmp_path / "p"),
                                            "--quiet"], obj={"context": fresh})
        assert result.exit_code == 0, result.output
        with fresh.catalog.read() as session:
            album = session.get(Collection, ids["album"])
            assert album.cover_asset_id is None and len(album.items) == 2
        assert {r["id"] for r in listing(fresh)} == {ids["a"], ids["b"], ids["restricted"],
                                                     ids["scan"]}
    finally:
        fresh.close()


def test_a_missing_original_stops_the_export_with_its_asset(ctx: Context, tmp_path: Path
                                                             ) -> None:
    ids = build_archive(ctx)
    with ctx.catalog.read() as session:
        from dam.models import Asset
        key = session.get(Asset, ids["b"]).original_key
    ctx.store.delete(key)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notas.txt").write_text("mine")
    result = CliRunner().invoke(cli(), ["handover", "export", str(tmp_path / "home"), "--quiet"],
                                obj={"context": ctx})
    assert result.exit_code == 1 and "not empty and holds no bag" in result.output
    result = CliRunner().invoke(cli(), ["handover", "export", str(tmp_path / "e"), "--quiet"],
                                obj={"context": ctx})
    assert result.exit_code == 1
    assert f"asset {ids['b']}: its original is missing from the store" in result.output


def test_the_trash_is_not_handed_over(ctx: Context, tmp_path: Path) -> None:
    from dam.curation.actor import SYSTEM
    from dam.curation.trash import trash_assets

    ids = build_archive(ctx)
    with ctx.catalog.write() as session:
        trash_assets(session, SYSTEM, [ids["b"]])
    export(ctx, tmp_path / "p", "--from", "2025-03-01", "--to", "2025-12-31")
    got = {r["id"] for r in records(tmp_path / "p").values()}
    assert got == {ids["a"], ids["restricted"], ids["scan"]}
