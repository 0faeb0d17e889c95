"""Notices by email, each of which a person can turn off on their account page.

Housekeeping (web.housekeeping) looks for what happened and queues one mail per event through
dam.mail, each under a ``dedupe_key``, so several housekeeping processes or passes never mail
the same notice twice:

- a photographer's upload batch finished processing (with its failures and a link);
- a share link I made was opened or downloaded (at most one mail per link and day);
- new material in a saved search of mine (a daily digest);
- an embargo of material I approved ends within a day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from dam.context import Context
from dam.enums import AssetState, UploadState, WorkflowState
from dam.mail import base_url, mail_enabled
from dam.models import Asset, AuditEntry, Batch, SavedSearch, ShareLink, Upload, User
from web.mail import compose

log = logging.getLogger(__name__)

BATCH_DONE, SHARE_USED, SAVED_SEARCH, EMBARGO_ENDING = (
    "batch_done", "share_used", "saved_search", "embargo_ending")
NOTICES = (BATCH_DONE, SHARE_USED, SAVED_SEARCH, EMBARGO_ENDING)
LOOK_BACK = dt.timedelta(days=2)  # older events are not announced (e.g. when mail is turned on)
BATCH_QUIET = dt.timedelta(minutes=2)  # a batch is done once no file arrived for this long
DIGEST_EVERY = dt.timedelta(days=1)


@dataclass
class NoticeReport:
    batches: int = 0
    shares: int = 0
    digests: int = 0
    embargoes: int = 0


def wants(user: User | None, notice: str) -> bool:
    """True when ``user`` can be mailed and did not turn ``notice`` off."""
    return (user is not None and user.active and bool(user.email)
            and notice not in (user.notices_off or []))


def set_notices(session: Session, user_id: int, on: Iterable[str]) -> None:
    """Keep the notices ``user_id`` wants (every other known one is turned off)."""
    user = session.get(User, user_id)
    if user is not None:
        chosen = set(on)
        user.notices_off = [n for n in NOTICES if n not in chosen]


def send_notices(ctx: Context, now: dt.datetime) -> NoticeReport:
    """Queue every notice due now; nothing without a mail server."""
    report = NoticeReport()
    if not mail_enabled(ctx.settings):
        return report
    report.batches = _batches_done(ctx, now)
    report.shares = _shares_used(ctx, now)
    report.embargoes = _embargoes_ending(ctx, now)
    report.digests = _digests(ctx, now)
    return report


def _name(user: User) -> str:
    return user.display_name or user.username


def _batches_done(ctx: Context, now: dt.datetime) -> int:
    url, sent = base_url(ctx.settings), 0
    with ctx.catalog.write() as session:
        batches = session.scalars(select(Batch).where(
            Batch.user_id.is_not(None), Batch.created_at > now - LOOK_BACK)).all()
        for batch in batches:
            states = dict(session.execute(select(Asset.state, func.count()).where(
                Asset.batch_id == batch.id).group_by(Asset.state)).all())
            newest = session.scalar(select(func.max(Asset.created_at)).where(
                Asset.batch_id == batch.id))
            unfinished = session.scalar(select(func.count()).where(
                Upload.batch_id == batch.id,
                Upload.state.in_((UploadState.RECEIVING, UploadState.WAITING_STORE))))
            if (not states or states.keys() - {AssetState.READY, AssetState.FAILED}
                    or unfinished or newest is None or _utc(newest) > now - BATCH_QUIET):
                continue
            user = session.get(User, batch.user_id)
            if not wants(user, BATCH_DONE):
                continue
            assert user is not None and user.email
            failed, total = states.get(AssetState.FAILED, 0), sum(states.values())
            lines = [f"Terminó el procesamiento de su carga «{batch.event or 'sin evento'}»: "
                     f"{total} archivo(s)."]
            lines.append(f"{failed} archivo(s) no se pudieron procesar; los originales se "
                         "conservan y el detalle está en la página de la carga." if failed
                         else "Todos los archivos se procesaron sin errores.")
            if compose(session, ctx.settings, to=user.email, name=_name(user), kind=BATCH_DONE,
                       user_id=user.id, notice=True, dedupe_key=f"batch_done:{batch.id}",
                       subject=f"Carga lista: {batch.event or 'sin evento'}"
                               + (f" ({failed} con error)" if failed else ""),
                       lines=lines, link=f"{url}/cargas/{batch.id}",
                       link_label="Ver la carga") is not None:
                sent += 1
    return sent


_SHARE_WORDS = {"share_view": "abrió", "share_download": "descargó material de",
                "share_zip": "descargó el paquete de"}


def _shares_used(ctx: Context, now: dt.datetime) -> int:
    url, sent = base_url(ctx.settings), 0
    with ctx.catalog.write() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(tuple(_SHARE_WORDS)),
            AuditEntry.at > now - dt.timedelta(days=1))).all()
        uses: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for entry in entries:
            share_id = (entry.new_value or {}).get("share_id")
            if isinstance(share_id, int):
                uses[share_id][entry.action] += 1
        for share_id, counts in uses.items():
            link = session.get(ShareLink, share_id)
            user = session.get(User, link.created_by) if link and link.created_by else None
            if link is None or not wants(user, SHARE_USED):
                continue
            assert user is not None and user.email
            lines = [f"Alguien {_SHARE_WORDS[action]} su enlace «{link.title}» ({n} vez/veces "
                     "en las últimas 24 horas)." for action, n in sorted(counts.items())]
            lines.append(f"En total: {link.views} visita(s) y {link.downloads} descarga(s).")
            if compose(session, ctx.settings, to=user.email, name=_name(user), kind=SHARE_USED,
                       user_id=user.id, notice=True,
                       dedupe_key=f"share_used:{share_id}:{now.date().isoformat()}",
                       subject=f"Su enlace «{link.title}» se usó", lines=lines,
                       link=f"{url}/compartidos", link_label="Ver mis enlaces") is not None:
                sent += 1
    return sent


def _approver(session: Session, asset_id: int) -> int | None:
    """Who last approved ``asset_id`` (by the bitácora), if anyone signed in did."""
    changes = session.execute(select(AuditEntry.user_id, AuditEntry.new_value).where(
        AuditEntry.asset_id == asset_id, AuditEntry.field == "workflow_state",
    ).order_by(AuditEntry.id.desc()).limit(50)).all()
    return next((user_id for user_id, new in changes
                 if new == WorkflowState.APPROVED.value and user_id is not None), None)


def _embargoes_ending(ctx: Context, now: dt.datetime) -> int:
    url, sent = base_url(ctx.settings), 0
    with ctx.catalog.write() as session:
        assets = session.scalars(select(Asset).where(
            Asset.embargo_until > now, Asset.embargo_until <= now + dt.timedelta(days=1))).all()
        by_user: dict[int, list[Asset]] = defaultdict(list)
        for asset in assets:
            approver = _approver(session, asset.id)
            if approver is not None:
                by_user[approver].append(asset)
        for user_id, mine in by_user.items():
            user = session.get(User, user_id)
            if not wants(user, EMBARGO_ENDING):
                continue
            assert user is not None and user.email
            for asset in mine:
                until = _utc(asset.embargo_until).strftime("%d/%m/%Y %H:%M UTC")
                label = asset.headline or asset.original_filename
                if compose(session, ctx.settings, to=user.email, name=_name(user),
                           kind=EMBARGO_ENDING, user_id=user.id, notice=True,
                           dedupe_key=f"embargo:{asset.id}:{until}",
                           subject=f"Termina un embargo: {label}",
                           lines=[f"El embargo de «{label}», que "
                                  f"usted aprobó, termina el {until}."],
                           link=f"{url}/material/{asset.id}",
                           link_label="Ver el material") is not None:
                    sent += 1
    return sent


def _digests(ctx: Context, now: dt.datetime) -> int:
    due_before = now - DIGEST_EVERY
    with ctx.catalog.read() as session:
        due = [(s.id, s.owner_id, s.name, s.query, s.digest_at or s.created_at) for s in
               session.scalars(select(SavedSearch).where(
                   (SavedSearch.digest_at.is_(None) & (SavedSearch.created_at <= due_before))
                   | (SavedSearch.digest_at <= due_before)))]
    if not due:
        return 0
    from dam.search.service import SearchService

    search = SearchService(ctx.settings, ctx.catalog)
    found: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for search_id, owner_id, name, query, since in due:
        count = _count_new(ctx, search, query, _utc(since))
        with ctx.catalog.write() as session:
            stored = session.get(SavedSearch, search_id)
            if stored is None or (stored.digest_at and _utc(stored.digest_at) > due_before):
                continue  # another process took it
            stored.digest_at = now
        if count:
            found[owner_id].append((name, query, count))
    url, sent = base_url(ctx.settings), 0
    with ctx.catalog.write() as session:
        for owner_id, searches in found.items():
            user = session.get(User, owner_id)
            if not wants(user, SAVED_SEARCH):
                continue
            assert user is not None and user.email
            lines = [f"«{name}»: {count} material(es) nuevo(s) — {url}/buscar?{query}"
                     for name, query, count in searches]
            if compose(session, ctx.settings, to=user.email, name=_name(user), kind=SAVED_SEARCH,
                       user_id=user.id, notice=True,
                       dedupe_key=f"digest:{owner_id}:{now.date().isoformat()}",
                       subject="Material nuevo en sus búsquedas guardadas",
                       lines=["Desde el último resumen llegó material que coincide con sus "
                              "búsquedas guardadas:", *lines],
                       link=f"{url}/busquedas-guardadas",
                       link_label="Ver mis búsquedas") is not None:
                sent += 1
    return sent


def _count_new(ctx: Context, search: object, query: str, since: dt.datetime) -> int:
    """Assets matching a saved query added after ``since`` (0 when the search cannot run)."""
    from dam.search.service import MAX_PER_PAGE
    from web.forms import search_filters

    args = MultiDict(parse_qsl(query))
    text, filters = args.get("q", "").strip()[:1000], search_filters(args)
    try:
        results = search.search(text, page=1, per_page=MAX_PER_PAGE,  # type: ignore[attr-defined]
                                sort="added_desc", facets=False, filters=filters)
    except Exception as exc:  # no index on this node yet: no digest this time
        log.warning("saved search digest: search failed: %s", exc)
        return 0
    ids = [hit.asset_id for hit in results.hits]
    if results.error or results.corrected or results.relaxed or not ids:
        return 0
    with ctx.catalog.read() as session:
        return session.scalar(select(func.count(Asset.id)).where(
            Asset.id.in_(ids), Asset.created_at > since)) or 0


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
