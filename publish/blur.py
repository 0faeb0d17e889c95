"""Blurring faces in an exported picture: minors' faces without consent, beyond recognition.

Boxes are fractions (0..1) of the upright picture, as the catalog keeps them (dam.faces). Each is
widened by a margin (hair, ears and chin identify too), reduced to a few blocks and blurred, so no
detail of the face survives, whatever size the export is then scaled to.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageFilter

Box = tuple[float, float, float, float]
MARGIN = 0.25  # of the box's width and height, on each side
BLOCKS = 6  # blocks across the face before blurring


def blur_faces(image: Image.Image, boxes: Sequence[Box]) -> Image.Image:
    """A copy of ``image`` with every box blurred (the image itself when there are none)."""
    if not boxes:
        return image
    out = image.copy()
    width, height = out.size
    for left, top, right, bottom in boxes:
        margin_x, margin_y = (right - left) * MARGIN, (bottom - top) * MARGIN
        area = (max(0, int((left - margin_x) * width)), max(0, int((top - margin_y) * height)),
                min(width, int((right + margin_x) * width + 1)),
                min(height, int((bottom + margin_y) * height + 1)))
        if area[2] - area[0] < 2 or area[3] - area[1] < 2:
            continue
        region = out.crop(area)
        small = region.resize((BLOCKS, max(1, round(BLOCKS * region.height / region.width))),
                              Image.Resampling.BOX)
        blocky = small.resize(region.size, Image.Resampling.NEAREST)
        radius = max(2.0, min(region.size) / BLOCKS / 2)
        out.paste(blocky.filter(ImageFilter.GaussianBlur(radius)), area[:2])
    return out
