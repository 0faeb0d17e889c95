"""Electoral blackouts (veda electoral): while one is in force, nothing is published.

The only exception the law allows is information on civil protection and health: an admin marks
a collection with :class:`dam.enums.BlackoutException` and a reason, and that is audited; an
asset is excepted when one of its collections is. While a blackout runs no asset moves to
*published* (:func:`blackout_holds`) and the public does not see the assets that moved there
after it began (:func:`newly_published_clause`), excepted ones aside.
Periods are set by admins and stored in UTC; every change is written to the audit log in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, select
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.rights import OFFICE_TZ, as_utc, chunks
from dam.enums import BlackoutException, Role
from dam.errors import DamError, NotFoundError
from dam.models import Asset, AuditEntry, BlackoutPeriod, Collection, CollectionItem

log = logging.getLogger(__name__)

REASON_MAX = 500
NOTICE_MAX = 5000
EXCEPTION_REASON_MAX = 2000


class BlackoutError(DamError):
    """A blackout period or exception that cannot be set (the message says why).

    ``code`` names the problem for the pages that word it in the reader's language:
    ``order`` (ends before it starts), ``required`` or ``too_long`` (a text), ``time_zone``.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


class BlackoutPermissionError(BlackoutError):
    """Only administrators set blackout periods and exceptions."""


class BlackoutRefusalError(BlackoutError):
    """Publishing refused because an electoral blackout is in force."""


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
    """Whether the collection may be published during a blackout (civil protection, health).

    :func:`excepted_clause` is the same rule in SQL: change both together.
    """
    return bool(collection.blackout_exception)


def excepted_clause() -> ColumnElement[bool]:
    """:func:`is_excepted` as a condition on Collection."""
    return and_(Collection.blackout_exception.is_not(None), Collection.blackout_exception != "")


def excepted_asset_clause() -> ColumnElement[bool]:
    """A condition on Asset: it is in an excepted collection, so a blackout does not stop it
    (as :func:`blocking_blackout` lets through material of any excepted collection)."""
    return exists().where(CollectionItem.asset_id == Asset.id,
                          Collection.id == CollectionItem.collection_id, excepted_clause())


def blackout_holds(session: Session, now: dt.datetime, asset_ids: Sequence[int]
                   ) -> tuple[BlackoutPeriod | None, set[int]]:
    """The blackout in force at ``now`` and which of ``asset_ids`` it stops from being
    published (all but the excepted); ``(None, set())`` when none is in force."""
    period = active_blackout(session, now)
    if period is None or not asset_ids:
        return period, set()
    excepted: set[int] = set()
    for part in chunks(list(asset_ids)):
        excepted.update(session.scalars(
            select(Asset.id).where(Asset.id.in_(part), excepted_asset_clause())))
    return period, set(asset_ids) - excepted


def newly_published_clause(now: dt.datetime) -> ColumnElement[bool]:
    """A condition on Asset: a blackout is in force at ``now`` and the asset's workflow state
    changed since it began (so a published asset became published during it), and the asset
    is not excepted. The public does not see such assets until the blackout ends.

    The moment comes from the audit log (every state change is recorded there, indexed by
    asset), so no column is needed; one SQL condition, for lists as for single pages.
    """
    utc = as_utc(now)
    moved_since = exists().where(AuditEntry.asset_id == Asset.id,
                                 AuditEntry.field == "workflow_state",
                                 AuditEntry.at >= BlackoutPeriod.starts_at
                                 ).correlate_except(AuditEntry)
    in_force = exists().where(BlackoutPeriod.starts_at <= utc, BlackoutPeriod.ends_at > utc,
                              moved_since)
    return and_(in_force, not_(excepted_asset_clause()))


def blocking_blackout(session: Session, now: dt.datetime,
                      collections: Iterable[Collection]) -> BlackoutPeriod | None:
    """The blackout that stops material of ``collections`` from going out at ``now``: None when
    none is in force, or when one of the collections is excepted (civil protection, health).

    Every export that is not the gallery asks here (gallery membership, press kits, social
    formats); the gallery keeps only excepted collections itself.
    """
    period = active_blackout(session, now)
    if period is None or any(is_excepted(c) for c in collections):
        return None
    return period


