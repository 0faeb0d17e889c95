"""The point of interest of a picture: where social-format crops centre (editors set it)."""

from __future__ import annotations

import logging
import math

from sqlalchemy.orm import Session

from dam import changes
from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role
from dam.errors import DamError, NotFoundError
from dam.models import Asset

log = logging.getLogger(__name__)


class PointOfInterestError(DamError):
    """A point of interest that cannot be set (the message says why)."""


class PointOfInterestPermissionError(PointOfInterestError):
    """Only editors and administrators set points of interest."""


def checked_point(x: float | None, y: float | None) -> tuple[float, float] | None:
    """(x, y) as fractions of the upright picture, or None for "guess it"; refuses the rest."""
    if x is None and y is None:
        return None
    if x is None or y is None:
        raise PointOfInterestError("give both x and y, or neither to go back to the automatic "
                                   "point")
    for name, value in (("x", x), ("y", y)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PointOfInterestError(f"{name} must be a number between 0 and 1")
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise PointOfInterestError(f"{name} must be between 0 and 1 (a fraction of the "
                                       f"picture), not {value}")
    return round(float(x), 4), round(float(y), 4)


def set_point_of_interest(session: Session, actor: Actor, asset_id: int,
                          x: float | None, y: float | None) -> Asset:
    """Set (or, with None, reset to automatic) the asset's point of interest, audited.

    Bumps ``edit_version`` so a form opened before the change is refused, as other edits are.
    """
    if not actor.at_least(Role.EDITOR):
        raise PointOfInterestPermissionError("only editors and administrators set the point "
                                             "of interest")
    point = checked_point(x, y)
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFoundError(f"asset {asset_id} does not exist")
    old = None if asset.poi_x is None or asset.poi_y is None else [asset.poi_x, asset.poi_y]
    new = None if point is None else list(point)
    if old == new:
        return asset
    asset.poi_x, asset.poi_y = point if point is not None else (None, None)
    changes.record(session, [asset_id], "updated")
    asset.edit_version += 1
    audit.record(session, actor, "edit", asset_id=asset_id, field="poi", old=old, new=new)
    log.info("asset %s: point of interest %s -> %s by %s", asset_id, old, new, actor.username)
    return asset
