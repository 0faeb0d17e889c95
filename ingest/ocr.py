"""Reading printed text from pictures of pages with Tesseract (tesserocr): upright, straight, words.

One page goes through: orientation detection (Tesseract's OSD, on a half-size copy), a skew
measurement (projection profile: the angle at which the rows of ink are sharpest), one affine
transform that turns and straightens the page, then recognition with the language model of
``ocr_language``. Every word keeps its box, mapped back onto the page as it is displayed (as
fractions of its width and height, x 10,000), so the page preview can show where a word is
whatever its size.

tesserocr binds Tesseract's C++ API: the model is loaded once per worker (~0.4 s) and
inherited by the forked child that reads each page (``ingest.sandbox``), and the page goes to
Tesseract as pixels in memory, not as a file for a ``tesseract`` process to decode.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from dam.errors import IngestError

log = logging.getLogger(__name__)

BOX_SCALE = 10_000  # word boxes as fractions of the displayed page, x 10,000
OSD_MIN_CONFIDENCE = 2.0  # below it Tesseract's orientation guess is not trusted
# Characters OSD classifies (in four orientations each) before deciding: Tesseract's 50 cost
# ~0.4 s a page more and were never needed on a page of text (20 gives a confidence of ~9).
OSD_CHARACTERS = "20"
SKEW_LIMIT = 8.0  # degrees either way; a page tilted more is a photo of a page, not a scan
SKEW_MIN = 1.0  # smaller tilts are left to Tesseract's own line finding (no resampling)
SKEW_SAMPLE = 40_000  # ink pixels the skew is measured on
SKEW_MIN_INK = 4_000  # fewer, on the measuring copy, and there are no lines to measure
BLANK_INK = 0.00005  # share of dark pixels under which a page is blank (not worth reading)
MEASURE_WIDTH = 900  # pixels: the copy the skew and the ink are measured on
TESSDATA_PLACES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


@dataclass
class PageText:
    """What OCR read on one page: text, mean word confidence (0-100), words with boxes."""

    text: str
    confidence: float | None  # None: a blank page (no ink: nothing to read or review)
    words: list[list[Any]] = field(default_factory=list)  # [text, x0, y0, x1, y1, conf]
    rotation: int = 0  # degrees the page was turned (counter-clockwise) to read it
    skew: float = 0.0  # degrees it was straightened by
    width: int = 0  # pixels of the picture read
    height: int = 0

    @property
    def blank(self) -> bool:
        return self.confidence is None


def tessdata_path(configured: str = "") -> str:
    """The folder with the ``.traineddata`` models: the setting, $TESSDATA_PREFIX, or Debian's."""
    for place in (configured, os.environ.get("TESSDATA_PREFIX", ""), *TESSDATA_PLACES):
        if place and Path(place, "osd.traineddata").is_file():
            return place.rstrip("/") + "/"
    raise IngestError(
        "Tesseract's models were not found: install tesseract-ocr and tesseract-ocr-spa "
        "(or set ocr_tessdata_path)"
    )


class Reader:
    """Tesseract's recogniser and orientation detector, loaded once and reused page after page."""

    def __init__(self, language: str, tessdata: str = "") -> None:
        import tesserocr

        path = tessdata_path(tessdata)
        missing = [lang for lang in language.split("+")
                   if not Path(path, f"{lang}.traineddata").is_file()]
        if missing:
            raise IngestError(f"no Tesseract model for {', '.join(missing)} in {path}")
        self.language = language
        self._api = tesserocr.PyTessBaseAPI(path=path, lang=language, psm=tesserocr.PSM.AUTO)
        self._osd = tesserocr.PyTessBaseAPI(path=path, lang="osd", psm=tesserocr.PSM.OSD_ONLY)
        self._osd.SetVariable("min_characters_to_try", OSD_CHARACTERS)

    def read(self, image: Image.Image) -> PageText:
        """The text of one page picture (any mode), turned upright and straightened first."""
        gray = image if image.mode == "L" else image.convert("L")
        small = _measuring_copy(gray)
        if _ink_share(small) < BLANK_INK:
            return PageText("", None, width=gray.width, height=gray.height)
        rotation = self._orientation(gray)
        turned = small.rotate(rotation, expand=True) if rotation else small
        skew = measure_skew(turned)
        upright, to_page = straighten(gray, rotation, skew)
        return self._recognise(upright, to_page, rotation, skew, gray.size)

    def _orientation(self, gray: Image.Image) -> int:
        half = gray.reduce(2) if min(gray.size) > 1200 else gray
        self._osd.SetImage(half)
        try:
            found = self._osd.DetectOrientationScript()
        except RuntimeError:
            return 0  # too little text to tell: read it as it is
        if not found or found.get("orient_conf", 0) < OSD_MIN_CONFIDENCE:
            return 0
        return int(found["orient_deg"]) % 360

    def _recognise(self, upright: Image.Image, to_page: Any, rotation: int, skew: float,
                   size: tuple[int, int]) -> PageText:
        import tesserocr

        api = self._api
        api.SetImage(upright)
        api.Recognize()
        text = (api.GetUTF8Text() or "").replace("\f", "\n").strip()
        words: list[list[Any]] = []
        level = tesserocr.RIL.WORD
        iterator = api.GetIterator()
        for word in tesserocr.iterate_level(iterator, level) if iterator is not None else ():
            try:
                value = (word.GetUTF8Text(level) or "").strip()
            except RuntimeError:  # an empty block (a picture) has no text to give
                continue
            box = word.BoundingBox(level)
            if not value or box is None:
                continue
            words.append([value, *page_box(box, to_page, size), round(word.Confidence(level))])
        # Ink but no words: unreadable (or a picture); confidence 0 gets it reviewed, not lost.
        confidence = float(api.MeanTextConf()) if words else 0.0
        api.Clear()
        return PageText(text, confidence, words, rotation, round(skew, 2), *size)


