"""Scanned pages made on the fly: Spanish text of known content, drawn with a TrueType font and
then turned, tilted, soiled or set in two columns, as pictures and as PDFs without a text layer."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PLACES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)
DPI = 300
# A6 at 300 dpi: small enough to read fast, large enough for body text at 11 pt.
PAGE_SIZE = (1240, 1748)

TEXT_A = (
    "La Alcaldía Iztapalapa inauguró el mercado de Santa Cruz Meyehualco. Las niñas y los "
    "niños del Peñón del Marqués recibieron útiles escolares y uniformes nuevos."
)
TEXT_B = (
    "La jornada de salud atendió a más de mil personas en la explanada de la dirección "
    "territorial. Habrá vacunación gratuita el próximo miércoles en la colonia Xalpa."
)


def font_path() -> str:
    for place in FONT_PLACES:
        if Path(place).is_file():
            return place
    raise FileNotFoundError("no TrueType font with Spanish accents (fonts-dejavu-core)")


def draw_page(text: str, size: tuple[int, int] = PAGE_SIZE, points: int = 11,
              columns: int = 1) -> Image.Image:
    """A white page with ``text`` set in ``columns`` columns, in black, at ``points`` pt."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(font_path(), round(points / 72 * DPI))
    margin, gutter = DPI // 3, DPI // 4  # a 6 mm gutter, as newsletters have
    width = (size[0] - 2 * margin - (columns - 1) * gutter) // columns
    chars = max(10, int(width / (points / 72 * DPI * 0.55)))
    words = text.split()
    per_column = -(-len(words) // columns)
    for column in range(columns):
        chunk = " ".join(words[column * per_column:(column + 1) * per_column])
        x, y = margin + column * (width + gutter), margin
        for line in textwrap.wrap(chunk, chars):
            draw.text((x, y), line, font=font, fill=0)
            y += round(points * 1.5 / 72 * DPI)
    return page


def tilted(page: Image.Image, degrees: float) -> Image.Image:
    return page.rotate(degrees, Image.Resampling.BICUBIC, fillcolor=255)


def turned(page: Image.Image, degrees: int) -> Image.Image:
    return page.rotate(degrees, expand=True, fillcolor=255)


def soiled(page: Image.Image, share: float = 0.01, seed: int = 7) -> Image.Image:
    """Salt and pepper on ``share`` of the pixels, and a faint grey cast, as a photocopy."""
    rng = np.random.default_rng(seed)
    pixels = np.minimum(np.asarray(page.convert("L")), 235)
    hit = rng.random(pixels.shape) < share
    pixels = np.where(hit, rng.choice(np.array([0, 255], dtype=np.uint8), pixels.shape), pixels)
    return Image.fromarray(pixels.astype(np.uint8))


def save_pdf(pages: list[Image.Image], path: Path) -> Path:
    """The pages as a PDF of pictures only (no text layer), at 300 dpi."""
    first, *rest = [page.convert("RGB") for page in pages]
    first.save(path, "PDF", save_all=True, append_images=rest, resolution=DPI)
    return path


_WORD = re.compile(r"\w+", re.UNICODE)


def word_error_rate(expected: str, found: str) -> float:
    """Word error rate: edits (substitutions, insertions, deletions) over the expected words,
    case kept, punctuation ignored, accents counted (a lost accent is an error)."""
    want, got = _WORD.findall(expected), _WORD.findall(found)
    previous = list(range(len(got) + 1))
    for i, word in enumerate(want, 1):
        current = [i]
        for j, other in enumerate(got, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (word != other)))
        previous = current
    return previous[-1] / max(len(want), 1)
