"""HDR (PQ and HLG, BT.2020) pictures mapped to SDR sRGB for posters and storyboards.

Phones film HDR by default (HLG on iPhone and Pixel, PQ on others); shown as if it were SDR, a
PQ frame looks dark and grey, an HLG one washed out. This is the usual chain, in numpy on a
picture already reduced to rendition size: the transfer function to linear light (PQ EOTF, or
HLG inverse OETF with its 1.2 system gamma), scaled so that HDR reference white (203 cd/m2)
becomes SDR white, BT.2020 to BT.709 primaries, a soft knee that keeps everything up to 75 %
of SDR white as it is and rolls brighter light off towards white, then the sRGB curve.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

REFERENCE_WHITE = 203.0  # cd/m2, ITU-R BT.2408
HLG_PEAK = 1000.0  # cd/m2, the nominal display of the HLG reference OOTF
KNEE = 0.75
BT2020_TO_BT709 = np.array(
    [
        [1.6605, -0.5876, -0.0728],
        [-0.1246, 1.1329, -0.0083],
        [-0.0182, -0.1006, 1.1187],
    ],
    dtype=np.float32,
)
LUMA_2020 = np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)
LUMA_709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def tone_map(rgb16: np.ndarray, transfer: str) -> np.ndarray:
    """8-bit sRGB from 16-bit non-linear BT.2020 RGB with ``transfer`` smpte2084 or arib-std-b67."""
    pq = transfer == "smpte2084"
    nits = _pq_table()[rgb16] if pq else _hlg_ootf(_hlg_table()[rgb16])
    linear = np.clip((nits * (1.0 / REFERENCE_WHITE)) @ BT2020_TO_BT709.T, 0.0, 1e4)
    mapped = np.clip(_roll_off(linear), 0.0, 1.0)
    return _srgb_table()[(mapped * (SRGB_STEPS - 1) + 0.5).astype(np.int32)]


SRGB_STEPS = 4096


@lru_cache(maxsize=1)
def _pq_table() -> np.ndarray:
    """cd/m2 for each 16-bit PQ code value."""
    signal = np.arange(65536, dtype=np.float64) / 65535.0
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    power = np.power(signal, 1 / m2)
    nits = 10000.0 * np.power(np.maximum(power - c1, 0.0) / (c2 - c3 * power), 1 / m1)
    return nits.astype(np.float32)


@lru_cache(maxsize=1)
def _hlg_table() -> np.ndarray:
    """Scene light (0..1) for each 16-bit HLG code value (the inverse OETF)."""
    signal = np.arange(65536, dtype=np.float64) / 65535.0
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    high = (np.exp((np.maximum(signal, 0.5) - c) / a) + b) / 12.0
    return np.where(signal <= 0.5, signal * signal / 3.0, high).astype(np.float32)


def _hlg_ootf(scene: np.ndarray) -> np.ndarray:
    """Display light (cd/m2) of HLG scene light: the reference OOTF, system gamma 1.2."""
    luma = np.maximum(scene @ LUMA_2020, 1e-6)[..., None]
    return HLG_PEAK * np.power(luma, np.float32(0.2)) * scene


def _roll_off(linear: np.ndarray) -> np.ndarray:
    """Luminance kept below KNEE, above it eased towards 1.0 (same slope at the knee)."""
    luma = np.maximum(linear @ LUMA_709, 1e-6)
    span = 1.0 - KNEE
    eased = KNEE + span * (1.0 - np.exp(-(np.maximum(luma, KNEE) - KNEE) / span))
    mapped = np.where(luma <= KNEE, luma, eased)
    return linear * (mapped / luma)[..., None]


@lru_cache(maxsize=1)
def _srgb_table() -> np.ndarray:
    """8-bit sRGB code for each of SRGB_STEPS linear levels."""
    linear = np.linspace(0.0, 1.0, SRGB_STEPS)
    encoded = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return (np.clip(encoded, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
