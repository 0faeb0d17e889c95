"""Rights and restrictions of assets: what blocks publication, and what the public may see.

An asset can be approved or published only when :func:`publication_blockers` is empty; the
public sees exactly the assets :func:`public_clause` allows. Both take ``now`` from the caller
on every request, so an embargo lifts when its moment passes, without a restart.

Restrictions only tighten without an editor: a photographer may add one to their own asset
(minors, sensitive, internal use, a longer embargo) but lifting one is an editor's decision,
audited like every rights change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import Session, joinedload

from dam import changes as change_feed
from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role, WorkflowState
from dam.errors import DamError
from dam.models import Asset, ConsentAsset, ConsentForm, utcnow

OFFICE_TZ = ZoneInfo("America/Mexico_City")
CHUNK = 500  # ids per IN (...): SQLite allows a limited number of bound variables
RIGHTS_FIELDS = ("licence", "embargo_until", "internal_only", "contains_minors", "sensitive")
# Photographers know whom they photographed: they may restrict their own assets, never lift.
RESTRICTIONS = frozenset({"embargo_until", "internal_only", "contains_minors", "sensitive"})


class RightsError(DamError):
    """A rights change that cannot be made (an unknown licence, a value of the wrong type)."""


class StaleEditError(DamError):
    """The asset changed since the editor loaded it: the edit is refused, not applied over."""

    def __init__(self, asset_id: int, expected: int, current: int) -> None:
        super().__init__(
            f"asset {asset_id} was changed by someone else (version {current}, "
            f"the edit was based on {expected})"
        )
        self.asset_id, self.expected, self.current = asset_id, expected, current


@dataclass(frozen=True)
class Blocker:
    """Why an asset cannot be approved or published: ``code`` for programs, ``detail`` for UI."""

    code: str  # embargoed, internal_only, minors_without_consent, consent_expired,
    # consent_revoked, blackout (an electoral blackout stops publishing)
    detail: str = ""
    until: dt.datetime | None = None  # embargoed: when it lifts (UTC)
    consent_id: int | None = None  # consent_expired / consent_revoked: which form
    on: dt.date | dt.datetime | None = None  # when it expired or was revoked


@dataclass
class Refusal:
    """One asset a change was not applied to, and why (``reason`` is a short code)."""

    asset_id: int
    reason: str  # not_found, not_allowed, not_owner, needs_editor, invalid_step, blocked
    detail: str = ""
    blockers: list[Blocker] = field(default_factory=list)


@dataclass
class ChangeResult:
    """What a change over a selection did: the assets changed, and those held back."""

    changed: list[int] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """An aware UTC datetime; naive values (as SQLite returns them) are taken to be UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def office_today(now: dt.datetime) -> dt.date:
    """The date in Mexico City at ``now``: consent forms expire by the office's calendar."""
    utc = as_utc(now)
    assert utc is not None
    return utc.astimezone(OFFICE_TZ).date()


def local_to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time typed in Mexico City (naive) as an aware UTC datetime."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=OFFICE_TZ)
    return local.astimezone(dt.UTC)


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def owns(actor: Actor, asset: Asset) -> bool:
    """Whether the asset came in a batch the actor uploaded."""
    return actor.user_id is not None and asset.batch is not None and (
        asset.batch.user_id == actor.user_id
    )


# --- Consent: which forms are valid for an asset --------------------------------------------


def consent_is_valid(form: ConsentForm, today: dt.date) -> bool:
    return form.revoked_at is None and (form.expires_on is None or form.expires_on >= today)


def linked_consents(session: Session, asset_ids: Sequence[int]) -> dict[int, list[ConsentForm]]:
    """The consent forms linked to each asset (ids with none are left out)."""
    found: dict[int, list[ConsentForm]] = {}
    for part in chunks(list(asset_ids)):
        rows = session.execute(
            select(ConsentAsset.asset_id, ConsentForm)
            .join(ConsentForm, ConsentForm.id == ConsentAsset.consent_id)
            .where(ConsentAsset.asset_id.in_(part))
            .order_by(ConsentForm.id)
        )
        for asset_id, form in rows:
            found.setdefault(asset_id, []).append(form)
    return found


