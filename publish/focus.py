"""The point of interest of a picture: the editor's, else an automatic guess (no faces).

The guess is a cheap saliency map computed with numpy on a greyscale copy at most 256 px
wide: edge energy (gradient magnitude) plus colour contrast (how far each pixel's colour is
from the picture's mean colour), each normalised, smoothed with a box blur so that a textured
object outweighs a single sharp line. The centroid of the strongest 3 % of that map, weighted
by energy and by a broad Gaussian around the centre (photographers frame subjects near the
middle, and a wrong guess near the centre costs less than one at an edge), is the point.
Faces are not detected: an editor sets the point by hand when the guess misses.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from dam.models import Asset
from ingest import imaging

WORK_EDGE = 256  # pixels of the long edge the map is computed on
TOP_FRACTION = 0.03  # share of the strongest pixels whose centroid is the point
CENTRE_SIGMA = 0.45  # of the picture's size: a broad bias, not a pull to the middle
BLUR_RADIUS = 4  # pixels of the working copy
MIN_EDGE = 3  # pixels each way a map needs (gradients take two); smaller pictures centre


def _box_blur(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)-pixel square, by summed-area table (edges padded by reflection)."""
    size = 2 * radius + 1
    padded = np.pad(values, radius + 1, mode="reflect")
    table = padded.cumsum(axis=0).cumsum(axis=1)
    total = (table[size:, size:] - table[:-size, size:] - table[size:, :-size]
             + table[:-size, :-size])
    return total[: values.shape[0], : values.shape[1]] / (size * size)


def _normalised(values: np.ndarray) -> np.ndarray:
    span = float(values.max() - values.min())
    return (values - values.min()) / span if span > 1e-3 else np.zeros_like(values)


def saliency_map(image: Image.Image) -> np.ndarray:
    """Edge energy plus colour contrast of ``image`` (upright), at most WORK_EDGE px, 0..1."""
    small = image.convert("RGB")
    small.thumbnail((WORK_EDGE, WORK_EDGE), Image.Resampling.BILINEAR)
    rgb = np.asarray(small, dtype=np.float32) / 255.0
    if min(rgb.shape[:2]) < MIN_EDGE:  # 1 or 2 pixels on a side: nothing stands out
        return np.zeros(rgb.shape[:2], dtype=np.float32)
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gy, gx = np.gradient(grey)
    edges = _box_blur(np.hypot(gx, gy), BLUR_RADIUS)
    contrast = np.linalg.norm(rgb - rgb.reshape(-1, 3).mean(axis=0), axis=2)
    contrast = _box_blur(contrast, BLUR_RADIUS)
    return _normalised(_normalised(edges) + _normalised(contrast))


def guess_focus(image: Image.Image) -> tuple[float, float]:
    """The automatic point of interest of ``image`` (upright) as fractions (x, y) of its size."""
    energy = saliency_map(image)
    rows, cols = energy.shape
    if rows < MIN_EDGE or cols < MIN_EDGE or float(energy.max()) <= 0.0:
        return 0.5, 0.5
    ys, xs = np.mgrid[0:rows, 0:cols]
    fx, fy = (xs + 0.5) / cols, (ys + 0.5) / rows
    bias = np.exp(-((fx - 0.5) ** 2 + (fy - 0.5) ** 2) / (2 * CENTRE_SIGMA**2))
    weighted = energy * bias
    threshold = np.quantile(weighted, 1.0 - TOP_FRACTION)
    top = weighted >= threshold
    weights = weighted[top]
    if float(weights.sum()) <= 0.0:
        return 0.5, 0.5
    x = float((fx[top] * weights).sum() / weights.sum())
    y = float((fy[top] * weights).sum() / weights.sum())
    return round(min(max(x, 0.0), 1.0), 4), round(min(max(y, 0.0), 1.0), 4)


def upright_draft(image: Image.Image) -> Image.Image:
    """A small upright copy for guessing (JPEG draft mode decodes at a fraction of the cost)."""
    image.draft("RGB", (WORK_EDGE * 2, WORK_EDGE * 2))
    return imaging.upright(image).convert("RGB")  # the renditions' orientation rule


def focus_for(asset: Asset, image: Image.Image) -> tuple[float, float]:
    """The editor's point of interest when set, else the guess from ``image`` (upright)."""
    if asset.poi_x is not None and asset.poi_y is not None:
        return asset.poi_x, asset.poi_y
    return guess_focus(image)
