"""Editorial workflow: the declared steps between states, and who may take each one.

``TRANSITIONS`` is the whole policy: (from, to) -> the least role that may take the step.
Photographers may only move assets of batches they uploaded; editors and admins move any.
Approving or publishing also needs the asset to be clear of restrictions (dam.curation.rights),
and nothing is published while an electoral blackout is in force, civil-protection and health
exceptions aside (dam.publishing.blackout).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from dam import changes
from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.rights import (
    Blocker,
    ChangeResult,
    Refusal,
    StaleEditError,
    as_utc,
    blockers_for,
    chunks,
    owns,
)
from dam.enums import Role
from dam.enums import WorkflowState as S
from dam.models import Asset
from dam.publishing.blackout import blackout_holds, refusal_text

TRANSITIONS: dict[tuple[S, S], Role] = {
    (S.DRAFT, S.REVIEWED): Role.PHOTOGRAPHER,  # own assets only
    (S.REVIEWED, S.APPROVED): Role.EDITOR,
    (S.APPROVED, S.PUBLISHED): Role.EDITOR,
    # Back steps.
    (S.REVIEWED, S.DRAFT): Role.EDITOR,
    (S.APPROVED, S.REVIEWED): Role.EDITOR,
    (S.PUBLISHED, S.APPROVED): Role.EDITOR,
    # Withdrawal from anywhere, and a fresh start.
    (S.DRAFT, S.WITHDRAWN): Role.EDITOR,
    (S.REVIEWED, S.WITHDRAWN): Role.EDITOR,
    (S.APPROVED, S.WITHDRAWN): Role.EDITOR,
    (S.PUBLISHED, S.WITHDRAWN): Role.EDITOR,
    (S.WITHDRAWN, S.DRAFT): Role.EDITOR,
}
# Moving into these states needs publication_blockers() to be empty.
NEEDS_CLEARANCE = frozenset({S.APPROVED, S.PUBLISHED})


def step_refusal(actor: Actor, asset: Asset, target: S) -> Refusal | None:
    """Why ``actor`` may not move ``asset`` to ``target`` by role or step (None: they may)."""
    current = S(asset.workflow_state)
    least = TRANSITIONS.get((current, target))
    if least is None:
        return Refusal(asset.id, "invalid_step", f"{current.value} -> {target.value}")
    if not actor.at_least(least):
        return Refusal(asset.id, "not_allowed", f"{current.value} -> {target.value}")
    if not actor.at_least(Role.EDITOR) and not owns(actor, asset):
        return Refusal(asset.id, "not_owner")
    return None


def next_states(actor: Actor, asset: Asset) -> list[S]:
    """The states ``actor`` may try to move ``asset`` to (restrictions are checked on moving)."""
    return [to for (frm, to) in TRANSITIONS
            if frm == asset.workflow_state and step_refusal(actor, asset, to) is None]


def _move(session: Session, actor: Actor, asset: Asset, target: S) -> None:
    old = asset.workflow_state
    asset.workflow_state = target
    asset.edit_version = (asset.edit_version or 1) + 1
    changes.record(session, [asset.id], "updated")
    audit.record(session, actor, "state", asset_id=asset.id, field="workflow_state",
                 old=old, new=target)


def blackout_blockers(session: Session, assets: Sequence[Asset], now: dt.datetime
                       ) -> dict[int, list[Blocker]]:
    """The assets an electoral blackout in force stops from being published, with why."""
    period, held = blackout_holds(session, now, [a.id for a in assets])
    if period is None:
        return {}
    blocker = Blocker("blackout", refusal_text(period), until=as_utc(period.ends_at))
    return {asset_id: [blocker] for asset_id in held}


def _load(session: Session, ids: Sequence[int]) -> dict[int, Asset]:
    return {a.id: a for a in session.scalars(
        select(Asset).where(Asset.id.in_(ids)).options(joinedload(Asset.batch)))}


def change_state(
    session: Session,
    actor: Actor,
    asset_ids: Sequence[int],
    target: S,
    now: dt.datetime,
    *,
    expected_version: int | None = None,
) -> ChangeResult:
    """Move each asset to ``target`` when allowed; the rest are listed with their reasons.

    Assets already in ``target`` are reported unchanged; moving to published during an
    electoral blackout is refused (a ``blackout`` blocker) unless the asset is in an excepted
    collection. ``expected_version`` (one asset)
    raises :class:`StaleEditError` when the asset changed since the editor loaded it.
    """
    target = S(target)
    result = ChangeResult()
    for part in chunks(list(dict.fromkeys(asset_ids))):
        assets = _load(session, part)
        candidates = []
        for asset_id in part:
            asset = assets.get(asset_id)
            if asset is None:
                result.refused.append(Refusal(asset_id, "not_found"))
            elif expected_version is not None and asset.edit_version != expected_version:
                raise StaleEditError(asset_id, expected_version, asset.edit_version)
            elif asset.workflow_state == target:
                result.unchanged.append(asset_id)
            elif (refusal := step_refusal(actor, asset, target)) is not None:
                result.refused.append(refusal)
            else:
                candidates.append(asset)
        blockers = blockers_for(session, candidates, now) if target in NEEDS_CLEARANCE else {}
        if target == S.PUBLISHED:
            for asset_id, held in blackout_blockers(session, candidates, now).items():
                blockers[asset_id] = held + blockers.get(asset_id, [])
        for asset in candidates:
            if blockers.get(asset.id):
                result.refused.append(Refusal(asset.id, "blocked", blockers=blockers[asset.id]))
            else:
                _move(session, actor, asset, target)
                result.changed.append(asset.id)
    session.flush()
    return result
