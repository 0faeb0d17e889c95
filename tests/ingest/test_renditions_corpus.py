"""Renditions over the shared corpus: every photo renders, every bad photo fails cleanly, fast."""

from __future__ import annotations

import io
import json
import time
from functools import cache

import pytest
from PIL import Image

from dam.enums import MediaType
from dam.errors import IngestError
from ingest.renditions import make_photo_renditions
from ingest.sniff import sniff_file
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus

PHOTO = MediaType.PHOTO
SIZES = {"preview": 1440, "thumbnail": 400}
BAD_FILE_SECONDS = 20
# Photos that cannot render, and why; every other photo must.
NOT_RENDERED: dict[str, tuple[type[IngestError], str]] = {
    "photos/exif-samples/exif-py-extra/raw/sony_alpha_a7iii_raw_image.ARW": (
        IngestError,
        "unreadable Sony ARW",  # only the first 8 KB of a raw file: no preview, no raw data
    ),
}


def _corpus_photos(folder: str) -> list[str]:
    """Paths, relative to the corpus, of the files under ``folder`` that sniff as photos."""
    root = CORPUS / folder
    if not root.is_dir():
        return []
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return [str(p.relative_to(CORPUS)) for p in files if sniff_file(p).media_type == PHOTO]


def _params(folder: str) -> list:
    files = _corpus_photos(folder)
    if files:
        return files
    return [pytest.param(None, marks=pytest.mark.skip(reason=f"the corpus is not at {CORPUS}"))]


@cache
def _exiftool_sizes() -> dict[str, tuple[int, int]]:
    """Composite:ImageSize from the corpus's exiftool reference, by path."""
    sizes = {}
    for record in json.loads((CORPUS / "exiftool.json").read_text(encoding="utf-8")):
        size = record.get("Composite:ImageSize")
        if isinstance(size, str) and len(size.split()) == 2:
            width, height = size.split()
            sizes[record["SourceFile"]] = (int(width), int(height))
    return sizes


def test_every_file_under_photos_sniffs_as_a_photo() -> None:
    photos = CORPUS / "photos"
    if not photos.is_dir():
        pytest.skip(f"the corpus is not at {CORPUS}")
    assert len(_corpus_photos("photos")) == sum(1 for p in photos.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", _params("photos"))
def test_every_corpus_photo_renders(name: str) -> None:
    path = CORPUS / name
    sniffed = sniff_file(path)
    if name in NOT_RENDERED:
        error, reason = NOT_RENDERED[name]
        with pytest.raises(error, match=reason):
            make_photo_renditions(path, sniffed.mime_type, SIZES)
        return
    result = make_photo_renditions(path, sniffed.mime_type, SIZES)
    assert result.phash is not None
    expected = _exiftool_sizes().get(name)
    if expected is not None:  # pixels as stored, as exiftool reports them
        assert (result.source_width, result.source_height) == expected
    is_raw = sniffed.mime_type.startswith("image/x-")  # sized by the camera's preview instead
    longest = max(result.source_width, result.source_height)
    for rendered in result.images:
        with Image.open(io.BytesIO(rendered.data)) as image:
            assert image.format == "JPEG"
            assert image.size == (rendered.width, rendered.height)
        long_edge = max(rendered.width, rendered.height)
        assert long_edge <= SIZES[rendered.kind]
        assert is_raw or long_edge == min(SIZES[rendered.kind], longest)


@pytest.mark.parametrize("name", _params("bad"))
def test_bad_photos_render_or_fail_cleanly_and_quickly(name: str) -> None:
    path = CORPUS / name
    sniffed = sniff_file(path)
    started = time.monotonic()
    try:
        result = make_photo_renditions(path, sniffed.mime_type, SIZES)
    except IngestError as exc:
        assert str(exc), name
    else:  # a readable file: its size is what the README promises for every photo type
        assert result.images and all(image.data for image in result.images)
        expected = _exiftool_sizes().get(name)
        if expected is not None:
            assert (result.source_width, result.source_height) == expected, name
    assert time.monotonic() - started < BAD_FILE_SECONDS
