"""Electoral blackouts (veda electoral): while one is in force, nothing is published.

The only exception the law allows is information on civil protection and health: an admin marks
a collection with :class:`dam.enums.BlackoutException` and a reason, and that is audited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation.rights import as_utc
from dam.models import BlackoutPeriod, Collection


def active_blackout(session: Session, now: dt.datetime) -> BlackoutPeriod | None:
    """The blackout in force at ``now`` (the one that ends last, if several overlap)."""
    utc = as_utc(now)
    return session.scalars(
        select(BlackoutPeriod)
        .where(BlackoutPeriod.starts_at <= utc, BlackoutPeriod.ends_at > utc)
        .order_by(BlackoutPeriod.ends_at.desc(), BlackoutPeriod.id)
        .limit(1)
    ).first()


def is_excepted(collection: Collection) -> bool:
    """Whether the collection may be published during a blackout (civil protection, health)."""
    return bool(collection.blackout_exception)
