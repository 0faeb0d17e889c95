"""Printed publications in PDF: facts, text for search, page previews, encryption, bad files."""

from __future__ import annotations

import datetime as dt
import time
import zlib
from pathlib import Path

import pytest

from dam.catalog import BatchInfo, get_asset
from dam.context import Context
from dam.enums import AssetState, MediaType
from ingest.batching import ingest_paths
from ingest.pdfmeta import (
    document_fields,
    find_xmp_packet,
    parse_pdf_date,
    read_xmp,
    split_keywords,
)
from ingest.pipeline import process_asset
from tests.conftest import FIXTURES

PDFS = FIXTURES / "pdf"


def _process(ctx: Context, path: Path) -> dict:
    report = ingest_paths(ctx, [path], BatchInfo(event="Archivo de impresos"))
    asset_id = report.results[0].asset_id
    assert asset_id is not None
    process_asset(ctx, asset_id)
    return get_asset(ctx.catalog, asset_id)


def test_text_pages_and_previews(ctx: Context) -> None:
    asset = _process(ctx, PDFS / "pdflatex-4-pages.pdf")
    assert (asset["media_type"], asset["state"]) == (MediaType.DOCUMENT, AssetState.READY)
    assert asset["page_count"] == 4 and asset["is_encrypted"] is False
    assert (asset["page_width_pt"], asset["page_height_pt"]) == pytest.approx((595.28, 841.89))
    assert asset["taken_at"] == "2022-04-03T19:59:45" and asset["taken_at_offset_minutes"] == 120
    pages = asset["document_text"].split("\f")
    assert len(pages) == 4 and "impression of the look" in pages[2].replace("\n", " ")
    assert (
        asset["metadata_json"]["pdf"]["text_page_offsets"][2] == len(pages[0]) + len(pages[1]) + 2
    )
    kinds = sorted((r["kind"], r["page"]) for r in asset["renditions"])
    assert kinds == [
        ("page", 1),
        ("page", 2),
        ("page", 3),
        ("page", 4),
        ("preview", 0),
        ("thumbnail", 0),
    ]
    preview = next(r for r in asset["renditions"] if r["kind"] == "preview")
    assert preview["height"] == 1440 and abs(preview["width"] - 1440 * 595.28 / 841.89) <= 1


def test_text_and_page_caps(ctx: Context) -> None:
    ctx.settings = ctx.settings.replace(pdf_text_max_chars=500, pdf_page_preview_cap=2)
    asset = _process(ctx, PDFS / "pdflatex-4-pages.pdf")
    assert len(asset["document_text"]) == 500
    assert asset["metadata_json"]["pdf"]["text_truncated"] is True
    assert sorted(r["page"] for r in asset["renditions"] if r["kind"] == "page") == [1, 2]


def test_encrypted_pdf_is_kept_and_catalogued_as_such(ctx: Context) -> None:
    asset = _process(ctx, PDFS / "libreoffice-writer-password.pdf")
    assert asset["state"] == AssetState.READY and asset["is_encrypted"] is True
    assert asset["document_text"] is None and asset["renditions"] == []
    assert any("encrypted" in note for note in asset["metadata_json"]["notes"])
    assert ctx.store.exists(asset["original_key"])


def test_damaged_pdf_fails_with_a_reason(ctx: Context, tmp_path: Path) -> None:
    damaged = tmp_path / "boletín.pdf"
    damaged.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n" + b"\x00" * 500)
    asset = _process(ctx, damaged)
    assert asset["state"] == AssetState.FAILED
    assert "damaged or unreadable PDF" in asset["error"]
    assert ctx.store.exists(asset["original_key"])


def _zeros_stream(size: int) -> bytes:
    """A Flate stream of ``size`` zero bytes, built from one repeated full-flushed block."""
    block = 1024 * 1024
    compressor = zlib.compressobj(9)
    piece = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    rest = size // block - 2
    return piece + again * rest + compressor.flush()


