"""Corpus photos export as their previews show them: the same decoder, the same orientation rule.

One photo per type and stated orientation (exiftool's reference) keeps this quick.
"""

from __future__ import annotations

import io
import json
from functools import cache

import pytest
from PIL import Image

from ingest import imaging
from ingest.renditions import make_photo_renditions
from ingest.sniff import sniff_file
from publish.picture import decode_upright
from publish.picture_source import from_original
from tests.conftest import CORPUS
from tests.ingest.test_renditions_corpus import NOT_RENDERED

pytestmark = pytest.mark.corpus
EDGE = 400


@cache
def _samples() -> list[str]:
    """The first corpus photo of each (type, orientation) exiftool reports."""
    if not CORPUS.is_dir():
        return []
    entries = json.loads((CORPUS / "exiftool.json").read_text(encoding="utf-8"))
    chosen: dict[tuple[str, object], str] = {}
    for entry in sorted(entries, key=lambda e: e["SourceFile"]):
        path = entry["SourceFile"]
        if path.startswith(("photos/", "iptc/")) and path not in NOT_RENDERED:
            key = (entry.get("File:FileType", ""), entry.get("IFD0:Orientation"))
            chosen.setdefault(key, path)
    return sorted(chosen.values())


@pytest.mark.parametrize("name", _samples() or [pytest.param("", marks=pytest.mark.skip(
    reason=f"the shared corpus is not at {CORPUS}"))])
def test_corpus_photo_exports_as_its_preview_shows_it(name: str) -> None:
    path = CORPUS / name
    mime_type = sniff_file(path).mime_type
    if mime_type in imaging.RAW_MIME_TYPES:
        assert not from_original(mime_type)  # a RAW exports from its preview rendition
        return
    assert from_original(mime_type), mime_type
    preview = make_photo_renditions(path, mime_type, {"preview": EDGE}).images[0]
    with open(path, "rb") as source:  # as the store hands it over: no name, no type
        picture = decode_upright(source, long_edge=EDGE)
    assert picture.mode in ("RGB", "RGBA")
    ratio = picture.width / picture.height
    assert abs(ratio - preview.width / preview.height) < 0.05 * ratio, name
    shown = Image.open(io.BytesIO(preview.data)).convert("RGB").resize((16, 16))
    exported = imaging.flatten(picture).resize((16, 16))
    difference = sum(abs(a - b) for a, b in zip(shown.tobytes(), exported.tobytes(), strict=True))
    assert difference / (16 * 16 * 3) < 12, name
