"""Perceptual hash of a photo, to find near-duplicates (resized, recompressed copies).

The same 64-bit DCT hash as ``imagehash.phash`` (bit for bit; a test checks it), computed with a
precomputed DCT matrix in numpy: imagehash takes its DCT from scipy.fftpack, whose import alone
costs a worker process ~30 MB of its 150 MB memory budget.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

HASH_SIZE = 8
IMAGE_SIZE = HASH_SIZE * 4  # imagehash's default highfreq_factor of 4


def _dct_matrix(n: int) -> np.ndarray:
    """Unnormalised DCT-II (scipy.fftpack.dct's default): y[k] = 2 Σ x[i] cos(πk(2i+1)/2n)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))


_DCT = _dct_matrix(IMAGE_SIZE)


def perceptual_hash(img: Image.Image) -> str:
    """The 64-bit DCT hash of ``img`` as 16 hex digits; pass a small rendition, it is cheaper."""
    small = img.convert("L").resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, dtype=np.float64)
    dct = _DCT @ pixels @ _DCT.T
    low = dct[:HASH_SIZE, :HASH_SIZE]
    bits = (low > np.median(low)).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"
