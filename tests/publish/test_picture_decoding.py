"""Exports decode through ingest's one decoder: every type ingest renders, turned as its preview.

Each picture is generated (a quadrant picture, so any turn shows), rendered as ingest renders it,
then exported as publishing exports it (bytes from the store, type unknown): the export must show
what the preview shows. Damaged pictures fail with the decoder's reason as an ExportError.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from ingest import imaging
from ingest.renditions import make_photo_renditions
from ingest.sniff import sniff_file
from publish.embed import PressInfo
from publish.export import ExportError, export_image
from publish.picture import decode_upright, upright_size
from publish.picture_source import from_original
from publish.profiles import DEFAULT_PROFILES
from tests.media import QUADRANTS, quadrant_image, save_oriented, write_dng, write_picture

STORED = (96, 64)
PRESS = DEFAULT_PROFILES["publico"]


def _corners(image: Image.Image) -> list[tuple[int, ...]]:
    w, h = image.size
    rgb = image.convert("RGB")
    return [rgb.getpixel((x, y)) for y in (h // 4, 3 * h // 4) for x in (w // 4, 3 * w // 4)]


def _close(a: list[tuple[int, ...]], b: list[tuple[int, ...]]) -> bool:
    return all(max(abs(x - y) for x, y in zip(p, q, strict=True)) < 40
               for p, q in zip(a, b, strict=True))


def _preview(path: Path) -> Image.Image:
    kind = sniff_file(path)
    rendered = make_photo_renditions(path, kind.mime_type, {"preview": 400})
    return Image.open(io.BytesIO(rendered.images[0].data))


def _sample(tmp_path: Path, fmt: str, orientation: int) -> Path:
    path = tmp_path / f"sample-{fmt.lower()}-{orientation}.bin"
    if orientation == 1:
        return write_picture(quadrant_image(STORED), path, fmt)
    return save_oriented(quadrant_image(STORED), path, fmt, orientation)


@pytest.mark.parametrize(("fmt", "orientation", "upright_size"), [
    ("PSD", 1, STORED), ("JPEG2000", 1, STORED), ("JXL", 1, STORED),
    ("TIFF", 6, STORED[::-1]), ("JPEG", 8, STORED[::-1]),
])
def test_export_shows_what_the_preview_shows(tmp_path: Path, fmt: str, orientation: int,
                                             upright_size: tuple[int, int]) -> None:
    path = _sample(tmp_path, fmt, orientation)
    preview = _preview(path)
    assert preview.size == upright_size, fmt
    data = path.read_bytes()  # as the store hands it to publishing: no name, no type
    exported = export_image(io.BytesIO(data), PressInfo(), PRESS)
    picture = Image.open(io.BytesIO(exported.data))
    assert picture.format == "JPEG" and picture.size == upright_size, fmt
    assert _close(_corners(picture), _corners(preview)), fmt
    if orientation == 1:  # and the colours are the stored ones, not merely the preview's
        assert _close(_corners(picture), [tuple(c) for c in QUADRANTS]), fmt
    assert from_original(sniff_file(path).mime_type), f"{fmt} exports from its preview"


@pytest.mark.parametrize("fmt", ["PSD", "JPEG2000", "JXL", "TIFF", "JPEG"])
def test_a_damaged_picture_gives_its_reason(tmp_path: Path, fmt: str) -> None:
    whole = _sample(tmp_path, fmt, 1).read_bytes()
    cut = whole[: len(whole) * 2 // 3]
    with pytest.raises(ExportError, match="cannot be decoded|truncated|not a picture") as caught:
        decode_upright(io.BytesIO(cut), long_edge=None)
    assert str(caught.value).strip(), fmt


def test_a_known_type_is_decoded_only_as_that_type(tmp_path: Path) -> None:
    data = _sample(tmp_path, "PNG", 1).read_bytes()
    with pytest.raises(ExportError, match="not a picture"):
        decode_upright(io.BytesIO(data), long_edge=None, mime_type="image/jpeg")
    assert decode_upright(io.BytesIO(data), long_edge=None, mime_type="image/png").size == STORED


def test_raws_export_from_their_preview_and_decode_from_a_stream(tmp_path: Path) -> None:
    assert not from_original("image/x-adobe-dng")
    assert not from_original("application/pdf")
    dng = write_dng(tmp_path / "raw.dng", orientation=6)
    with imaging.image_limits(10**8, "DNG"):
        from_path = imaging.open_image(dng, "image/x-adobe-dng", 400, 10**8, None)
        with open(dng, "rb") as stream:
            from_stream = imaging.open_image(stream, "image/x-adobe-dng", 400, 10**8, None)
    assert from_stream.source_size == from_path.source_size == (256, 192)
    upright = imaging.upright_srgb(from_stream)
    assert upright.size == (96, 128)  # developed at half size, turned by its orientation 6
    assert upright.tobytes() == imaging.upright_srgb(from_path).tobytes()



@pytest.mark.parametrize("fmt", ["JPEG", "TIFF", "PNG", "WEBP", "HEIF"])
@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_upright_size_from_the_header_is_the_decoded_size(tmp_path: Path, fmt: str,
                                                          orientation: int) -> None:
    """What social formats check before deciding to enlarge, without decoding the pixels."""
    data = save_oriented(quadrant_image(STORED), tmp_path / "o.bin", fmt, orientation).read_bytes()
    decoded = decode_upright(io.BytesIO(data), long_edge=None)
    turned = orientation in (6, 8)
    assert upright_size(io.BytesIO(data)) == decoded.size == (STORED[::-1] if turned else STORED)
