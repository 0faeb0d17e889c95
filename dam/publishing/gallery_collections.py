"""Which collections are in the public gallery: editors put them in and take them out.

A collection is in the gallery while ``published_at`` is set. During an electoral blackout only
collections excepted as civil-protection or health information may be put in; taking one out is
always allowed (withdrawing never breaks the blackout).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role
from dam.errors import NotFoundError
from dam.models import Collection, utcnow
from dam.publishing.blackout import (
    BlackoutError,
    BlackoutRefusalError,
    blocking_blackout,
    refusal_text,
)

log = logging.getLogger(__name__)


class GalleryPermissionError(BlackoutError):
    """Only editors and administrators choose what is in the public gallery."""


def set_in_gallery(session: Session, actor: Actor, collection_id: int, on: bool,
                   now: dt.datetime | None = None) -> bool:
    """Put the collection in the gallery (``on``) or take it out; False when nothing changed.

    Raises :class:`BlackoutRefusalError` when putting a collection in during a blackout, unless
    the collection is excepted.
    """
    if not actor.at_least(Role.EDITOR):
        raise GalleryPermissionError("only editors and administrators choose what is in the "
                                     "public gallery")
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFoundError(f"collection {collection_id} does not exist")
    now = now or utcnow()
    if on == (collection.published_at is not None):
        return False
    if on:
        period = blocking_blackout(session, now, [collection])
        if period is not None:
            raise BlackoutRefusalError(refusal_text(period))
    old = collection.published_at
    collection.published_at = now if on else None
    collection.published_by = actor.user_id if on else None
    audit.record(session, actor, "gallery", collection_id=collection_id, field="published_at",
                 old=old, new=collection.published_at)
    log.info("collection %s %s the gallery by %s", collection_id,
             "added to" if on else "removed from", actor.username)
    return True


def gallery_collections(session: Session) -> Sequence[Collection]:
    """The collections in the gallery, the most recently put in first."""
    return session.scalars(
        select(Collection).where(Collection.published_at.is_not(None))
        .order_by(Collection.published_at.desc(), Collection.id.desc())
    ).all()
