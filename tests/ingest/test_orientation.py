"""Every EXIF orientation (1-8) turns the renditions as viewers show the picture, per container.

The reference is what exiftool reports and viewers apply: the EXIF Orientation tag for JPEG,
TIFF, PNG (eXIf) and WebP; the irot/imir transform for HEIF (pillow-heif writes the EXIF value
as irot/imir); the EXIF Orientation of a RAW applied to its embedded preview.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from ingest.metadata import extract_metadata
from ingest.renditions import ORIENTATION_TRANSPOSE, make_photo_renditions
from ingest.sniff import sniff_file
from publish.focus import upright_draft
from publish.picture import decode_upright
from tests.conftest import require_corpus
from tests.media import quadrant_image, save_oriented

CONTAINERS = [("JPEG", "jpg"), ("TIFF", "tif"), ("PNG", "png"), ("WEBP", "webp"),
              ("HEIF", "heic")]


def _shown(image: Image.Image, orientation: int) -> Image.Image:
    transpose = ORIENTATION_TRANSPOSE.get(orientation)
    return image.transpose(transpose) if transpose is not None else image


def _corners(image: Image.Image) -> list[tuple[int, ...]]:
    w, h = image.size
    rgb = image.convert("RGB")
    points = ((w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4),
              (3 * w // 4, 3 * h // 4))
    return [rgb.getpixel(point) for point in points]


def _close(a: list[tuple[int, ...]], b: list[tuple[int, ...]]) -> bool:
    pairs = zip(a, b, strict=True)
    return all(max(abs(x - y) for x, y in zip(p, q, strict=True)) < 40 for p, q in pairs)


def _rendered(path: Path) -> tuple[Image.Image, tuple[int, int]]:
    """The preview made as the pipeline makes it (orientation from the file's metadata)."""
    kind = sniff_file(path)
    meta = extract_metadata(path, kind.mime_type)
    result = make_photo_renditions(path, kind.mime_type, {"preview": 400},
                                   orientation=meta.orientation)
    return Image.open(io.BytesIO(result.images[0].data)), (result.source_width,
                                                            result.source_height)


@pytest.mark.parametrize(("fmt", "ext"), CONTAINERS)
@pytest.mark.parametrize("orientation", range(1, 9))
def test_rendition_shows_what_viewers_show(tmp_path: Path, fmt: str, ext: str,
                                           orientation: int) -> None:
    stored = quadrant_image()
    path = save_oriented(stored, tmp_path / f"o{orientation}.{ext}", fmt, orientation)
    preview, source_size = _rendered(path)
    expected = _shown(stored, orientation)
    assert preview.size == expected.size
    assert _close(_corners(preview), _corners(expected)), (fmt, orientation)
    if fmt != "HEIF":  # HEIF stores the pixels already turned; the others as given
        assert source_size == stored.size  # the stored pixels, before orientation


def _set_orientation(source: Path, target: Path, orientation: int) -> Path:
    shutil.copyfile(source, target)
    subprocess.run(["exiftool", "-q", "-m", "-n", "-overwrite_original",
                    f"-IFD0:Orientation={orientation}", str(target)],
                   check=True, capture_output=True)
    return target


@pytest.mark.corpus
@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_raw_preview_follows_every_orientation(tmp_path: Path) -> None:
    dng = next((require_corpus() / "photos").rglob("*.dng"), None)
    if dng is None:
        pytest.skip("no DNG in the corpus")
    upright, _ = _rendered(_set_orientation(dng, tmp_path / "o1.dng", 1))
    for orientation in range(2, 9):
        turned, _ = _rendered(_set_orientation(dng, tmp_path / f"o{orientation}.dng", orientation))
        expected = _shown(upright, orientation)
        assert turned.size == expected.size, orientation
        small = (64, 64)
        diff = ImageOps.grayscale(turned.resize(small)), ImageOps.grayscale(expected.resize(small))
        mean = sum(abs(a - b) for a, b in zip(diff[0].tobytes(), diff[1].tobytes(), strict=True))
        assert mean / (64 * 64) < 12, orientation


@pytest.mark.parametrize(("fmt", "ext"), CONTAINERS)
@pytest.mark.parametrize("orientation", [3, 6, 7, 8])
def test_exports_and_focus_turn_pictures_as_renditions_do(tmp_path: Path, fmt: str, ext: str,
                                                          orientation: int) -> None:
    """Publishing decodes through the same decoder (ingest.imaging.open_image) and rule."""
    stored = quadrant_image()
    path = save_oriented(stored, tmp_path / f"o{orientation}.{ext}", fmt, orientation)
    expected = _corners(_shown(stored, orientation))
    with open(path, "rb") as source:
        exported = decode_upright(source, long_edge=None)
    assert _close(_corners(exported), expected), (fmt, orientation)
    with Image.open(path) as opened:
        guessed = upright_draft(opened)
    assert _close(_corners(guessed), expected), (fmt, orientation)