def _lapsed(form: ConsentForm) -> Blocker:
    if form.revoked_at is not None:
        when = as_utc(form.revoked_at)
        return Blocker("consent_revoked", f"consent form {form.id} was revoked on {when:%Y-%m-%d}",
                       consent_id=form.id, on=when)
    return Blocker("consent_expired", f"consent form {form.id} expired on {form.expires_on}",
                   consent_id=form.id, on=form.expires_on)


def consent_blockers(asset: Asset, forms: Sequence[ConsentForm], now: dt.datetime
                     ) -> list[Blocker]:
    """Minors with no valid consent for minors; a lapsed consent not replaced by a valid one."""
    today = office_today(now)
    valid = [f for f in forms if consent_is_valid(f, today)]
    lapsed = [f for f in forms if not consent_is_valid(f, today)]
    if asset.contains_minors and not any(f.covers_minor for f in valid):
        lapsed_minor = [f for f in lapsed if f.covers_minor]
        if lapsed_minor:
            return [_lapsed(f) for f in lapsed_minor]
        return [Blocker("minors_without_consent",
                        "it shows minors and no valid consent form covers it")]
    if lapsed and not valid:
        return [_lapsed(f) for f in lapsed]
    return []


def restriction_blockers(asset: Asset, now: dt.datetime) -> list[Blocker]:
    """The asset's own restrictions: an embargo not yet over, internal use only."""
    blockers = []
    until = as_utc(asset.embargo_until)
    if until is not None and until > as_utc(now):  # type: ignore[operator]
        blockers.append(Blocker("embargoed", f"under embargo until {until:%Y-%m-%d %H:%M} UTC",
                                until=until))
    if asset.internal_only:
        blockers.append(Blocker("internal_only", "marked for internal use only"))
    return blockers


def publication_blockers(session: Session, asset: Asset, now: dt.datetime) -> list[Blocker]:
    """Why the asset may not be approved or published now (empty: it may)."""
    forms = linked_consents(session, [asset.id]).get(asset.id, [])
    return restriction_blockers(asset, now) + consent_blockers(asset, forms, now)


def blockers_for(session: Session, assets: Sequence[Asset], now: dt.datetime
                 ) -> dict[int, list[Blocker]]:
    """:func:`publication_blockers` of many assets with one consent query per chunk."""
    forms = linked_consents(session, [a.id for a in assets])
    return {a.id: restriction_blockers(a, now) + consent_blockers(a, forms.get(a.id, []), now)
            for a in assets}


def warnings(asset: Asset) -> list[str]:
    """What an editor should weigh before publishing, without blocking it."""
    return ["sensitive"] if asset.sensitive else []


def public_clause(now: dt.datetime) -> ColumnElement[bool]:
    """A condition on Asset meaning "the public may see it" at ``now`` (same rules as blockers).

    During an electoral blackout, assets published since it began stay hidden unless excepted
    (:func:`dam.publishing.blackout.newly_published_clause`).
    """
    # Imported here: the blackout module builds on this one (its time zone, as_utc).
    from dam.publishing.blackout import newly_published_clause

    utc = as_utc(now)
    today = office_today(now)
    linked = and_(ConsentAsset.asset_id == Asset.id, ConsentForm.id == ConsentAsset.consent_id)
    is_valid = and_(ConsentForm.revoked_at.is_(None),
                    or_(ConsentForm.expires_on.is_(None), ConsentForm.expires_on >= today))
    has_valid = exists().where(linked, is_valid)
    has_valid_minor = exists().where(linked, is_valid, ConsentForm.covers_minor.is_(True))
    has_lapsed = exists().where(linked, not_(is_valid))
    return and_(
        Asset.trashed_at.is_(None),
        Asset.workflow_state == WorkflowState.PUBLISHED,
        Asset.internal_only.is_(False),
        or_(Asset.embargo_until.is_(None), Asset.embargo_until <= utc),
        or_(Asset.contains_minors.is_(False), has_valid_minor),
        or_(not_(has_lapsed), has_valid),
        not_(newly_published_clause(now)),
    )


