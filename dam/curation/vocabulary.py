"""Controlled vocabularies: terms admins manage, suggestions for fields, and ``=code`` shortcuts."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role, VocabularyKind
from dam.errors import DamError, NotFoundError
from dam.models import VocabularyTerm
from dam.search.synonyms import split_group

CODE_PATTERN = re.compile(r"[a-z0-9_-]{1,32}")
MAX_LABEL = 500
MAX_NOTE = 5000
# A colonia belongs to a territorial division; other terms may nest under their own kind.
PARENT_KIND = {VocabularyKind.COLONIA: VocabularyKind.TERRITORY}
_HEADER_CELLS = {"label", "etiqueta", "nombre", "termino", "term"}


class VocabularyError(DamError):
    """A term that cannot be saved as asked (a duplicate, a bad code, a missing parent)."""


class VocabularyPermissionError(VocabularyError):
    """Someone who is not an administrator tried to change a vocabulary."""


def fold(text: str) -> str:
    """``text`` without accents and case, for matching ("Iztapalapa" ~ "iztapalapa")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parent_kind(kind: VocabularyKind) -> VocabularyKind:
    return PARENT_KIND.get(kind, kind)


def clean_label(label: str) -> str:
    cleaned = " ".join((label or "").split())
    if not cleaned:
        raise VocabularyError("a term needs a label")
    if len(cleaned) > MAX_LABEL:
        raise VocabularyError(f"a label has at most {MAX_LABEL} characters")
    return cleaned


def clean_code(code: str | None) -> str | None:
    """A code as stored (lower case), or None when empty; VocabularyError when malformed."""
    code = (code or "").strip().lstrip("=").lower()
    if not code:
        return None
    if not CODE_PATTERN.fullmatch(code):
        raise VocabularyError(
            f"code {code!r}: use 1 to 32 lower-case letters, digits, '-' or '_' (e.g. cb)"
        )
    return code


def check_label(kind: VocabularyKind, label: str) -> str:
    """A synonym group names two words or more, separated by "=" ("sismo = temblor")."""
    if kind == VocabularyKind.SYNONYM and len(split_group(label)) < 2:
        raise VocabularyError(
            f"{label!r}: a synonym group needs two or more words separated by '=' "
            "(sismo = temblor)")
    return label


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise VocabularyError(f"a note has at most {MAX_NOTE} characters")
    return note or None


def _require_admin(actor: Actor) -> None:
    if not actor.at_least(Role.ADMIN):
        raise VocabularyPermissionError("only administrators manage the vocabularies")


def get_term(session: Session, term_id: int) -> VocabularyTerm:
    term = session.get(VocabularyTerm, term_id)
    if term is None:
        raise NotFoundError(f"vocabulary term {term_id} does not exist")
    return term


def _check_code_free(session: Session, code: str | None, term_id: int | None) -> None:
    if code is None:
        return
    owner = session.scalars(select(VocabularyTerm).where(VocabularyTerm.code == code)).first()
    if owner is not None and owner.id != term_id:
        raise VocabularyError(
            f"code {code!r} is already used by {owner.label!r} ({owner.vocabulary.value})"
        )


def _same_label(session: Session, kind: VocabularyKind, label: str) -> VocabularyTerm | None:
    wanted = fold(label)
    terms = session.scalars(select(VocabularyTerm).where(VocabularyTerm.vocabulary == kind))
    return next((t for t in terms if fold(t.label) == wanted), None)


def find_parent(session: Session, kind: VocabularyKind, label: str | None) -> int | None:
    """The id of the term of ``kind``'s parent vocabulary labelled ``label`` (None: no parent)."""
    if not label or not label.strip():
        return None
    pkind = parent_kind(kind)
    parent = _same_label(session, pkind, clean_label(label))
    if parent is None:
        raise VocabularyError(f"parent {label.strip()!r} is not a term of {pkind.value}")
    return parent.id


def _check_parent(session: Session, kind: VocabularyKind, parent_id: int | None,
                  term_id: int | None = None) -> None:
    if parent_id is None:
        return
    parent = session.get(VocabularyTerm, parent_id)
    if parent is None or parent.vocabulary != parent_kind(kind):
        raise VocabularyError(f"parent {parent_id} is not a term of {parent_kind(kind).value}")
    seen = {term_id}
    while parent is not None:  # a term cannot become its own ancestor
        if parent.id in seen:
            raise VocabularyError("a term cannot be placed under itself")
        seen.add(parent.id)
        parent = session.get(VocabularyTerm, parent.parent_id) if parent.parent_id else None


def _snapshot(term: VocabularyTerm) -> dict[str, object]:
    return {"label": term.label, "code": term.code, "parent_id": term.parent_id,
            "note": term.note, "active": term.active}