def _measuring_copy(gray: Image.Image) -> Image.Image:
    if gray.width <= MEASURE_WIDTH:
        return gray
    height = max(1, round(gray.height * MEASURE_WIDTH / gray.width))
    return gray.resize((MEASURE_WIDTH, height), Image.Resampling.BOX)


def _ink_share(small: Image.Image) -> float:
    pixels = np.asarray(small)
    return float((pixels < 128).mean()) if pixels.size else 0.0


def measure_skew(small: Image.Image) -> float:
    """Degrees to turn the page (counter-clockwise) so its lines of text run level.

    Projection profile: at the right angle the rows of pixels alternate sharply between ink
    (lines of text) and paper, so the sum of squared differences of neighbouring row counts
    peaks. Each candidate angle shears the ink's coordinates (a rotation, for angles this small)
    and counts them per row: coarse steps of half a degree, then tenths around the best.
    """
    ys, xs = np.nonzero(np.asarray(small) < 128)
    if len(ys) < SKEW_MIN_INK:  # a word or two: no lines to measure, leave it as it is
        return 0.0
    step = max(1, len(ys) // SKEW_SAMPLE)  # a dense page has ink enough in every 4th pixel
    ys, xs = ys[::step], xs[::step]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - small.width / 2
    best = _best_angle(ys, xs, np.arange(-SKEW_LIMIT, SKEW_LIMIT + 0.01, 0.5))
    best = _best_angle(ys, xs, np.arange(best - 0.5, best + 0.51, 0.1))
    return 0.0 if abs(best) < SKEW_MIN else round(float(best), 1)


def _best_angle(ys: Any, xs: Any, angles: Any) -> float:
    scores = []
    for angle in angles:
        rows = np.rint(ys - xs * math.tan(math.radians(angle))).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        scores.append(float(np.square(np.diff(counts)).sum()))
    return float(angles[int(np.argmax(scores))])


def _affine(size: tuple[int, int], angle: float, expand: bool
            ) -> tuple[tuple[float, ...], tuple[int, int]]:
    """PIL's own rotation as an affine matrix from output to input pixels, and the output size
    (the computation of ``Image.rotate``, so boxes map back exactly as pixels moved)."""
    width, height = size
    theta = -math.radians(angle % 360.0)
    cos, sin = round(math.cos(theta), 15), round(math.sin(theta), 15)
    matrix = [cos, sin, 0.0, -sin, cos, 0.0]
    cx, cy = width / 2, height / 2
    matrix[2], matrix[5] = _apply(matrix, -cx, -cy)
    matrix[2] += cx
    matrix[5] += cy
    if not expand:
        return tuple(matrix), size
    xs, ys = [], []
    for x, y in ((0, 0), (width, 0), (width, height), (0, height)):
        px, py = _apply(matrix, x, y)
        xs.append(px)
        ys.append(py)
    new_w = math.ceil(max(xs)) - math.floor(min(xs))
    new_h = math.ceil(max(ys)) - math.floor(min(ys))
    matrix[2], matrix[5] = _apply(matrix, -(new_w - width) / 2.0, -(new_h - height) / 2.0)
    return tuple(matrix), (new_w, new_h)


def _apply(matrix: Any, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + b * y + c, d * x + e * y + f


def _compose(outer: Any, inner: Any) -> tuple[float, ...]:
    """The matrix of ``inner`` then ``outer`` (both output -> input)."""
    a, b, c, d, e, f = outer  # maps turned -> page
    g, h, i, j, k, m = inner  # maps straight -> turned
    return (a * g + b * j, a * h + b * k, a * i + b * m + c,
            d * g + e * j, d * h + e * k, d * i + e * m + f)


def straighten(gray: Image.Image, rotation: int, skew: float
               ) -> tuple[Image.Image, tuple[float, ...]]:
    """The page turned by ``rotation`` and straightened by ``skew`` in one resampling, and the
    matrix that maps its pixels back onto the page as given."""
    if not rotation and not skew:
        return gray, (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    turn, turned_size = _affine(gray.size, rotation, expand=True)
    tilt, _ = _affine(turned_size, skew, expand=False)
    matrix = _compose(turn, tilt)
    if not skew:
        method = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
                  270: Image.Transpose.ROTATE_270}
        return gray.transpose(method[rotation]), matrix
    upright = gray.transform(turned_size, Image.Transform.AFFINE, matrix,
                             Image.Resampling.BILINEAR, fillcolor=255)
    return upright, matrix


def page_box(box: tuple[int, int, int, int], to_page: Any, size: tuple[int, int]
             ) -> list[int]:
    """A box of the straightened picture as x0, y0, x1, y1 on the page (fractions x 10,000)."""
    x0, y0, x1, y1 = box
    corners = [_apply(to_page, x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
    width, height = size
    xs = [min(max(x / width, 0.0), 1.0) for x, _ in corners]
    ys = [min(max(y / height, 0.0), 1.0) for _, y in corners]
    return [round(min(xs) * BOX_SCALE), round(min(ys) * BOX_SCALE),
            round(max(xs) * BOX_SCALE), round(max(ys) * BOX_SCALE)]


_READERS: dict[tuple[str, str], Reader] = {}


def reader_for(language: str, tessdata: str = "") -> Reader:
    """The worker's reader for ``language`` (loaded on first use, then kept: forked children
    inherit the loaded model)."""
    key = (language, tessdata)
    if key not in _READERS:
        _READERS[key] = Reader(language, tessdata)
    return _READERS[key]
