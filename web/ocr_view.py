"""OCR text in the web app: "página 7" on search hits, the words marked on the page preview,
and the pages flagged for review."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from sqlalchemy import select

from dam.enums import OcrState
from dam.models import Asset, OcrPage
from dam.ocr import first_page_with, flagged_pages
from dam.search.analysis import WORD_PATTERN
from dam.search.errors import QuerySyntaxError
from dam.search.highlight import Fragment, Highlighter
from dam.search.query import parse_query
from web.access import visible_clause
from web.links import asset_href
from web.params import query_int
from web.queries import GridItem, glancing, reading
from web.state import get_ctx

bp = Blueprint("ocr", __name__)

_WORD = re.compile(WORD_PATTERN)
BOX_SCALE = 10_000  # word boxes are fractions of the page x 10,000 (ingest.ocr)
MAX_QUERY = 1000
REVIEW_LIMIT = 300


@dataclass(frozen=True)
class PageHit:
    """The first page of an asset whose OCR text has the search's words."""

    page: int
    href: str  # the asset page opened on that page, the words marked
    fragments: list[Fragment]


def _marker(query: str) -> Highlighter | None:
    try:
        marker = Highlighter.of(parse_query(query))
    except QuerySyntaxError:
        return None
    return marker or None


def page_hits(query: str, items: list[GridItem]) -> dict[int, PageHit]:
    """For each item whose OCR text has the query's words, the first such page (one query,
    none when no item may have been read)."""
    readable = [item.id for item in items if item.may_have_text]
    marker = _marker(query) if query and readable else None
    if marker is None:
        return {}
    with glancing(get_ctx().catalog) as session:
        found = first_page_with(session, readable, marker.is_hit, _WORD)
    return {
        asset_id: PageHit(page, _page_href(asset_id, page, query),
                          marker.fragments(text) or [])
        for asset_id, (page, text) in found.items()
    }


def _page_href(asset_id: int, page: int, query: str) -> str:
    return url_for("assets.show", asset_id=asset_id, pagina=page, q=query) + f"#pagina-{page}"


@dataclass
class PageMarks:
    """One page's OCR as the asset page shows it: its text with the query's words marked, and
    their boxes to draw over the page preview (fractions of the page x 10,000)."""

    page: int
    query: str
    confidence: float | None
    flagged: bool
    failed: bool
    error: str | None
    text: list[Fragment] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # x, y, w, h, word

    @property
    def hits(self) -> int:
        return len(self.boxes)


def page_marks(asset: Asset) -> PageMarks | None:
    """``?pagina=N&q=…`` on the asset page: page N's OCR, the query's words marked (one
    statement, only when asked for and the asset was read by OCR)."""
    number = query_int("pagina")
    if number is None or not (asset.metadata_json or {}).get("ocr"):
        return None
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    with reading(get_ctx().catalog) as session:
        row = session.scalars(select(OcrPage).where(OcrPage.asset_id == asset.id,
                                                    OcrPage.page == number)).first()
    if row is None:
        return None
    marks = PageMarks(number, query, row.confidence, row.flagged,
                      row.state == OcrState.FAILED, row.error)
    marker = _marker(query) if query else None
    marks.text = mark_all(row.text or "", marker)
    if marker is not None:
        for word in row.words or []:
            text, x0, y0, x1, y1 = word[:5]
            if any(marker.is_hit(part) for part in _WORD.findall(text)):
                marks.boxes.append((x0, y0, max(x1 - x0, 1), max(y1 - y0, 1), text))
    return marks


def mark_all(text: str, marker: Highlighter | None) -> list[Fragment]:
    """The whole ``text`` as fragments, every hit of ``marker`` marked."""
    if marker is None:
        return [Fragment(text)] if text else []
    out: list[Fragment] = []
    position = 0
    for match in _WORD.finditer(text):
        if marker.is_hit(match.group()):
            if match.start() > position:
                out.append(Fragment(text[position:match.start()]))
            out.append(Fragment(match.group(), hit=True))
            position = match.end()
    if position < len(text):
        out.append(Fragment(text[position:]))
    return out


def ocr_summary(asset: Asset) -> dict[str, Any] | None:
    """What ``metadata_json["ocr"]`` says (pages read, flagged, confidence), with links."""
    summary = (asset.metadata_json or {}).get("ocr")
    if not isinstance(summary, dict):
        return None
    flagged = [int(n) for n in summary.get("flagged", []) if isinstance(n, int)]
    return {**summary, "flagged_links": [
        (n, url_for("assets.show", asset_id=asset.id, pagina=n) + f"#pagina-{n}")
        for n in flagged]}


@bp.get("/ocr/revisar")
def review() -> str:
    """Pages whose OCR is unsure (or failed), for staff to check against the page itself."""
    with reading(get_ctx().catalog) as session:
        rows = flagged_pages(session, visible_clause(g.user), REVIEW_LIMIT)
        ids = {row.asset_id for row in rows}
        titles = {asset_id: headline or name for asset_id, headline, name in session.execute(
            select(Asset.id, Asset.headline, Asset.original_filename).where(Asset.id.in_(ids)))}
    pages = [{
        "asset_id": row.asset_id, "page": row.page, "confidence": row.confidence,
        "failed": row.state == OcrState.FAILED, "error": row.error,
        "title": titles.get(row.asset_id) or f"#{row.asset_id}",
        "href": url_for("assets.show", asset_id=row.asset_id, pagina=row.page)
        + f"#pagina-{row.page}",
        "asset_href": asset_href(row.asset_id),
    } for row in rows]
    return render_template("ocr_review.html", pages=pages, limit=REVIEW_LIMIT,
                           threshold=get_ctx().settings.ocr_min_confidence)
