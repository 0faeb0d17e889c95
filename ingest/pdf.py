"""Printed publications in PDF through PDFium (pypdfium2): facts, text, page previews, pictures.

Three steps, each run in a child process with its own time and memory limit (``ingest.sandbox``)
so that a PDF bomb or a pathological page ends as a clear failure, never a hung worker:

1. ``read_pdf``: page count, first page size, encryption, Info and XMP metadata, and the text
   of every page for search, cut at ``pdf_text_max_chars`` (pages joined by form feeds).
2. ``render_pdf``: page 1 as thumbnail and preview, and a preview of each page up to
   ``pdf_page_preview_cap``. The render scale is set by the wanted long edge, so a huge page
   still becomes at most preview_size x preview_size pixels.
3. ``hash_pdf_images``: the perceptual hash of each picture embedded in the pages, computed as
   for archive photos, to link the publication to the photos it printed.

PDFium (Apache-2.0/BSD) renders and extracts text several times faster than the pure-Python
readers, and is what Chromium uses to show PDFs.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from dam.config import Settings
from dam.errors import IngestError
from ingest.pdfmeta import read_xmp
from ingest.renditions import RenderedImage
from ingest.stills import hash_like_photos, sized_renditions

log = logging.getLogger(__name__)

PASSWORD_ERRORS = {pdfium_raw.FPDF_ERR_PASSWORD, pdfium_raw.FPDF_ERR_SECURITY}
MIN_IMAGE_EDGE = 96  # smaller pictures are icons, bullets and rules, not photos
MAX_IMAGES = 400  # embedded pictures hashed per document
MAX_IMAGE_PAGES = 1000
MAX_INFO_VALUE = 2000
MAX_OCR_PAGES = 2000
MIN_TEXT_LAYER = 20  # letters and digits: fewer, and the page is a picture of text
ODD_SHARE = 0.1  # characters no Spanish text is made of (private use, controls, U+FFFD)
VOWELLESS_SHARE = 0.4  # words of 3+ letters with no vowel: a font without a Unicode map
_WORDS = re.compile(r"[^\W\d_]{3,}")
_VOWELS = frozenset("aeiouyáéíóúüàèìòùâêîôûäëïö")


@dataclass
class PdfFacts:
    """What step 1 learns of a PDF."""

    encrypted: bool
    needs_password: bool = False
    page_count: int | None = None
    page_size: tuple[float, float] | None = None  # points, first page as displayed
    info: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    text_truncated: bool = False
    page_offsets: list[int] = field(default_factory=list)  # where each page's text starts
    ocr_pages: list[int] = field(default_factory=list)  # pages with no text layer, or a broken one
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PrintedImage:
    """A picture embedded in a page, by perceptual hash."""

    page: int
    width: int
    height: int
    phash: str


def open_pdf(path: str) -> Any:
    """An open PdfDocument; IngestError for a damaged file; PermissionError when encrypted."""
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in PASSWORD_ERRORS:
            raise PermissionError(str(exc)) from None
        raise IngestError(f"damaged or unreadable PDF: {exc}") from None


def read_pdf(path: str, max_chars: int, time_budget: float) -> PdfFacts:
    """Step 1: facts, metadata and text (stops adding text past ``time_budget`` seconds)."""
    warnings: list[str] = []
    xmp = read_xmp(Path(path), warnings)
    try:
        pdf = open_pdf(path)
    except PermissionError:
        return PdfFacts(encrypted=True, needs_password=True, xmp=xmp, warnings=warnings)
    try:
        count = len(pdf)
        facts = PdfFacts(
            encrypted=pdfium_raw.FPDF_GetSecurityHandlerRevision(pdf) != -1,
            page_count=count,
            page_size=_rounded(pdf.get_page_size(0)) if count else None,
            info=_info(pdf),
            xmp=xmp,
            warnings=warnings,
        )
        _read_text(pdf, facts, max_chars, time.monotonic() + time_budget)
        return facts
    finally:
        pdf.close()


def _info(pdf: Any) -> dict[str, str]:
    """The Info dictionary, bounded, as valid text without NULs (PostgreSQL refuses both)."""
    info = {}
    for key, value in pdf.get_metadata_dict().items():
        text = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip()
        if text:
            info[key] = text[:MAX_INFO_VALUE]
    return info


def _rounded(size: tuple[float, float]) -> tuple[float, float]:
    return round(size[0], 2), round(size[1], 2)


def _read_text(pdf: Any, facts: PdfFacts, max_chars: int, deadline: float) -> None:
    parts: list[str] = []
    length = 0
    for index in range(len(pdf)):
        if length >= max_chars or time.monotonic() > deadline:
            facts.text_truncated = True
            if time.monotonic() > deadline:
                facts.warnings.append(f"text: stopped at page {index + 1}, out of time")
            break
        facts.page_offsets.append(length)
        page_text = _page_text(pdf, index, facts.warnings)
        if needs_ocr(page_text) and len(facts.ocr_pages) < MAX_OCR_PAGES:
            facts.ocr_pages.append(index + 1)
        parts.append(page_text)
        length += len(page_text) + 1
    text = "\f".join(parts)
    if len(text) > max_chars:
        text, facts.text_truncated = text[:max_chars], True
    facts.text = text


def _page_text(pdf: Any, index: int, warnings: list[str]) -> str:
    try:
        page = pdf[index]
        textpage = page.get_textpage()
        text = textpage.get_text_bounded()
        textpage.close()
        page.close()
    except pdfium.PdfiumError as exc:
        warnings.append(f"text: page {index + 1} unreadable ({exc})")
        return ""
    # Form feeds separate pages in ``document_text``: none may come from inside a page.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return text.replace("\x00", "").strip()


def needs_ocr(text: str) -> bool:
    """True when a page's text layer is missing or broken, so only OCR can read the page.

    Missing: fewer than ``MIN_TEXT_LAYER`` letters and digits. Broken: many characters from
    no script (private-use glyph codes, controls, replacement characters, as fonts without a
    Unicode map give), or most words without a vowel (glyph codes shifted off the letters).
    """
    visible = [c for c in text if not c.isspace()]
    if sum(c.isalnum() for c in visible) < MIN_TEXT_LAYER:
        return True
    odd = sum(unicodedata.category(c) in ("Co", "Cc", "Cn", "Cs") or c == "\ufffd"
              for c in visible)
    if odd > ODD_SHARE * len(visible):
        return True
    words = _WORDS.findall(text.lower())
    vowelless = sum(not (_VOWELS & set(word)) for word in words)
    return bool(words) and vowelless > VOWELLESS_SHARE * len(words)


def render_pdf(path: str, settings: Settings) -> list[RenderedImage]:
    """Step 2: thumbnail and preview of page 1; a preview of each page up to the cap."""
    pdf = open_pdf(path)
    try:
        pdf.init_forms()
        outputs: list[RenderedImage] = []
        fmt, quality = settings.rendition_format, settings.rendition_quality
        pages = min(len(pdf), max(1, settings.pdf_page_preview_cap))
        for index in range(pages):
            image = render_page(pdf, index, settings.preview_size)
            if index == 0:
                sizes = {"preview": settings.preview_size, "thumbnail": settings.thumbnail_size}
                outputs.extend(sized_renditions(image, sizes, fmt, quality))
            if index < settings.pdf_page_preview_cap:
                (page,) = sized_renditions(image, {"page": settings.preview_size}, fmt, quality)
                outputs.append(replace(page, page=index + 1))
        return outputs
    finally:
        pdf.close()


def render_page(pdf: Any, index: int, long_edge: int) -> Any:
    """Page ``index`` as a PIL image whose long edge is ``long_edge`` pixels (never bigger)."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            raise IngestError(f"page {index + 1} has no size ({width} x {height} pt)")
        scale = long_edge / max(width, height)
        bitmap = page.render(scale=scale, may_draw_forms=True)
        return bitmap.to_pil().convert("RGB")
    except pdfium.PdfiumError as exc:
        raise IngestError(f"cannot render page {index + 1}: {exc}") from None
    finally:
        page.close()


