"""OCR in the catalog: which pages wait to be read, what was read, and where a word is.

Pages to read get an ``OcrPage`` row and the asset gets ``ocr_pages`` jobs at low priority
(``OCR_PRIORITY``: after processing and proxies), up to ``PARALLEL_JOBS`` at a time, so every
worker can share a long document and a photo never waits behind more than the page a worker is
reading. Each job claims one page at a time (``claim_page``) until its time slice is used or
other work is due, then leaves the rest to the jobs still queued (``follow_up`` tops them up);
a job that finds no page left ends at once. What it read is kept per page, and the asset's
``document_text`` is composed again from the PDF's own text and the pages read
(``compose_text``): the search index takes OCR text through the same document builder and
field as PDF text. Pages read with a confidence under ``ocr_min_confidence`` are flagged for
review; a page that cannot be read is kept as failed and flagged, never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from dam import changes
from dam.db import among, dialect_is_sqlite
from dam.enums import JobKind, JobState, MediaType, OcrState
from dam.models import Asset, Job, OcrPage, utcnow
from dam.queue import enqueue

OCR_PRIORITY = 300  # processing is 100, proxies 200: OCR runs when nothing else waits
PARALLEL_JOBS = 8  # OCR jobs queued per document at a time: one per worker that may help
MAX_PAGE_TRIES = 2  # a page whose reading killed its worker twice is failed, not retried forever
PAGE_BREAK = "\f"


def queue_ocr(session: Any, asset_id: int, pages: Iterable[int], max_attempts: int) -> int:
    """Queue ``pages`` of the asset for OCR (pages already read are kept); pages queued."""
    wanted = sorted(set(pages))
    if not wanted:
        return 0
    rows = {row.page: row for row in session.scalars(
        select(OcrPage).where(OcrPage.asset_id == asset_id))}
    waiting = 0
    for number in wanted:
        row = rows.get(number)
        if row is None:
            session.add(OcrPage(asset_id=asset_id, page=number, state=OcrState.QUEUED,
                                words=[]))
            waiting += 1
        elif row.state in (OcrState.QUEUED, OcrState.FAILED):
            row.state, row.tries, row.job_id, row.error = OcrState.QUEUED, 0, None, None
            waiting += 1
    if waiting:
        _add_jobs(session, asset_id, min(waiting, PARALLEL_JOBS), max_attempts)
    return waiting


def _add_jobs(session: Any, asset_id: int, wanted: int, max_attempts: int) -> None:
    queued = session.scalar(select(func.count()).select_from(Job).where(
        Job.asset_id == asset_id, Job.kind == JobKind.OCR_PAGES,
        Job.state == JobState.QUEUED)) or 0
    for _ in range(max(0, wanted - queued)):
        enqueue(session, JobKind.OCR_PAGES, asset_id, priority=OCR_PRIORITY,
                max_attempts=max_attempts)


def follow_up(session: Any, asset_id: int, max_attempts: int) -> None:
    """Jobs for the pages still waiting (as many as could run at once, less those queued): a
    job that stopped early, to let other work through, leaves its pages to them."""
    waiting = session.scalar(select(func.count()).select_from(OcrPage).where(
        OcrPage.asset_id == asset_id, OcrPage.state == OcrState.QUEUED)) or 0
    if waiting:
        _add_jobs(session, asset_id, min(waiting, PARALLEL_JOBS), max_attempts)


def has_pages_for(session: Any, asset_id: int, job_id: int, stale_before: dt.datetime
                  ) -> bool:
    """Whether job ``job_id`` would find a page to read (``claim_page``'s three kinds), so an
    idle one ends before fetching the original from the store."""
    running = OcrPage.state == OcrState.RUNNING
    waiting = (OcrPage.state == OcrState.QUEUED) | (running & (OcrPage.job_id == job_id)) | (
        running & (OcrPage.claimed_at < stale_before))
    return session.scalars(select(OcrPage.id).where(OcrPage.asset_id == asset_id, waiting)
                           .limit(1)).first() is not None


@dataclass(frozen=True)
class PageClaim:
    page: int
    tries: int


def claim_page(session: Any, asset_id: int, job_id: int, stale_before: dt.datetime
               ) -> PageClaim | None:
    """The next page for job ``job_id``: one it held when its worker died, else a queued one,
    else one whose reader has been gone since ``stale_before``. None when none is left."""
    mine = (OcrPage.state == OcrState.RUNNING) & (OcrPage.job_id == job_id)
    stale = (OcrPage.state == OcrState.RUNNING) & (OcrPage.claimed_at < stale_before)
    for condition in (mine, OcrPage.state == OcrState.QUEUED, stale):
        while True:
            row = session.scalars(
                select(OcrPage).where(OcrPage.asset_id == asset_id, condition)
                .order_by(OcrPage.page).limit(1).with_for_update(skip_locked=True)
            ).first()
            if row is None:
                break
            if row.state == OcrState.RUNNING and row.tries >= MAX_PAGE_TRIES:
                _fail_row(row, "reading this page stopped its worker (killed or out of time) "
                               f"{row.tries} times")
                continue
            row.state, row.job_id, row.claimed_at = OcrState.RUNNING, job_id, utcnow()
            row.tries += 1
            return PageClaim(row.page, row.tries)
    return None


def _fail_row(row: OcrPage, error: str) -> None:
    row.state, row.error, row.flagged = OcrState.FAILED, error[:2000], True
    row.job_id = None


def record_page(session: Any, asset_id: int, page: int, result: dict[str, Any] | None,
                error: str | None, min_confidence: float) -> None:
    """What reading a page gave: its text, confidence and words, or why it could not be read."""
    row = session.scalars(select(OcrPage).where(OcrPage.asset_id == asset_id,
                                                OcrPage.page == page)).first()
    if row is None:
        return
    if result is None:
        _fail_row(row, error or "unreadable")
        return
    row.state, row.job_id, row.error = OcrState.DONE, None, None
    row.text = result["text"]
    row.confidence = result["confidence"]
    row.words = result["words"]
    row.rotation, row.skew = result["rotation"], result["skew"]
    row.flagged = row.confidence is not None and row.confidence < min_confidence


def release_page(session: Any, asset_id: int, page: int) -> None:
    """Give a page back untried (the job met transient trouble and will be retried)."""
    row = session.scalars(select(OcrPage).where(OcrPage.asset_id == asset_id,
                                                OcrPage.page == page)).first()
    if row is not None and row.state == OcrState.RUNNING:
        row.state, row.job_id, row.tries = OcrState.QUEUED, None, max(row.tries - 1, 0)


def compose_text(session: Any, asset: Asset, max_chars: int) -> None:
    """The asset's ``document_text`` with each page read by OCR in place of the PDF's own text
    for that page (a photo: the text read on it), and a summary in ``metadata_json["ocr"]``."""
    rows = session.execute(  # not the words: a long document's are megabytes
        select(OcrPage.page, OcrPage.state, OcrPage.text, OcrPage.confidence, OcrPage.flagged)
        .where(OcrPage.asset_id == asset.id).order_by(OcrPage.page)).all()
    if not rows:
        return
    read = {row.page: row.text or "" for row in rows if row.state == OcrState.DONE}
    if asset.media_type == MediaType.PHOTO:
        text = read.get(1, "")
        offsets = [0]
    else:
        pages = (asset.document_text or "").split(PAGE_BREAK)
        count = max(asset.page_count or 0, len(pages), max(read, default=0))
        pages += [""] * (count - len(pages))
        for number, page_text in read.items():
            pages[number - 1] = page_text.replace(PAGE_BREAK, "\n")
        offsets, position = [], 0
        for page_text in pages:
            offsets.append(position)
            position += len(page_text) + 1
        text = PAGE_BREAK.join(pages)
    meta = dict(asset.metadata_json or {})
    if len(text) > max_chars:
        text = text[:max_chars]
        meta["ocr_text_truncated"] = True
    asset.document_text = text if text.strip(PAGE_BREAK + " \n") else None
    changes.record(session, [asset.id], "updated")
    meta["ocr"] = _summary(rows)
    if asset.media_type != MediaType.PHOTO and isinstance(meta.get("pdf"), dict):
        meta["pdf"] = {**meta["pdf"], "text_page_offsets": offsets}
    asset.metadata_json = meta


def forget_ocr(session: Any, asset: Asset) -> None:
    """A photo no longer marked as printed material: its OCR pages and text go."""
    rows = session.scalars(select(OcrPage).where(OcrPage.asset_id == asset.id)).all()
    if not rows:
        return
    for row in rows:
        session.delete(row)
    if asset.media_type == MediaType.PHOTO:
        asset.document_text = None
        changes.record(session, [asset.id], "updated")
        asset.metadata_json = {k: v for k, v in (asset.metadata_json or {}).items() if k != "ocr"}


def _summary(rows: Any) -> dict[str, Any]:
    done = [row for row in rows if row.state == OcrState.DONE]
    scored = [row.confidence for row in done if row.confidence is not None]
    return {
        "pages": len(rows),
        "read": len(done),
        "waiting": sum(row.state in (OcrState.QUEUED, OcrState.RUNNING) for row in rows),
        "failed": [row.page for row in rows if row.state == OcrState.FAILED],
        "flagged": [row.page for row in rows if row.flagged],
        "confidence": round(sum(scored) / len(scored), 1) if scored else None,
    }


def ocr_pages(session: Any, asset_id: int) -> list[OcrPage]:
    return list(session.scalars(select(OcrPage).where(OcrPage.asset_id == asset_id)
                                .order_by(OcrPage.page)))


def first_page_with(session: Any, asset_ids: Iterable[int], is_hit: Callable[[str], bool],
                    word_pattern: Any) -> dict[int, tuple[int, str]]:
    """For each asset with OCR, the first page read whose text has a hit: (page, its text)."""
    found: dict[int, tuple[int, str]] = {}
    ids = list(asset_ids)
    if not ids:
        return found
    rows = session.execute(
        select(OcrPage.asset_id, OcrPage.page, OcrPage.text)
        .where(among(OcrPage.asset_id, ids, sqlite=dialect_is_sqlite(session)),
               OcrPage.state == OcrState.DONE)
        .order_by(OcrPage.asset_id, OcrPage.page))
    for asset_id, page, text in rows:
        if asset_id in found or not text:
            continue
        if any(is_hit(match.group()) for match in word_pattern.finditer(text)):
            found[asset_id] = (page, text)
    return found


def flagged_pages(session: Any, visible: Any = None, limit: int = 200) -> list[OcrPage]:
    """Pages flagged for review (newest material first), among assets ``visible`` allows."""
    query = select(OcrPage).where(OcrPage.flagged.is_(True))
    if visible is not None:
        query = query.join(Asset, Asset.id == OcrPage.asset_id).where(visible)
    query = query.order_by(OcrPage.asset_id.desc(), OcrPage.page).limit(limit)
    return list(session.scalars(query))
