"""Still pictures made from decoded frames and pages: sized renditions, storyboard sheets.

The same resizing and encoding as photo renditions (``ingest.renditions``), starting from a
picture already in memory (a video frame, a rendered PDF page) instead of a file.
"""

from __future__ import annotations

import io

from PIL import Image

from ingest.phash import perceptual_hash
from ingest.renditions import RenderedImage, encode, fit_size, resize

STORYBOARD_COLUMNS = 4
STORYBOARD_TILE_EDGE = 240


def sized_renditions(
    image: Image.Image, sizes: dict[str, int], fmt: str, quality: int
) -> list[RenderedImage]:
    """One rendition per ``sizes`` entry (kind -> long edge), largest first, never upscaled."""
    rendered = []
    current = image
    for kind, edge in sorted(sizes.items(), key=lambda item: -item[1]):
        current = resize(current, fit_size(current.size, edge), Image.Resampling.LANCZOS, 1.5)
        rendered.append(encode(current, kind, fmt, quality))
    return rendered


def hash_like_photos(image: Image.Image, thumbnail_size: int) -> str:
    """The perceptual hash of ``image`` computed as for archive photos: from its thumbnail."""
    small = resize(
        image.convert("RGB"), fit_size(image.size, thumbnail_size), Image.Resampling.LANCZOS, 1.5
    )
    return perceptual_hash(small)


def storyboard_sheet(tiles: list[Image.Image], fmt: str, quality: int) -> RenderedImage | None:
    """The tiles (already upright) in a grid of STORYBOARD_COLUMNS, each fitted in one cell."""
    if not tiles:
        return None
    cell_w, cell_h = fit_size(tiles[0].size, STORYBOARD_TILE_EDGE)
    columns = min(STORYBOARD_COLUMNS, len(tiles))
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), "black")
    for index, tile in enumerate(tiles):
        fitted = tile.copy()
        fitted.thumbnail((cell_w, cell_h), Image.Resampling.LANCZOS)
        x = (index % columns) * cell_w + (cell_w - fitted.width) // 2
        y = (index // columns) * cell_h + (cell_h - fitted.height) // 2
        sheet.paste(fitted, (x, y))
    return encode(sheet, "storyboard", fmt, quality)


def png_rendition(image: Image.Image, kind: str) -> RenderedImage:
    """``image`` as a PNG rendition (a waveform: sharp lines, few colours)."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return RenderedImage(kind, buffer.getvalue(), "image/png", "png", image.width, image.height)
