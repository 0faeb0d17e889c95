"""Perceptual hash of a photo, to find near-duplicates (resized, recompressed copies)."""

from __future__ import annotations

import imagehash
from PIL import Image


def perceptual_hash(img: Image.Image) -> str:
    """The 64-bit DCT hash of ``img`` as 16 hex digits; pass a small rendition, it is cheaper."""
    return str(imagehash.phash(img))