# --- Changing rights -------------------------------------------------------------------------


def clean_changes(changes: Mapping[str, Any], licences: Collection[str]) -> dict[str, Any]:
    """The changes checked and normalised (embargo in UTC); raises RightsError."""
    unknown = sorted(set(changes) - set(RIGHTS_FIELDS))
    if unknown:
        raise RightsError(f"not a rights field: {', '.join(unknown)}")
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "licence":
            if value is not None and value not in licences:
                raise RightsError(f"unknown licence {value!r}; use one of {', '.join(licences)}")
        elif name == "embargo_until":
            if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
                raise RightsError("embargo_until must be a date and time with its time zone")
            value = as_utc(value)
        elif not isinstance(value, bool):
            raise RightsError(f"{name} must be true or false")
        clean[name] = value
    return clean


def lifts(asset: Asset, name: str, new: Any, now: dt.datetime) -> bool:
    """Whether setting ``name`` to ``new`` loosens one of the asset's restrictions at ``now``:
    unticking a flag, or removing or shortening an embargo that is still running."""
    if name == "embargo_until":
        old = as_utc(asset.embargo_until)
        if old is None or old <= as_utc(now):  # type: ignore[operator]
            return False  # no embargo in force: nothing to lift
        return new is None or as_utc(new) < old  # type: ignore[operator]
    return name in RESTRICTIONS and bool(getattr(asset, name)) and not new


def _may_set(actor: Actor, asset: Asset, clean: Mapping[str, Any], now: dt.datetime
             ) -> str | None:
    """None when the actor may make these changes to the asset, else the refusal reason."""
    if actor.at_least(Role.EDITOR):
        return None
    if not actor.at_least(Role.PHOTOGRAPHER) or not set(clean) <= RESTRICTIONS:
        return "not_allowed"
    if not owns(actor, asset):
        return "not_owner"
    if any(lifts(asset, name, value, now) for name, value in clean.items()):
        return "needs_editor"
    return None


def _apply(session: Session, actor: Actor, asset: Asset, clean: Mapping[str, Any],
           now: dt.datetime) -> bool:
    changed = False
    for name, new in clean.items():
        old = getattr(asset, name)
        if name == "embargo_until":
            old = as_utc(old)
        if old == new:
            continue
        detail = "restriction lifted" if lifts(asset, name, new, now) else None
        setattr(asset, name, new)
        audit.record(session, actor, "rights", asset_id=asset.id, field=name, old=old, new=new,
                     detail=detail)
        changed = True
    if changed:
        asset.edit_version = (asset.edit_version or 1) + 1
    return changed


def set_rights(
    session: Session,
    actor: Actor,
    asset_ids: Sequence[int],
    changes: Mapping[str, Any],
    *,
    licences: Collection[str],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ChangeResult:
    """Set rights fields on assets; each asset is changed wholly or refused with its reason.

    Below editor, a change that lifts a restriction (see :func:`lifts`) is refused with
    ``needs_editor``. ``expected_version`` (for one asset) refuses the change with
    :class:`StaleEditError` when someone else changed the asset since the editor loaded it.
    """
    clean = clean_changes(changes, licences)
    now = now or utcnow()
    result = ChangeResult()
    ids = list(dict.fromkeys(asset_ids))
    for part in chunks(ids):
        assets = {a.id: a for a in session.scalars(
            select(Asset).where(Asset.id.in_(part)).options(joinedload(Asset.batch)))}
        for asset_id in part:
            asset = assets.get(asset_id)
            if asset is None:
                result.refused.append(Refusal(asset_id, "not_found"))
                continue
            if expected_version is not None and asset.edit_version != expected_version:
                raise StaleEditError(asset_id, expected_version, asset.edit_version)
            reason = _may_set(actor, asset, clean, now)
            if reason is not None:
                result.refused.append(Refusal(asset_id, reason))
            elif _apply(session, actor, asset, clean, now):
                result.changed.append(asset_id)
            else:
                result.unchanged.append(asset_id)
    change_feed.record(session, result.changed, "updated")
    session.flush()
    return result
