"""Metadata travels with the file: IPTC and XMP in downloads, read back by exiftool."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dam.models import Asset, AuditEntry
from ingest.batching import ingest_paths
from ingest.pipeline import process_asset
from publish.embed import EmbedError, PressInfo, original_plan, press_jpeg, stream_plan
from publish.embed.jpeg import scan_jpeg
from publish.embed.xmp import STANDARD_LIMIT, split_xmp
from tests.changefeed_check import record_fixture_writes
from tests.conftest import FIXTURES, require_corpus
from tests.web.conftest import INFO, Archive, ctx_of, login, state_of

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool is not installed (Debian: libimage-exiftool-perl)")
SONY = "photos/exif-samples/exif-py-extra/jpg/Sony_DSLR-A200.jpg"  # EXIF, old XMP and IPTC
ULTRA_HDR = "photos/androidx-media/jpeg/ultraHDR.jpg"  # MPF with a gain map after the image
LONG = ("Vecinas de la colonia 👩‍👩‍👧‍👦 celebran 🎉 — שלום לכולם — مرحبا بالجميع — ") * 700
LONG = LONG[:50_000]
FIELDS = {
    "caption": 'Inauguración del mercado <script>alert("x")</script> & "comillas"',
    "headline": "Abre el mercado remodelado",
    "keywords": ["mercado", "obra pública", "Santa Cruz Meyehualco"],
    "creator": "Ana Peña",
    "credit": "Foto: Ana Peña / Alcaldía Iztapalapa",
    "copyright_notice": "© 2025 Alcaldía Iztapalapa",
    "usage_terms": "Uso editorial; citar el crédito",
    "alt_text": "Una mujer corta el listón frente a los puestos",
}
EXPECTED = {  # exiftool tag: what it must read back
    "XMP-dc:Description": FIELDS["caption"], "XMP-photoshop:Headline": FIELDS["headline"],
    "XMP-dc:Subject": FIELDS["keywords"], "XMP-dc:Creator": ["Ana Peña"],
    "XMP-photoshop:Credit": FIELDS["credit"], "XMP-dc:Rights": FIELDS["copyright_notice"],
    # The terms as typed, naming the asset's licence (the default one here).
    "XMP-xmpRights:UsageTerms": "Uso editorial; citar el crédito. Licencia: Todos los derechos "
                                "reservados.",
    "XMP-iptcCore:AltTextAccessibility": FIELDS["alt_text"],
}
EXPECTED_IIM = {
    "IPTC:Caption-Abstract": FIELDS["caption"], "IPTC:Headline": FIELDS["headline"],
    "IPTC:Keywords": FIELDS["keywords"], "IPTC:By-line": "Ana Peña",
    "IPTC:Credit": FIELDS["credit"], "IPTC:CopyrightNotice": FIELDS["copyright_notice"],
    "IPTC:SpecialInstructions": "Uso editorial; citar el crédito. Licencia: Todos los derechos "
                                "reservados.",
}


def exiftool(data: bytes, tmp_path: Path, suffix: str = ".jpg") -> dict[str, Any]:
    path = tmp_path / f"read{suffix}"
    path.write_bytes(data)
    out = subprocess.run([EXIFTOOL or "exiftool", "-j", "-G1", "-a", "-struct", str(path)],
                         capture_output=True, check=True, timeout=60)
    return json.loads(out.stdout)[0]


def _signed_in(app: Flask, name: str = "prensa") -> FlaskClient:
    client = app.test_client()
    login(client, name)
    return client


def _ingest(app: Flask, source: Path, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / source.name
    shutil.copyfile(source, path)
    ctx = ctx_of(app)
    report = ingest_paths(ctx, [path], INFO)
    asset_id = report.results[0].asset_id
    assert asset_id is not None, report.results[0]
    process_asset(ctx, asset_id)
    state_of(app).search.sync()
    return asset_id


def _describe(app: Flask, asset_id: int, **fields: Any) -> None:
    with ctx_of(app).catalog.write() as session:
        asset = session.get(Asset, asset_id)
        for name, value in {**FIELDS, **fields}.items():
            setattr(asset, name, value)
        record_fixture_writes(session)


def _stored(app: Flask, asset_id: int) -> bytes:
    ctx = ctx_of(app)
    with ctx.catalog.read() as session:
        key = session.get(Asset, asset_id).original_key
    return ctx.store.read_bytes(key)


def _image_data(jpeg: bytes) -> bytes:
    """From the first SOS marker to the end: what metadata rewriting must not touch."""
    _segments, sos = scan_jpeg(io.BytesIO(jpeg))
    return jpeg[sos:]


def _png_chunks(png: bytes, kind: bytes) -> list[bytes]:
    found, pos = [], 8
    while pos < len(png):
        length, name = struct.unpack(">I4s", png[pos : pos + 8])
        if name == kind:
            found.append(png[pos : pos + 12 + length])
        pos += 12 + length
    return found


def _assert_fields(meta: dict[str, Any], expected: dict[str, Any]) -> None:
    for tag, value in expected.items():
        assert meta.get(tag) == value, tag


# -- the web downloads ----------------------------------------------------------------------------


@needs_exiftool
def test_press_jpeg_carries_every_field(app: Flask, archive: Archive, tmp_path: Path) -> None:
    asset_id = archive.asset_ids[0]
    _describe(app, asset_id)
    response = _signed_in(app).get(f"/material/{asset_id}/jpeg")
    assert response.status_code == 200
    meta = exiftool(response.data, tmp_path)
    _assert_fields(meta, EXPECTED)
    _assert_fields(meta, EXPECTED_IIM)
    assert b"&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp;" in response.data


@needs_exiftool
def test_camera_original_gets_new_metadata_and_keeps_the_rest(app: Flask,
                                                              tmp_path: Path) -> None:
    corpus = require_corpus()
    asset_id = _ingest(app, corpus / SONY, tmp_path / "in")
    before = _stored(app, asset_id)
    _describe(app, asset_id)
    with _signed_in(app).get(f"/material/{asset_id}/original") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        body = response.data
        assert int(response.headers["Content-Length"]) == len(body)
        assert "Sony_DSLR-A200.jpg" in response.headers["Content-Disposition"]
    meta = exiftool(body, tmp_path)
    _assert_fields(meta, EXPECTED)
    _assert_fields(meta, EXPECTED_IIM)
    assert meta["IFD0:Model"] == "DSLR-A200"
    assert meta["ExifIFD:DateTimeOriginal"] == "2007:01:01 00:00:00"
    assert meta["XMP-xmp:ModifyDate"] == "2014:02:03 21:15:18+05:30"  # old XMP we do not write
    assert not [k for k, v in meta.items() if "Picasa" in str(v) and k != "IFD0:Artist"]
    assert "Warning" not in meta
    assert _image_data(body) == _image_data(before)
    assert _stored(app, asset_id) == before  # the stored original is untouched
    with ctx_of(app).catalog.read() as session:
        assert hashlib.sha256(before).hexdigest() == session.get(Asset, asset_id).sha256


@needs_exiftool
def test_png_original_gets_xmp_and_keeps_its_pixels(app: Flask, tmp_path: Path) -> None:
    asset_id = _ingest(app, FIXTURES / "photos" / "park.png", tmp_path / "in")
    before = _stored(app, asset_id)
    _describe(app, asset_id, caption=LONG)
    with _signed_in(app).get(f"/material/{asset_id}/original") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        body = response.data
        assert int(response.headers["Content-Length"]) == len(body)
    meta = exiftool(body, tmp_path, ".png")
    _assert_fields(meta, {**EXPECTED, "XMP-dc:Description": LONG})
    assert "Warning" not in meta
    assert _png_chunks(body, b"IDAT") == _png_chunks(before, b"IDAT")
    assert _png_chunks(body, b"IHDR") == _png_chunks(before, b"IHDR")
    assert len(_png_chunks(body, b"iTXt")) == 1
    assert _stored(app, asset_id) == before


@needs_exiftool
def test_a_50000_character_caption_round_trips_in_full(app: Flask, archive: Archive,
                                                       tmp_path: Path) -> None:
    asset_id = archive.asset_ids[0]
    _describe(app, asset_id, caption=LONG)
    client = _signed_in(app)
    for path in (f"/material/{asset_id}/original", f"/material/{asset_id}/jpeg"):
        with client.get(path) as response:
            body = response.data
        meta = exiftool(body, tmp_path)
        assert meta["XMP-dc:Description"] == LONG, path  # all of it, through extended XMP
        assert "XMP-xmpNote:HasExtendedXMP" in meta
        iim = meta["IPTC:Caption-Abstract"]  # IIM holds 2,000 bytes, cut between characters
        assert LONG.startswith(iim) and 1990 <= len(iim.encode()) <= 2000
        assert "Warning" not in meta


def test_exact_original_is_the_stored_bytes(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    _describe(app, asset_id)
    stored = _stored(app, asset_id)
    with _signed_in(app).get(f"/material/{asset_id}/original-exacto") as response:
        assert response.status_code == 200 and response.data == stored
        assert response.headers["X-Content-SHA256"] == hashlib.sha256(stored).hexdigest()
        assert response.headers["Repr-Digest"].startswith("sha-256=:")
    client = _signed_in(app)
    with client.get(f"/material/{asset_id}/original") as response:
        embedded = response.data
        assert embedded != stored and FIELDS["headline"].encode() in embedded
        etag = response.headers["ETag"]
    with client.get(f"/material/{asset_id}/original", headers={"Range": "bytes=10-5000"}) as part:
        assert part.status_code == 206 and part.data == embedded[10:5001]
    with client.get(f"/material/{asset_id}/original", headers={"If-None-Match": etag}) as same:
        assert same.status_code == 304
    _describe(app, asset_id, headline="Otro titular")
    with client.get(f"/material/{asset_id}/original", headers={"If-None-Match": etag}) as new:
        assert new.status_code == 200 and b"Otro titular" in new.data


@needs_exiftool
def test_other_types_travel_exact_with_an_xmp_sidecar(app: Flask, tmp_path: Path) -> None:
    asset_id = _ingest(app, FIXTURES / "photos" / "concert-rgba-icc.tiff", tmp_path / "in")
    _describe(app, asset_id)
    client = _signed_in(app)
    page = client.get(f"/material/{asset_id}").text
    assert f"/material/{asset_id}/xmp" in page and f"/material/{asset_id}/original-exacto" in page
    with client.get(f"/material/{asset_id}/original") as response:
        assert response.data == _stored(app, asset_id)
    sidecar = client.get(f"/material/{asset_id}/xmp")
    assert sidecar.status_code == 200 and sidecar.mimetype == "application/rdf+xml"
    assert "concert-rgba-icc.xmp" in sidecar.headers["Content-Disposition"]
    _assert_fields(exiftool(sidecar.data, tmp_path, ".xmp"), EXPECTED)


def test_jpeg_page_offers_metadata_original_not_a_sidecar(app: Flask, archive: Archive) -> None:
    page = _signed_in(app).get(f"/material/{archive.asset_ids[0]}").text
    assert f"/material/{archive.asset_ids[0]}/original-exacto" in page
    assert f"/material/{archive.asset_ids[0]}/xmp" not in page


def test_downloads_are_written_to_the_audit_log(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    client = _signed_in(app)
    for path in ("original", "original-exacto", "jpeg", "xmp"):
        with client.get(f"/material/{asset_id}/{path}") as response:
            assert response.status_code == 200
    with client.head(f"/material/{asset_id}/original") as response:
        assert response.status_code == 200
    with client.get(f"/material/{asset_id}/original", headers={"Range": "bytes=100-"}) as part:
        assert part.status_code == 206  # resuming a download is not a new download
    with ctx_of(app).catalog.read() as session:
        entries = session.query(AuditEntry).filter_by(asset_id=asset_id).all()
        seen = sorted((e.action, e.detail, e.username) for e in entries)
    assert seen == [("download", "original", "prensa"), ("download", "original-exact", "prensa"),
                    ("download", "press-jpeg", "prensa")]


def test_the_public_cannot_download(app: Flask, archive: Archive) -> None:
    client = app.test_client()
    for path in ("original", "original-exacto", "jpeg", "xmp"):
        for asset_id in (archive.asset_ids[0], 999_999):
            with client.get(f"/material/{asset_id}/{path}") as response:
                assert response.status_code == 404, path
    with ctx_of(app).catalog.read() as session:
        assert session.query(AuditEntry).count() == 0
    with _signed_in(app).get("/material/999999/original-exacto") as response:
        assert response.status_code == 404


def test_a_corrupt_stored_jpeg_is_sent_exact_not_an_error(app: Flask, archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    ctx = ctx_of(app)
    with ctx.catalog.read() as session:
        key = session.get(Asset, asset_id).original_key
    with ctx.store.local_path(key) as path:
        path.chmod(0o644)
        path.write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage")  # ends inside a segment
        damaged = path.read_bytes()
    with _signed_in(app).get(f"/material/{asset_id}/original") as response:
        assert response.status_code == 200 and response.data == damaged


# -- the embedding functions ----------------------------------------------------------------------


def _plan_bytes(data: bytes, mime_type: str, info: PressInfo) -> bytes:
    plan = original_plan(io.BytesIO(data), len(data), mime_type, info)
    out = b"".join(stream_plan(io.BytesIO(data), plan))
    assert len(out) == plan.length
    return out


def test_truncated_or_corrupt_jpeg_headers_raise_a_clear_error() -> None:
    good = (FIXTURES / "photos" / "tokyo-gps.jpg").read_bytes()
    _segments, sos = scan_jpeg(io.BytesIO(good))
    info = PressInfo(caption="x")
    for end in (0, 1, 2, 3, 5, 20, sos // 2, sos - 1, sos, sos + 1):
        with pytest.raises(EmbedError):
            _plan_bytes(good[:end], "image/jpeg", info)
    for bad in (b"GIF89a", b"\xff\xd8\xff\xd9", b"\xff\xd8\x00\x00\x00",
                b"\xff\xd8\xff\xe1\x00\x01", good[:2] + b"\x00" + good[3:]):
        with pytest.raises(EmbedError):
            _plan_bytes(bad, "image/jpeg", info)
    with pytest.raises(EmbedError):
        _plan_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "image/png", info)


def test_bad_corpus_images_either_embed_cleanly_or_raise_embed_error() -> None:
    corpus = require_corpus()
    info = PressInfo(caption="Pie de foto", keywords=["a"])
    checked = 0
    for path in sorted((corpus / "bad").rglob("*")):
        mime = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}.get(
            path.suffix.lower())
        if mime is None or not path.is_file():
            continue
        data = path.read_bytes()
        try:
            out = _plan_bytes(data, mime, info)
        except EmbedError:
            continue
        if mime == "image/jpeg":
            assert _image_data(out) == _image_data(data), path
        checked += 1
    assert checked > 0


def test_long_xmp_is_split_into_standard_and_extended_parts() -> None:
    standard, extended = split_xmp(PressInfo(caption=LONG, headline="Titular"))
    assert extended is not None and len(standard) <= STANDARD_LIMIT
    guid = hashlib.md5(extended, usedforsecurity=False).hexdigest().upper()
    assert f"<xmpNote:HasExtendedXMP>{guid}</xmpNote:HasExtendedXMP>".encode() in standard
    assert b"Titular" in standard and LONG.encode() in extended
    short, none = split_xmp(PressInfo(caption="corto"))
    assert none is None and b"HasExtendedXMP" not in short


def test_control_characters_never_break_the_xmp() -> None:
    import xml.etree.ElementTree as ET

    info = PressInfo(caption="uno\x00dos\x1btres\ttab", keywords=["a\x0bb"])
    standard, _ = split_xmp(info)
    root = ET.fromstring(standard.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
    assert "unodostres\ttab" in ET.tostring(root, encoding="unicode")


@needs_exiftool
def test_multi_picture_offsets_follow_the_rewritten_header(tmp_path: Path) -> None:
    data = (require_corpus() / ULTRA_HDR).read_bytes()
    out = _plan_bytes(data, "image/jpeg", PressInfo(caption=LONG))
    assert len(out) != len(data)

    def gain_map(blob: bytes) -> bytes:
        path = tmp_path / "mpf.jpg"
        path.write_bytes(blob)
        return subprocess.run([EXIFTOOL or "exiftool", "-b", "-MPImage2", str(path)],
                              capture_output=True, check=True).stdout

    assert gain_map(out) == gain_map(data) and gain_map(out)[:2] == b"\xff\xd8"
    meta = exiftool(out, tmp_path)
    assert str(meta["XMP-hdrgm:Version"]) == "1.0"  # the gain map's XMP travels on
    assert "GainMap" in json.dumps(meta["XMP-Container:Directory"])
    assert meta["XMP-dc:Description"] == LONG


def test_press_jpeg_is_a_valid_jpeg_with_the_metadata_first() -> None:
    from PIL import Image

    source = (FIXTURES / "photos" / "park.png").read_bytes()
    out = press_jpeg(source, PressInfo(caption="Parque", keywords=["parque"]))
    with Image.open(io.BytesIO(out)) as image:
        image.load()
        assert image.format == "JPEG"
    segments, _ = scan_jpeg(io.BytesIO(out))
    assert [s.marker for s in segments[:3]] == [0xE0, 0xE1, 0xED]  # JFIF, XMP, IPTC


class _Unseekable(io.RawIOBase):
    """A stream that cannot seek, like an object store's HTTP body."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_streams_that_cannot_seek_give_the_same_bytes() -> None:
    info = PressInfo(caption=LONG, keywords=["uno", "dos"])
    for name, mime in (("tokyo-gps.jpg", "image/jpeg"), ("park.png", "image/png")):
        data = (FIXTURES / "photos" / name).read_bytes()
        plan = original_plan(io.BufferedReader(_Unseekable(data)), len(data), mime, info)
        streamed = b"".join(stream_plan(io.BufferedReader(_Unseekable(data)), plan))
        assert streamed == _plan_bytes(data, mime, info), name


def test_old_xmp_keeps_foreign_properties_and_survives_garbage() -> None:
    from publish.embed.merge import kept_properties
    from publish.embed.xmp import WRITTEN

    old = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
           b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description rdf:about="" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"'
           b' xmlns:dc="http://purl.org/dc/elements/1.1/" GCamera:MotionPhoto="1">'
           b"<dc:description>viejo</dc:description><dc:title>T &amp; &lt;b&gt;</dc:title>"
           b"</rdf:Description></rdf:RDF></x:xmpmeta>" + b"\x00" * 10)
    kept = kept_properties(old, WRITTEN)
    assert kept[0].startswith("<GCamera:MotionPhoto xmlns:GCamera=") and ">1<" in kept[0]
    assert kept[1].startswith("<dc:title") and "T &amp; &lt;b&gt;" in kept[1]
    assert len(kept) == 2  # the old caption is replaced, not kept
    for garbage in (b"", b"<x:xmpmeta>", old[:120], b'<!DOCTYPE x [<!ENTITY a "aa">]>' + old[60:]):
        assert isinstance(kept_properties(garbage, WRITTEN), list)