def bomb_pdf(path: Path, side: int) -> Path:
    """One page showing a side x side RGB image that inflates ~1000 times its stored size."""
    data = _zeros_stream(side * side * 3)
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (side, side, len(data), data),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(out)
    return path


def test_pdf_bomb_ends_within_its_limits(ctx: Context, tmp_path: Path) -> None:
    # 20,000 x 20,000 RGB: 1.2 GB of pixels in a 1.2 MB file, under a 256 MiB memory limit.
    ctx.settings = ctx.settings.replace(media_step_memory_mb=256, media_step_timeout_seconds=30)
    bomb = bomb_pdf(tmp_path / "cartel.pdf", 20_000)
    assert bomb.stat().st_size < 3_000_000
    started = time.monotonic()
    asset = _process(ctx, bomb)
    assert time.monotonic() - started < 60
    # PDFium scales the picture down while inflating it, so the page is shown; the picture
    # itself is too big to hash within the limits, so no link is looked for.
    assert asset["state"] in (AssetState.READY, AssetState.FAILED)
    if asset["state"] == AssetState.FAILED:
        assert asset["error"]
    assert asset["page_count"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D:20220403180542+02'00'", (dt.datetime(2022, 4, 3, 18, 5, 42), 120)),
        ("D:20230623063933Z", (dt.datetime(2023, 6, 23, 6, 39, 33), 0)),
        ("D:20230410074654Z07'46'", (dt.datetime(2023, 4, 10, 7, 46, 54), 0)),
        ("D:20240103093826-06'00", (dt.datetime(2024, 1, 3, 9, 38, 26), -360)),
        ("D:2016", (dt.datetime(2016, 1, 1), None)),
        ("D:19700101000000Z", None),
        ("yesterday", None),
    ],
)
def test_pdf_dates(text: str, expected: tuple | None) -> None:
    assert parse_pdf_date(text) == expected


def test_keywords_and_xmp(tmp_path: Path) -> None:
    assert split_keywords("Geometrie, Topologie; Geometrie") == ["Geometrie", "Topologie"]
    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/><pdf:Producer/></x:xmpmeta>'
    path = tmp_path / "x.pdf"
    # Across the boundary of two read chunks, found once.
    path.write_bytes(b"%PDF-1.4\n" + b" " * (1024 * 1024 - 12) + packet + b"\n%%EOF")
    assert find_xmp_packet(path) == packet


def test_old_xapmeta_wrapper_is_read(tmp_path: Path) -> None:
    """Acrobat 4-5 era XMP (``<x:xapmeta>``, ``xap:``) gives the title, creator and date."""
    packet = (
        "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>"
        "<x:xapmeta xmlns:x='adobe:ns:meta/' x:xaptk='XMP toolkit 2.9.1-13, framework 1.6'>"
        "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        "<rdf:Description rdf:about='' xmlns:xap='http://ns.adobe.com/xap/1.0/'>"
        "<xap:CreateDate>2003-05-06T10:20:30-06:00</xap:CreateDate></rdf:Description>"
        "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        "<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Informe anual 2002</rdf:li></rdf:Alt>"
        "</dc:title><dc:creator><rdf:Seq><rdf:li>Dirección de Comunicación</rdf:li></rdf:Seq>"
        "</dc:creator></rdf:Description></rdf:RDF></x:xapmeta><?xpacket end='r'?>"
    ).encode()
    path = tmp_path / "old.pdf"
    path.write_bytes(b"%PDF-1.3\n1 0 obj<</Type/Metadata/Subtype/XML>>stream\n" + packet
                     + b"\nendstream endobj\n%%EOF")
    xmp = read_xmp(path, [])
    fields = document_fields({}, xmp)
    assert fields["headline"] == "Informe anual 2002"
    assert "Dirección de Comunicación" in str(fields["creator"])
    assert str(fields["taken_at"]).startswith("2003-05-06")