def add_term(session: Session, actor: Actor, kind: VocabularyKind, label: str, *,
             code: str | None = None, parent_id: int | None = None,
             note: str | None = None) -> VocabularyTerm:
    """A new active term; VocabularyError for a duplicate label (any accents) or a taken code."""
    _require_admin(actor)
    label, code = check_label(kind, clean_label(label)), clean_code(code)
    if _same_label(session, kind, label) is not None:
        raise VocabularyError(f"{label!r} is already a term of {kind.value}")
    _check_code_free(session, code, None)
    _check_parent(session, kind, parent_id)
    term = VocabularyTerm(vocabulary=kind, label=label, code=code, parent_id=parent_id,
                          note=_clean_note(note), active=True)
    session.add(term)
    session.flush()
    audit.record(session, actor, "vocabulary", field="add", new=_snapshot(term),
                 detail=f"{kind.value} term #{term.id} added: {label}")
    return term


def update_term(session: Session, actor: Actor, term_id: int, *, label: str,
                code: str | None, parent_id: int | None, note: str | None) -> VocabularyTerm:
    """Change a term's label, code, parent and note (each change is audited)."""
    _require_admin(actor)
    term = get_term(session, term_id)
    label, code = check_label(term.vocabulary, clean_label(label)), clean_code(code)
    same = _same_label(session, term.vocabulary, label)
    if same is not None and same.id != term.id:
        raise VocabularyError(f"{label!r} is already a term of {term.vocabulary.value}")
    _check_code_free(session, code, term.id)
    _check_parent(session, term.vocabulary, parent_id, term.id)
    _apply(session, actor, term, {"label": label, "code": code, "parent_id": parent_id,
                                  "note": _clean_note(note)})
    return term


def _apply(session: Session, actor: Actor, term: VocabularyTerm,
           values: dict[str, object]) -> bool:
    """Set changed values on ``term``, one audit entry per field; whether anything changed."""
    changed = False
    for name, new in values.items():
        old = getattr(term, name)
        if old == new:
            continue
        setattr(term, name, new)
        audit.record(session, actor, "vocabulary", field=name, old=old, new=new,
                     detail=f"{term.vocabulary.value} term #{term.id}: {term.label}")
        changed = True
    return changed


def set_active(session: Session, actor: Actor, term_id: int, active: bool) -> VocabularyTerm:
    """Deactivate (no longer suggested, kept on assets) or reactivate a term."""
    _require_admin(actor)
    term = get_term(session, term_id)
    _apply(session, actor, term, {"active": active})
    return term


def deactivate(session: Session, actor: Actor, term_id: int) -> VocabularyTerm:
    return set_active(session, actor, term_id, False)


def reactivate(session: Session, actor: Actor, term_id: int) -> VocabularyTerm:
    return set_active(session, actor, term_id, True)


def list_terms(session: Session, kind: VocabularyKind, *,
               include_inactive: bool = False) -> list[VocabularyTerm]:
    """A vocabulary's terms in alphabetical order, accents aside."""
    query = select(VocabularyTerm).where(VocabularyTerm.vocabulary == kind)
    if not include_inactive:
        query = query.where(VocabularyTerm.active.is_(True))
    return sorted(session.scalars(query), key=lambda t: (fold(t.label), t.label))


def count_terms(session: Session) -> dict[VocabularyKind, int]:
    """How many active terms each vocabulary has."""
    counts = dict.fromkeys(VocabularyKind, 0)
    query = select(VocabularyTerm.vocabulary).where(VocabularyTerm.active.is_(True))
    for kind in session.scalars(query):
        counts[kind] += 1
    return counts


def labels_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Labels of the given terms (parents shown beside their children)."""
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = session.execute(select(VocabularyTerm.id, VocabularyTerm.label)
                               .where(VocabularyTerm.id.in_(chunk)))
        found.update({row.id: row.label for row in rows})
    return found


def _word_starts(folded: str) -> Iterable[int]:
    yield 0
    for match in re.finditer(r"[^\w]+", folded):
        yield match.end()


def suggest(session: Session, kind: VocabularyKind, prefix: str, limit: int = 10) -> list[str]:
    """Active labels starting with ``prefix``, or with a word starting with it, accents aside.

    Labels that start with the prefix come first ("iztapa" finds "Iztapalapa"; "tezonco" finds
    "San Lorenzo Tezonco"). Vocabularies hold thousands of terms at most, so this folds in Python
    the same way on SQLite and PostgreSQL.
    """
    wanted = fold(" ".join(prefix.split()))
    query = select(VocabularyTerm.label).where(
        VocabularyTerm.vocabulary == kind, VocabularyTerm.active.is_(True)
    )
    starts: list[tuple[str, str]] = []
    inside: list[tuple[str, str]] = []
    for label in session.scalars(query):
        folded = fold(label)
        if folded.startswith(wanted):
            starts.append((folded, label))
        elif any(folded.startswith(wanted, i) for i in _word_starts(folded)):
            inside.append((folded, label))
    return [label for _f, label in sorted(starts) + sorted(inside)][:limit]


def codes(session: Session) -> dict[str, str]:
    """Every active term's code and label, for :func:`dam.curation.templates.expand_codes`."""
    query = select(VocabularyTerm.code, VocabularyTerm.label).where(
        VocabularyTerm.code.is_not(None), VocabularyTerm.active.is_(True)
    )
    return {row.code: row.label for row in session.execute(query)}


