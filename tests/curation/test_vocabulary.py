"""Controlled vocabularies, codes, caption templates and the append-only log, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from dam.cli import get_cli
from dam.context import Context
from dam.curation import audit, caption_templates, vocabulary
from dam.curation.actor import SYSTEM, Actor
from dam.curation.audit import AuditLogError, LogFilter
from dam.curation.templates import TemplateError, expand_codes
from dam.curation.vocabulary import VocabularyError, VocabularyPermissionError
from dam.enums import Role, VocabularyKind
from dam.errors import NotFoundError
from dam.models import AuditEntry, CaptionTemplate, User, VocabularyTerm
from tests.changefeed_check import record_fixture_writes

ADMIN = Actor(1, "admin", Role.ADMIN)
EDITOR = Actor(2, "editora", Role.EDITOR)
K = VocabularyKind


def _add(ctx: Context, kind: K, label: str, **kwargs: object) -> int:
    with ctx.catalog.write() as session:
        return vocabulary.add_term(session, ADMIN, kind, label, **kwargs).id  # type: ignore[arg-type]


def test_terms_are_added_edited_deactivated_and_audited(any_ctx: Context) -> None:
    territory = _add(any_ctx, K.TERRITORY, "Dirección Territorial San Lorenzo Tezonco")
    colonia = _add(any_ctx, K.COLONIA, "  San  Lorenzo   Tezonco ", code="=SLT",
                   parent_id=territory)
    with any_ctx.catalog.write() as session:
        term = session.get(VocabularyTerm, colonia)
        assert (term.label, term.code, term.parent_id) == ("San Lorenzo Tezonco", "slt", territory)
        vocabulary.update_term(session, ADMIN, colonia, label="San Lorenzo Tezonco",
                               code="tez", parent_id=territory, note="pueblo originario")
        vocabulary.deactivate(session, ADMIN, colonia)
    with any_ctx.catalog.read() as session:
        assert vocabulary.list_terms(session, K.COLONIA) == []
        [term] = vocabulary.list_terms(session, K.COLONIA, include_inactive=True)
        assert (term.code, term.note, term.active) == ("tez", "pueblo originario", False)
        log = audit.search_log(session, LogFilter(action="vocabulary"))
        changed = [(e.field, e.old_value, e.new_value) for e in log]
        assert ("active", True, False) in changed and ("code", "slt", "tez") in changed
        assert all(e.username == "admin" for e in log)
    with any_ctx.catalog.write() as session:
        vocabulary.reactivate(session, ADMIN, colonia)
    with any_ctx.catalog.read() as session:
        assert [t.label for t in vocabulary.list_terms(session, K.COLONIA)] == [
            "San Lorenzo Tezonco"]


def test_duplicates_bad_codes_and_wrong_parents_are_refused(any_ctx: Context) -> None:
    area = _add(any_ctx, K.AREA, "Dirección General de Obras", code="dgo")
    cases = [
        (K.AREA, "direccion general de obras", {}, "already a term"),
        (K.PLACE, "Explanada", {"code": "DGO"}, "already used"),  # codes are case-insensitive
        (K.PLACE, "Explanada", {"code": "con espacio"}, "code"),
        (K.PLACE, "Explanada", {"code": "x" * 33}, "code"),
        (K.COLONIA, "Santa Cruz", {"parent_id": area}, "territory"),
        (K.AREA, "   ", {}, "label"),
    ]
    for kind, label, kwargs, message in cases:
        with pytest.raises(VocabularyError, match=message), any_ctx.catalog.write() as session:
            vocabulary.add_term(session, ADMIN, kind, label, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(VocabularyPermissionError), any_ctx.catalog.write() as session:
        vocabulary.add_term(session, EDITOR, K.AREA, "Cultura")
    with pytest.raises(NotFoundError), any_ctx.catalog.write() as session:
        vocabulary.deactivate(session, ADMIN, 9999)
    with any_ctx.catalog.read() as session:
        assert session.scalar(select(VocabularyTerm.id).where(
            VocabularyTerm.label == "Explanada")) is None


def test_a_term_cannot_be_its_own_ancestor(any_ctx: Context) -> None:
    parent = _add(any_ctx, K.AREA, "Dirección General de Desarrollo Social")
    child = _add(any_ctx, K.AREA, "Subdirección de Programas", parent_id=parent)
    with pytest.raises(VocabularyError, match="under itself"), \
            any_ctx.catalog.write() as session:
        vocabulary.update_term(session, ADMIN, parent, label="Dirección General de Desarrollo "
                               "Social", code=None, parent_id=child, note=None)


TERRITORIES = "Aculco\nCabeza de Juárez\nSan Lorenzo Tezonco\n"
COLONIAS = """label,code,parent
Santa Cruz Meyehualco,scm,Cabeza de Juárez
"Barrio San Pablo, Iztapalapa",,Aculco
San Lorenzo Tezonco,,San Lorenzo Tezonco
# a comment line
Unidad Habitacional Vicente Guerrero,vg,
"""


def test_import_is_idempotent_and_reports_what_it_did(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session:
        first = vocabulary.import_terms(session, SYSTEM, K.TERRITORY, TERRITORIES)
        colonias = vocabulary.import_terms(session, SYSTEM, K.COLONIA, COLONIAS)
    assert first.added == ["Aculco", "Cabeza de Juárez", "San Lorenzo Tezonco"]
    assert len(colonias.added) == 4 and "Barrio San Pablo, Iztapalapa" in colonias.added
    with any_ctx.catalog.write() as session:
        again = vocabulary.import_terms(session, SYSTEM, K.COLONIA, COLONIAS)
        changed = vocabulary.import_terms(
            session, SYSTEM, K.COLONIA, "santa cruz meyehualco,meye,Aculco\n")
    assert (again.added, again.updated, again.unchanged) == ([], [], 4)
    assert (changed.added, changed.updated) == ([], ["Santa Cruz Meyehualco"])
    with any_ctx.catalog.read() as session:
        terms = vocabulary.list_terms(session, K.COLONIA)
        assert len(terms) == 4
        parents = vocabulary.labels_by_id(session, [t.parent_id for t in terms])
        by_label = {t.label: (t.code, parents.get(t.parent_id)) for t in terms}
        assert by_label["Santa Cruz Meyehualco"] == ("meye", "Aculco")
        assert by_label["Unidad Habitacional Vicente Guerrero"] == ("vg", None)
        assert len(audit.search_log(session, LogFilter(field="import"))) == 3


def test_a_bad_import_line_changes_nothing(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session:
        vocabulary.import_terms(session, SYSTEM, K.TERRITORY, "Aculco\n")
    bad_lines = ("Nueva\nOtra,,Territorio inexistente\n", "Nueva\nOtra,código malo\n",
                 "Nueva\nOtra,a,b,c\n", "Nueva,dup\nOtra,DUP\n")
    for bad in bad_lines:
        with pytest.raises(VocabularyError, match="line 2"), any_ctx.catalog.write() as session:
            vocabulary.import_terms(session, SYSTEM, K.COLONIA, bad)
    with any_ctx.catalog.read() as session:
        assert vocabulary.list_terms(session, K.COLONIA, include_inactive=True) == []


def test_suggest_is_accent_and_case_insensitive_prefixes_first(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session:
        vocabulary.import_terms(session, SYSTEM, K.COLONIA, "\n".join([
            "Iztapalapa Centro", "San Lorenzo Tezonco", "Tezonco Norte", "Ñecaxa",
            "Ejército de Oriente", "Lomas de Zaragoza"]))
        hidden = vocabulary.add_term(session, SYSTEM, K.COLONIA, "Tezontle")
        vocabulary.deactivate(session, SYSTEM, hidden.id)
        vocabulary.add_term(session, SYSTEM, K.PLACE, "Tezonco (explanada)")
    with any_ctx.catalog.read() as session:
        def find(prefix: str, limit: int = 10) -> list[str]:
            return vocabulary.suggest(session, K.COLONIA, prefix, limit)

        assert find("iztapa") == ["Iztapalapa Centro"]
        assert find("TEZONCO") == ["Tezonco Norte", "San Lorenzo Tezonco"]
        assert find("ejercito") == ["Ejército de Oriente"]
        assert find("necaxa") == ["Ñecaxa"]
        assert find("san  lorenzo te") == ["San Lorenzo Tezonco"]
        assert find("orenzo") == []  # words match from their start only
        assert find("de", limit=1) == ["Ejército de Oriente"]
        assert len(find("")) == 6


def test_codes_feed_expand_codes(any_ctx: Context) -> None:
    _add(any_ctx, K.PLACE, "Cabeza de Juárez", code="cb")
    _add(any_ctx, K.PERSON, "Aleida Alavez", code="AA")
    gone = _add(any_ctx, K.PLACE, "Foro viejo", code="fv")
    with any_ctx.catalog.write() as session:
        vocabulary.deactivate(session, SYSTEM, gone)
    with any_ctx.catalog.read() as session:
        codes = vocabulary.codes(session)
    assert codes == {"cb": "Cabeza de Juárez", "aa": "Aleida Alavez"}
    typed = "=AA inauguró el parque en =cb. Correo: a=cb, =fv y =zz."
    assert expand_codes(typed, codes) == (
        "Aleida Alavez inauguró el parque en Cabeza de Juárez. Correo: a=cb, =fv y =zz.")


def test_caption_templates_are_validated_previewed_and_audited(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session:
        session.add(User(id=ADMIN.user_id, username="admin", role=Role.ADMIN))
    body = "{fotografo} / {evento}, {lugar}, {fecha}."
    with any_ctx.catalog.write() as session:
        template = caption_templates.create_template(session, ADMIN, "Evento", body)
        template_id = template.id
    for name, bad, message in (("Otro", "Foto de {lugr}", r"\{lugr\}"),
                               ("Otro", "Foto de {lugar", "malformed"),
                               ("Evento", "{evento}", "already exists"),
                               ("", "{evento}", "name")):
        with pytest.raises(TemplateError, match=message), any_ctx.catalog.write() as session:
            caption_templates.create_template(session, ADMIN, name, bad)
    with pytest.raises(TemplateError), any_ctx.catalog.write() as session:
        caption_templates.create_template(session, EDITOR, "Mío", "{evento}")
    with any_ctx.catalog.write() as session:
        caption_templates.update_template(session, ADMIN, template_id, "Evento corto",
                                          "{evento} ({area})")
    with any_ctx.catalog.read() as session:
        [saved] = caption_templates.list_templates(session)
        assert (saved.name, saved.body) == ("Evento corto", "{evento} ({area})")
        log = audit.search_log(session, LogFilter(action="caption_template"))
        fields = {e.field for e in log}
        assert fields == {"add", "name", "body"}
    assert caption_templates.preview(body, {"lugar": None, "fotografo": "Luis Ruiz"}) == (
        "Luis Ruiz / Inauguración del mercado, 14 de marzo de 2025.")
    assert caption_templates.preview("{evento}", {"evento": "Feria 🎉 معرض"}) == "Feria 🎉 معرض"
    with any_ctx.catalog.write() as session:
        caption_templates.delete_template(session, ADMIN, template_id)
    with any_ctx.catalog.read() as session:
        assert session.scalars(select(CaptionTemplate)).all() == []
    with pytest.raises(NotFoundError), any_ctx.catalog.write() as session:
        caption_templates.delete_template(session, ADMIN, template_id)


def test_the_audit_log_refuses_update_and_delete(any_ctx: Context) -> None:
    with any_ctx.catalog.write() as session:
        entry_id = audit.record(session, ADMIN, "edit", asset_id=1, field="caption",
                                old="antes", new="después").id
        session.flush()
        entry_id = audit.search_log(session, LogFilter())[0].id
    with pytest.raises(AuditLogError), any_ctx.catalog.write() as session:
        session.get(AuditEntry, entry_id).new_value = "falsificado"
        record_fixture_writes(session)
    with pytest.raises(AuditLogError), any_ctx.catalog.write() as session:
        session.delete(session.get(AuditEntry, entry_id))
        record_fixture_writes(session)
    for statement in ("UPDATE audit_log SET new_value = NULL",
                      "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), \
                any_ctx.catalog.engine.begin() as conn:
            conn.execute(text(statement))
    with any_ctx.catalog.read() as session:
        entry = session.get(AuditEntry, entry_id)
        assert (entry.old_value, entry.new_value) == ("antes", "después")


def test_cli_vocab_and_audit(ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAM_DATA_DIR", str(ctx.settings.data_dir))
    runner, cli = CliRunner(), get_cli()

    def dam(*args: str, code: int = 0) -> str:
        out = runner.invoke(cli, list(args), obj={})
        assert out.exit_code == code, out.output
        return out.output

    listing = tmp_path / "territorios.txt"
    listing.write_text("\ufeffAculco\nCabeza de Juárez\n", encoding="utf-8")
    assert "2 added, 0 updated, 0 unchanged" in dam("vocab", "import", "territory", str(listing))
    assert "0 added, 0 updated, 2 unchanged" in dam("vocab", "import", "territory", str(listing))
    added = dam("vocab", "add", "colonia", "Santa Cruz Meyehualco", "--code", "SCM",
                "--parent", "cabeza de juarez")
    assert "Santa Cruz Meyehualco (=scm)" in added
    assert "is not a term of territory" in dam("vocab", "add", "colonia", "Otra", "--parent",
                                               "Nadie", code=1)
    assert "already used" in dam("vocab", "add", "place", "Otro", "--code", "scm", code=1)
    dam("vocab", "list", "nonsense", code=2)
    listed = dam("vocab", "list", "colonia")
    assert "=scm" in listed and "Santa Cruz Meyehualco  [Cabeza de Juárez]" in listed

    with ctx.catalog.write() as session:
        audit.record(session, EDITOR, "edit", asset_id=7, field="caption", old="=SUM(A1)",
                     new="Pie nuevo " + "x" * 100)
    everything = dam("audit")
    assert everything.index("caption") < everything.index("import")  # newest first
    mine = dam("audit", "--asset", "7", "--user", "editora", "--action", "edit")
    assert mine.count("\n") == 1 and "=SUM(A1) -> Pie nuevo xxx" in mine and "…" in mine
    assert "no entries" in dam("audit", "--user", "nadie")
    assert len(dam("audit", "--limit", "2").splitlines()) == 2
