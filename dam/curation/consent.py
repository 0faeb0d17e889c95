"""Consent forms: the signed permission to publish people's images, and the assets each covers.

The scanned form is itself an asset. A form covers the assets linked to it explicitly (by hand,
or every asset showing one of its persons); it covers a minor only when ``covers_minor`` is set,
and an expired or revoked form covers nothing.

Clearing an approved or published asset is an editor's decision: below editor, a form that
covers minors, or one that would lift a consent blocker, is not linked to such an asset.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.rights import (
    chunks,
    consent_blockers,
    consent_is_valid,
    linked_consents,
    owns,
)
from dam.enums import Role, WorkflowState
from dam.errors import DamError, NotFoundError
from dam.models import Asset, ConsentAsset, ConsentForm, utcnow

MAX_PERSONS = 50
MAX_TEXT = 2000
# Linking a form to an asset in these states may make it public at once.
CLEARED_STATES = frozenset({WorkflowState.APPROVED, WorkflowState.PUBLISHED})


class ConsentError(DamError):
    """A consent change that cannot be made; ``code`` is not_allowed, needs_editor or invalid.

    ``asset_ids``: the assets the refusal is about (needs_editor: those only an editor may
    clear).
    """

    def __init__(self, code: str, message: str, asset_ids: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.asset_ids = list(asset_ids)


@dataclass(frozen=True)
class ConsentDraft:
    """What a new consent form says (the scanned document is an asset already in the archive)."""

    document_asset_id: int
    persons: Sequence[str]
    covers_minor: bool = False
    guardian: str | None = None
    signed_on: dt.date | None = None
    expires_on: dt.date | None = None
    scope: str | None = None


def fold_name(name: str) -> str:
    """A person's name compared without accents, case or extra spaces: "Peña " == "pena"."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _clean_persons(persons: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(p.split()) for p in persons if p and p.strip()))
    if not cleaned:
        raise ConsentError("invalid", "a consent form must name at least one person")
    if len(cleaned) > MAX_PERSONS or any(len(p) > 500 for p in cleaned):
        raise ConsentError("invalid", f"at most {MAX_PERSONS} persons of 500 characters each")
    return cleaned


def _check_draft(draft: ConsentDraft) -> None:
    if draft.covers_minor and not (draft.guardian or "").strip():
        raise ConsentError("invalid", "a consent for a minor needs the guardian who signed it")
    if draft.signed_on and draft.expires_on and draft.expires_on < draft.signed_on:
        raise ConsentError("invalid", "a consent form cannot expire before it was signed")
    if len(draft.scope or "") > MAX_TEXT or len(draft.guardian or "") > 500:
        raise ConsentError("invalid", "the guardian or the scope is too long")


def _may_link(actor: Actor, asset: Asset) -> bool:
    return actor.at_least(Role.EDITOR) or (actor.at_least(Role.PHOTOGRAPHER) and owns(actor, asset))


def clears(session: Session, form: ConsentForm, assets: Sequence[Asset], now: dt.datetime
           ) -> list[int]:
    """The approved or published assets that linking ``form`` would clear: it covers minors,
    or it lifts one of their consent blockers (a lapsed form replaced)."""
    cleared = [a for a in assets if a.workflow_state in CLEARED_STATES]
    if not cleared:
        return []
    forms = linked_consents(session, [a.id for a in cleared])
    found = []
    for asset in cleared:
        before = consent_blockers(asset, forms.get(asset.id, []), now)
        after = consent_blockers(asset, [*forms.get(asset.id, []), form], now)
        if form.covers_minor or any(b not in after for b in before):
            found.append(asset.id)
    return found


def _assets(session: Session, ids: Sequence[int]) -> dict[int, Asset]:
    found: dict[int, Asset] = {}
    for part in chunks(list(dict.fromkeys(ids))):
        found.update((a.id, a) for a in session.scalars(
            select(Asset).where(Asset.id.in_(part)).options(joinedload(Asset.batch))))
    return found


def get_consent(session: Session, consent_id: int) -> ConsentForm:
    form = session.get(ConsentForm, consent_id)
    if form is None:
        raise NotFoundError(f"consent form {consent_id} does not exist")
    return form


def create_consent(session: Session, actor: Actor, draft: ConsentDraft) -> ConsentForm:
    """Record a signed form; photographers may record forms whose scan they uploaded."""
    if not actor.at_least(Role.PHOTOGRAPHER):
        raise ConsentError("not_allowed", "only photographers and editors record consent forms")
    document = _assets(session, [draft.document_asset_id]).get(draft.document_asset_id)
    if document is None:
        raise ConsentError("invalid", f"asset {draft.document_asset_id} (the scanned form) "
                                      "does not exist")
    if not _may_link(actor, document):
        raise ConsentError("not_allowed", "you may only record forms you uploaded yourself")
    _check_draft(draft)
    form = ConsentForm(
        document_asset_id=document.id, persons=_clean_persons(draft.persons),
        covers_minor=draft.covers_minor, guardian=(draft.guardian or "").strip() or None,
        signed_on=draft.signed_on, expires_on=draft.expires_on,
        scope=(draft.scope or "").strip() or None, created_by=actor.user_id,
    )
    session.add(form)
    session.flush()
    audit.record(session, actor, "consent", asset_id=document.id, field="consent_form",
                 new={"id": form.id, "persons": form.persons, "expires_on": form.expires_on},
                 detail=f"consent form {form.id} recorded")
    return form