def render_for_ocr(pdf: Any, index: int, dpi: int, max_pixels: int) -> Any:
    """Page ``index`` in grey at ``dpi`` (less when that would pass ``max_pixels``)."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            raise IngestError(f"page {index + 1} has no size ({width} x {height} pt)")
        scale = dpi / 72
        pixels = width * height * scale * scale
        if pixels > max_pixels:
            scale *= (max_pixels / pixels) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
        return bitmap.to_pil().convert("L")
    except pdfium.PdfiumError as exc:
        raise IngestError(f"cannot render page {index + 1}: {exc}") from None
    finally:
        page.close()


def hash_pdf_images(path: str, thumbnail_size: int, max_pixels: int) -> list[PrintedImage]:
    """Step 3: the perceptual hash of each embedded picture big enough to be a photo."""
    pdf = open_pdf(path)
    found: list[PrintedImage] = []
    try:
        for index in range(min(len(pdf), MAX_IMAGE_PAGES)):
            page = pdf[index]
            try:
                found.extend(_page_images(page, index + 1, thumbnail_size, max_pixels))
            finally:
                page.close()
            if len(found) >= MAX_IMAGES:
                break
    finally:
        pdf.close()
    unique = {(i.page, i.phash): i for i in found[:MAX_IMAGES]}
    return list(unique.values())


def _page_images(page: Any, number: int, thumbnail_size: int, max_pixels: int) -> list[Any]:
    images = []
    for obj in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        try:
            width, height = obj.get_px_size()
            if min(width, height) < MIN_IMAGE_EDGE or width * height > max_pixels:
                continue
            picture = obj.get_bitmap(render=False).to_pil()
        except (pdfium.PdfiumError, ValueError, OSError) as exc:
            log.debug("page %s: unreadable picture skipped: %s", number, exc)
            continue
        phash = hash_like_photos(picture, thumbnail_size)
        images.append(PrintedImage(number, width, height, phash))
    return images