@dataclass
class ImportReport:
    """What an import did: labels added and updated, and how many lines were already current."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass(frozen=True)
class _Row:
    line: int
    label: str
    code: str | None
    parent: str | None


def parse_import(text: str) -> list[_Row]:
    """Rows of ``label[,code[,parent label]]``: one label per line, or CSV (quote commas)."""
    rows: list[_Row] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for cells in reader:
        line = reader.line_num
        cells = [c.strip() for c in cells]
        if not cells or not cells[0] or cells[0].startswith("#"):
            continue
        if not rows and fold(cells[0]) in _HEADER_CELLS:
            continue
        if len(cells) > 3:
            raise VocabularyError(f"line {line}: expected label[,code[,parent]], "
                                  f"got {len(cells)} columns (quote labels with commas)")
        try:
            label = clean_label(cells[0])
            code = clean_code(cells[1] if len(cells) > 1 else None)
        except VocabularyError as exc:
            raise VocabularyError(f"line {line}: {exc}") from None
        rows.append(_Row(line, label, code, (cells[2] if len(cells) > 2 else "") or None))
    return rows


def _index(session: Session, kind: VocabularyKind) -> dict[str, VocabularyTerm]:
    terms = session.scalars(select(VocabularyTerm).where(VocabularyTerm.vocabulary == kind))
    return {fold(t.label): t for t in terms}


@dataclass
class _Known:
    """The terms an import matches against, loaded once (an import may have thousands of lines)."""

    terms: dict[str, VocabularyTerm]
    parents: dict[str, VocabularyTerm]
    codes: dict[str, int]


def import_terms(session: Session, actor: Actor, kind: VocabularyKind,
                 text: str) -> ImportReport:
    """Add or update terms from lines or CSV, all or none; running it again changes nothing.

    A label already present (accents and case aside) is updated with the code and parent given,
    never duplicated; empty columns leave the term's code or parent as it is.
    """
    _require_admin(actor)
    rows = parse_import(text)
    terms = _index(session, kind)
    parents = terms if parent_kind(kind) == kind else _index(session, parent_kind(kind))
    taken = session.execute(select(VocabularyTerm.code, VocabularyTerm.id)
                            .where(VocabularyTerm.code.is_not(None)))
    known = _Known(terms, parents, {row.code: row.id for row in taken})
    report = ImportReport()
    for row in rows:
        try:
            _import_row(session, actor, kind, row, known, report)
        except VocabularyError as exc:
            raise VocabularyError(f"line {row.line}: {exc}") from None
    if report.added or report.updated:
        audit.record(session, actor, "vocabulary", field="import",
                     new={"added": report.added, "updated": report.updated},
                     detail=f"{kind.value}: {len(report.added)} added, "
                            f"{len(report.updated)} updated")
    return report


def _import_row(session: Session, actor: Actor, kind: VocabularyKind, row: _Row,
                known: _Known, report: ImportReport) -> None:
    check_label(kind, row.label)
    parent = known.parents.get(fold(row.parent)) if row.parent else None
    if row.parent and parent is None:
        raise VocabularyError(f"parent {row.parent!r} is not a term of {parent_kind(kind).value}")
    existing = known.terms.get(fold(row.label))
    owner = known.codes.get(row.code) if row.code else None
    if owner is not None and (existing is None or owner != existing.id):
        raise VocabularyError(f"code {row.code!r} is already used by another term")
    if existing is None:
        term = VocabularyTerm(vocabulary=kind, label=row.label, code=row.code,
                              parent_id=parent.id if parent else None, active=True)
        session.add(term)
        session.flush()
        known.terms[fold(row.label)] = term
        if row.code:
            known.codes[row.code] = term.id
        report.added.append(row.label)
        return
    values: dict[str, object] = {}
    if row.code is not None:
        values["code"] = row.code
        known.codes[row.code] = existing.id
    if parent is not None:
        _check_parent(session, kind, parent.id, existing.id)
        values["parent_id"] = parent.id
    if _apply(session, actor, existing, values):
        report.updated.append(existing.label)
    else:
        report.unchanged += 1