def cover_assets(session: Session, actor: Actor, consent_id: int, asset_ids: Sequence[int],
                 now: dt.datetime | None = None) -> list[int]:
    """Link assets to the form; returns the ids newly covered.

    Refuses others' assets (not_allowed) and, below editor, approved or published assets the
    form would clear (needs_editor, see :func:`clears`).
    """
    form = get_consent(session, consent_id)
    assets = _assets(session, asset_ids)
    missing = [i for i in dict.fromkeys(asset_ids) if i not in assets]
    if missing:
        raise ConsentError("invalid", f"no such asset(s): {', '.join(map(str, missing[:10]))}")
    refused = [a.id for a in assets.values() if not _may_link(actor, a)]
    if refused:
        raise ConsentError("not_allowed", "you may only link your own photos: "
                                          + ", ".join(map(str, refused[:10])), refused)
    linked = _linked_ids(session, form.id, list(assets))
    if not actor.at_least(Role.EDITOR):
        held = clears(session, form, [a for a in assets.values() if a.id not in linked],
                      now or utcnow())
        if held:
            raise ConsentError("needs_editor", "only an editor may clear approved or published "
                               "material: " + ", ".join(map(str, held[:10])), held)
    added = [i for i in assets if i not in linked]
    for asset_id in added:
        session.add(ConsentAsset(consent_id=form.id, asset_id=asset_id))
        audit.record(session, actor, "consent", asset_id=asset_id, field="consent_forms",
                     new=form.id, detail=f"covered by consent form {form.id}")
    session.flush()
    return added


def _linked_ids(session: Session, consent_id: int, asset_ids: Sequence[int]) -> set[int]:
    linked: set[int] = set()
    for part in chunks(list(asset_ids)):
        linked.update(session.scalars(select(ConsentAsset.asset_id).where(
            ConsentAsset.consent_id == consent_id, ConsentAsset.asset_id.in_(part))))
    return linked


def uncover_assets(session: Session, actor: Actor, consent_id: int, asset_ids: Sequence[int]
                   ) -> list[int]:
    """Unlink assets from the form (editors only); returns the ids that were linked."""
    form = get_consent(session, consent_id)
    if not actor.at_least(Role.EDITOR):
        raise ConsentError("not_allowed", "only editors remove assets from a consent form")
    linked = sorted(_linked_ids(session, form.id, list(dict.fromkeys(asset_ids))))
    for part in chunks(linked):
        session.execute(delete(ConsentAsset).where(
            ConsentAsset.consent_id == form.id, ConsentAsset.asset_id.in_(part)))
    for asset_id in linked:
        audit.record(session, actor, "consent", asset_id=asset_id, field="consent_forms",
                     old=form.id, detail=f"no longer covered by consent form {form.id}")
    session.expire(form, ["covered"])
    return linked


def assets_showing(session: Session, person: str) -> list[int]:
    """Ids of assets whose persons_shown lists ``person`` (accents and case ignored)."""
    wanted = fold_name(person)
    if not wanted:
        return []
    rows = session.execute(
        select(Asset.id, Asset.persons_shown).order_by(Asset.id).execution_options(yield_per=2000)
    )
    return [asset_id for asset_id, shown in rows
            if shown and any(fold_name(str(p)) == wanted for p in shown)]


def cover_person(session: Session, actor: Actor, consent_id: int, person: str,
                 now: dt.datetime | None = None) -> list[int]:
    """Link every asset showing ``person`` that the actor may link; returns the ids added.

    Others' assets are left out; one the actor may not clear refuses it all (needs_editor).
    """
    form = get_consent(session, consent_id)
    assets = _assets(session, assets_showing(session, person))
    allowed = [a.id for a in assets.values() if _may_link(actor, a)]
    return cover_assets(session, actor, form.id, allowed, now) if allowed else []


def revoke(session: Session, actor: Actor, consent_id: int, now: dt.datetime | None = None
           ) -> ConsentForm:
    """Mark the form revoked (editors only): it stops covering its assets at once."""
    form = get_consent(session, consent_id)
    if not actor.at_least(Role.EDITOR):
        raise ConsentError("not_allowed", "only editors revoke consent forms")
    if form.revoked_at is None:
        form.revoked_at = now or utcnow()
        audit.record(session, actor, "consent", asset_id=form.document_asset_id,
                     field="revoked_at", new=form.revoked_at,
                     detail=f"consent form {form.id} revoked")
        session.flush()
    return form


def valid_consents_for(session: Session, asset: Asset, today: dt.date) -> list[ConsentForm]:
    """The forms linked to the asset that are neither expired nor revoked on ``today``."""
    forms = linked_consents(session, [asset.id]).get(asset.id, [])
    return [f for f in forms if consent_is_valid(f, today)]


def consents_of(session: Session, asset_id: int) -> list[ConsentForm]:
    """Every form linked to the asset, valid or not (for its page)."""
    return linked_consents(session, [asset_id]).get(asset_id, [])


def list_consents(session: Session, actor: Actor, limit: int = 500) -> list[ConsentForm]:
    """Newest first; photographers see the forms they recorded, editors all of them."""
    query = select(ConsentForm).order_by(ConsentForm.id.desc()).limit(limit)
    if not actor.at_least(Role.EDITOR):
        query = query.where(ConsentForm.created_by == actor.user_id)
    return list(session.scalars(query))


def covered_ids(session: Session, consent_id: int, limit: int = 1000) -> list[int]:
    return list(session.scalars(select(ConsentAsset.asset_id).where(
        ConsentAsset.consent_id == consent_id).order_by(ConsentAsset.asset_id).limit(limit)))