def _require_admin(actor: Actor) -> None:
    if not actor.at_least(Role.ADMIN):
        raise BlackoutPermissionError("only administrators set electoral blackouts and exceptions")


def _clean_text(value: str | None, name: str, limit: int, *, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise BlackoutError(f"the {name} is required", "required")
    if len(text) > limit:
        raise BlackoutError(f"the {name} is too long (at most {limit} characters)", "too_long")
    return text or None


def _aware_utc(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BlackoutError(f"the {name} needs a time zone", "time_zone")
    return moment.astimezone(dt.UTC)


def period_json(period: BlackoutPeriod) -> dict[str, Any]:
    """What the audit log keeps of a period."""
    return {"id": period.id, "starts_at": as_utc(period.starts_at),
            "ends_at": as_utc(period.ends_at), "reason": period.reason, "notice": period.notice}


def add_period(session: Session, actor: Actor, starts_at: dt.datetime, ends_at: dt.datetime,
               reason: str, notice: str | None = None) -> BlackoutPeriod:
    """A new blackout in [starts_at, ends_at) (aware datetimes), audited."""
    _require_admin(actor)
    start, end = _aware_utc(starts_at, "start"), _aware_utc(ends_at, "end")
    if end <= start:
        raise BlackoutError("the blackout must end after it starts", "order")
    clean_reason = _clean_text(reason, "reason", REASON_MAX, required=True)
    assert clean_reason is not None
    period = BlackoutPeriod(starts_at=start, ends_at=end, reason=clean_reason,
                            notice=_clean_text(notice, "notice", NOTICE_MAX, required=False),
                            created_by=actor.user_id)
    session.add(period)
    session.flush()
    audit.record(session, actor, "blackout", field="period", new=period_json(period))
    log.info("blackout %s added by %s: %s to %s", period.id, actor.username, start, end)
    return period


def remove_period(session: Session, actor: Actor, period_id: int) -> None:
    """Delete a period (a mistaken one, or one cancelled), audited with what it was."""
    _require_admin(actor)
    period = session.get(BlackoutPeriod, period_id)
    if period is None:
        raise NotFoundError(f"blackout period {period_id} does not exist")
    audit.record(session, actor, "blackout", field="period", old=period_json(period))
    session.delete(period)
    log.info("blackout %s removed by %s", period_id, actor.username)


def list_periods(session: Session) -> Sequence[BlackoutPeriod]:
    """Every period, the latest start first."""
    return session.scalars(
        select(BlackoutPeriod).order_by(BlackoutPeriod.starts_at.desc(), BlackoutPeriod.id.desc())
    ).all()


def refusal_text(period: BlackoutPeriod) -> str:
    """Why publishing is refused during ``period`` (the end in Mexico City time)."""
    end = as_utc(period.ends_at)
    assert end is not None
    local = end.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")
    return (f"electoral blackout in force until {local} (Mexico City time): {period.reason}. "
            "Only civil-protection and health information may be published.")


def blackout_refusal(session: Session, now: dt.datetime) -> str | None:
    """The reason publishing is refused at ``now``, or None when no blackout is in force."""
    period = active_blackout(session, now)
    return None if period is None else refusal_text(period)


def _exception_json(collection: Collection) -> dict[str, Any] | None:
    if not collection.blackout_exception:
        return None
    return {"kind": collection.blackout_exception, "reason": collection.blackout_exception_reason}


def set_exception(session: Session, actor: Actor, collection_id: int,
                  kind: BlackoutException | None, reason: str | None) -> Collection:
    """Mark a collection as civil-protection or health information (``kind``), or clear it.

    Setting one needs a written reason; both setting and clearing are audited.
    """
    _require_admin(actor)
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFoundError(f"collection {collection_id} does not exist")
    clean = _clean_text(reason, "reason for the exception", EXCEPTION_REASON_MAX,
                        required=kind is not None)
    old = _exception_json(collection)
    collection.blackout_exception = None if kind is None else BlackoutException(kind).value
    collection.blackout_exception_reason = None if kind is None else clean
    new = _exception_json(collection)
    if old != new:
        audit.record(session, actor, "blackout_exception", collection_id=collection_id,
                     field="blackout_exception", old=old, new=new,
                     detail=clean if kind is None else None)
    return collection
