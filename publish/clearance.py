"""Which assets of a selection may leave with an export profile, and why the others may not.

Every export (gallery, press kit, social formats) asks here, so "held back" means the same thing
everywhere: a restriction the profile blocks (dam.curation.rights blockers), or, for profiles
that block "unapproved", a workflow state other than approved or published.

A photo whose only obstacle is a minor without consent still leaves when the editor chose to
blur (the collection's ``blur_minors`` policy) and staff marked the minors' faces: every public
export then blurs those faces (:func:`faces_to_blur`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dam.curation.faces import in_blurring_collections, minor_faces_to_blur
from dam.curation.rights import blockers_for
from dam.enums import MediaType, WorkflowState
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


MINORS = "minors_without_consent"


def clear_for_export(session: Session, assets: Sequence[Asset], profile: ExportProfile,
                     now: dt.datetime, *, blur_minors: bool | None = None
                     ) -> tuple[list[Asset], list[Held]]:
    """(assets that may be exported, in the given order; assets held back, with reasons).

    ``blur_minors``: the policy of the collection exported (None: an asset follows the policy
    of any collection it is in).
    """
    blockers = blockers_for(session, assets, now)
    blurred = _blurrable(session, assets, now, blur_minors)
    cleared: list[Asset] = []
    held: list[Held] = []
    for asset in assets:
        if asset.trashed_at is not None:  # whatever the profile: the trash never leaves
            held.append(Held(asset.id, ("trashed",), ("in the trash",)))
            continue
        found = [(b.code, b.detail) for b in blockers.get(asset.id, []) if b.code in profile.blocks
                 and not (b.code == MINORS and asset.id in blurred)]
        if "unapproved" in profile.blocks and WorkflowState(asset.workflow_state) not in (
                CLEARED_STATES):
            found.append(("unapproved", f"workflow state is {WorkflowState(asset.workflow_state)}"))
        if found:
            held.append(Held(asset.id, tuple(c for c, _ in found), tuple(d for _, d in found)))
        else:
            cleared.append(asset)
    return cleared, held


def _blurrable(session: Session, assets: Sequence[Asset], now: dt.datetime,
               blur_minors: bool | None) -> set[int]:
    """Assets whose minors' faces will be blurred instead of the asset being held back."""
    if blur_minors is False:
        return set()
    # Photos only: a video's frames cannot be blurred (its poster could, its proxy not).
    with_minors = [a.id for a in assets if a.contains_minors and a.media_type == MediaType.PHOTO]
    boxes = minor_faces_to_blur(session, with_minors, now)
    if blur_minors is None:
        return set(boxes) & in_blurring_collections(session, list(boxes))
    return set(boxes)


def faces_to_blur(session: Session, asset_ids: Sequence[int], profile: ExportProfile,
                  now: dt.datetime) -> dict[int, list[tuple[float, float, float, float]]]:
    """The face boxes an export with ``profile`` blurs: minors' faces without consent, in every
    export whose profile guards minors (public ones); none for internal profiles."""
    if MINORS not in profile.blocks:
        return {}
    return minor_faces_to_blur(session, asset_ids, now)
