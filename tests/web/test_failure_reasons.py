"""Failure reasons reach people in Spanish; the recorded technical text stays for admins."""

from __future__ import annotations

import pytest
from flask import Flask

from ingest.reasons import REASON_CODES, reason_code
from web.reasons import MESSAGES, failure_text

RECORDED = {
    "empty file (0 bytes)": "empty",
    "truncated JPEG: image file is truncated (8 bytes not processed)": "truncated",
    "unreadable TIFF: decoder error -2": "damaged",
    "unreadable PNG: not a valid PNG image or an unknown variant": "damaged",
    "GIF too large (decompression bomb guard): Image size exceeds limit": "too_large",
    "DNG file holds no image data (pruned or truncated) and no whole preview": "raw_empty",
    "no h264 frame could be decoded": "no_picture",
    "damaged or unreadable PDF: Failed to load document": "pdf",
    "video analysis took longer than 120 s and was stopped": "timeout",
    "cannot read the file: [Errno 5] Input/output error": "storage",
    "internal error (KeyError): 'x'": "internal",
    "something nobody foresaw": "failed",
}


def test_every_code_has_a_message() -> None:
    assert set(MESSAGES) == set(REASON_CODES)


@pytest.mark.parametrize(("recorded", "code"), sorted(RECORDED.items()))
def test_recorded_reasons_are_sorted_into_codes(recorded: str, code: str) -> None:
    assert reason_code(recorded) == code


def test_reasons_read_in_spanish(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "es-MX"}):
        assert failure_text("truncated JPEG: image file is truncated") == (
            "El archivo está incompleto: se cortó antes de terminar.")
        assert failure_text("unreadable TIFF: decoder error -2") == (
            "El archivo está dañado o es de un tipo que no se puede leer.")
        assert failure_text(None) == ""


def test_failed_asset_page_in_spanish_with_detail_for_admins(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dam.catalog import BatchInfo
    from ingest.batching import ingest_paths
    from ingest.pipeline import process_asset
    from tests.web.conftest import ctx_of, signed_in

    ctx = ctx_of(app)
    bad = tmp_path / "roto.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" * 3)
    result = ingest_paths(ctx, [bad], BatchInfo(event="roto")).results[0]
    process_asset(ctx, result.asset_id)
    page = signed_in(app, "editora").get(f"/material/{result.asset_id}").get_data(as_text=True)
    assert "El archivo está dañado o es de un tipo que no se puede leer." in page
    assert "unreadable JPEG" not in page
    admin_page = signed_in(app, "admin").get(f"/material/{result.asset_id}").get_data(as_text=True)
    assert "unreadable JPEG" in admin_page
