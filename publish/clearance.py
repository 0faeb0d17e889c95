"""Which assets of a selection may leave with an export profile, and why the others may not.

Every export (gallery, press kit, social formats) asks here, so "held back" means the same thing
everywhere: a restriction the profile blocks (dam.curation.rights blockers), or, for profiles
that block "unapproved", a workflow state other than approved or published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dam.curation.rights import blockers_for
from dam.enums import WorkflowState
from dam.models import Asset
from publish.profiles import ExportProfile

CLEARED_STATES = frozenset({WorkflowState.APPROVED, WorkflowState.PUBLISHED})


@dataclass(frozen=True)
class Held:
    """An asset held back, with the codes (and their details) of every reason."""

    asset_id: int
    reasons: tuple[str, ...]
    details: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {"asset_id": self.asset_id, "reasons": list(self.reasons),
                "details": list(self.details)}


def clear_for_export(session: Session, assets: Sequence[Asset], profile: ExportProfile,
                     now: dt.datetime) -> tuple[list[Asset], list[Held]]:
    """(assets that may be exported, in the given order; assets held back, with reasons)."""
    blockers = blockers_for(session, assets, now)
    cleared: list[Asset] = []
    held: list[Held] = []
    for asset in assets:
        if asset.trashed_at is not None:  # whatever the profile: the trash never leaves
            held.append(Held(asset.id, ("trashed",), ("in the trash",)))
            continue
        found = [(b.code, b.detail) for b in blockers.get(asset.id, []) if b.code in profile.blocks]
        if "unapproved" in profile.blocks and WorkflowState(asset.workflow_state) not in (
                CLEARED_STATES):
            found.append(("unapproved", f"workflow state is {WorkflowState(asset.workflow_state)}"))
        if found:
            held.append(Held(asset.id, tuple(c for c, _ in found), tuple(d for _, d in found)))
        else:
            cleared.append(asset)
    return cleared, held
