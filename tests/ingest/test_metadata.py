"""Photo metadata extraction on small fixtures and on files the tests build byte by byte."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from ingest.metadata import ExtractedMetadata, extract_metadata

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "metadata"
REFERENCE = FIXTURES / "IPTC-PhotometadataRef-Std2021.1.jpg"
NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}


# --- builders -------------------------------------------------------------------------------


def xmp_packet(body: str) -> bytes:
    """An XMP packet whose rdf:Description holds `body` (property elements)."""
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {declarations}>{body}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def iim(*datasets: tuple[int, int, bytes]) -> bytes:
    return b"".join(
        b"\x1c" + bytes([record, number]) + struct.pack(">H", len(value)) + value
        for record, number, value in datasets
    )


def app13(iim_data: bytes) -> bytes:
    """A JPEG APP13 segment holding IPTC-IIM in a Photoshop image resource (id 0x0404)."""
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim_data)) + iim_data
    resource += b"\x00" * (len(iim_data) % 2)
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def app1_exif(tiff: bytes) -> bytes:
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def write_jpeg(
    path: Path,
    *,
    exif: Image.Exif | None = None,
    xmp: bytes | None = None,
    segments: bytes = b"",
    size: tuple[int, int] = (8, 6),
) -> Path:
    buffer = io.BytesIO()
    options: dict[str, object] = {}
    if exif is not None:
        options["exif"] = exif
    if xmp is not None:
        options["xmp"] = xmp
    Image.new("RGB", size, "gray").save(buffer, "JPEG", **options)
    data = buffer.getvalue()
    path.write_bytes(data[:2] + segments + data[2:])  # extra segments right after SOI
    return path


def exif_with(**ifds: dict[int, object]) -> Image.Exif:
    """EXIF from {'ifd0': {...}, 'exif': {...}, 'gps': {...}} tag dictionaries."""
    exif = Image.Exif()
    for tag, value in ifds.get("ifd0", {}).items():
        exif[tag] = value
    for name, pointer in (("exif", 0x8769), ("gps", 0x8825)):
        if name in ifds:
            exif.get_ifd(pointer).update(ifds[name])
    return exif


def extract(path: Path, mime: str = "image/jpeg") -> ExtractedMetadata:
    return extract_metadata(path, mime)


# --- the IPTC reference image ---------------------------------------------------------------


def test_iptc_reference_image_core_and_extension_fields() -> None:
    meta = extract(REFERENCE)
    # Expected values are those exiftool 12.57 reports for this file (corpus/exiftool.json).
    assert (meta.width, meta.height) == (2000, 1000)
    assert meta.headline == "The Headline (ref2021.1)"
    assert meta.caption == "The description aka caption (ref2021.1)"
    assert meta.keywords == ["Keyword1ref2021.1", "Keyword2ref2021.1", "Keyword3ref2021.1"]
    assert meta.creator == "Creator1 (ref2021.1)"
    assert meta.credit == "Credit Line (ref2021.1)"
    assert meta.source == "Source (ref2021.1)"
    assert meta.copyright_notice == "Copyright (Notice) 2021.1 IPTC - www.iptc.org  (ref2021.1)"
    assert meta.usage_terms == "Rights Usage Terms (ref2021.1)"
    assert meta.city == "City (Core) (ref2021.1)"
    assert meta.sublocation == "Sublocation (Core) (ref2021.1)"
    assert meta.state_province == "Province/State(Core)(ref2021.1)"
    assert meta.country == "Country (Core) (ref2021.1)"
    assert meta.country_code == "R21"
    assert meta.event == "Event Name (ref2021.1)"
    assert meta.persons_shown == ["Person Shown 1 (ref2021.1)", "Person Shown 2 (ref2021.1)"]
    assert meta.taken_at == dt.datetime(2021, 10, 20, 21, 1, 1)
    assert meta.taken_at_offset_minutes == 0
    assert meta.warnings == []


def test_raw_dump_is_grouped_json_and_keeps_structures() -> None:
    raw = extract(REFERENCE).raw
    json.dumps(raw, allow_nan=False)
    assert set(raw) == {"exif", "iptc", "xmp"}
    assert raw["iptc"]["Headline"] == "The Headline (ref2021.1)"
    assert raw["exif"]["EXIF DateTimeOriginal"] == "2021:10:20 21:01:01"
    contact = raw["xmp"]["Iptc4xmpCore:CreatorContactInfo"]
    assert contact["Iptc4xmpCore:CiAdrCity"] == "Creator's CI: City (ref2021.1)"
    location = raw["xmp"]["Iptc4xmpExt:LocationCreated"][0]
    assert location["Iptc4xmpExt:City"] == "City (Location created1) (ref2021.1)"


# --- IPTC-IIM and XMP text --------------------------------------------------------------------


def test_iim_alone_fills_the_text_fields(tmp_path: Path) -> None:
    data = iim(
        (1, 90, b"\x1b%G"),
        (2, 105, b"Marcha en Reforma"),
        (2, 120, "Vecinos de Iztapalapa marchan al Zócalo".encode()),
        (2, 25, b"marcha"),
        (2, 25, "Zócalo".encode()),
        (2, 80, "Ana López".encode()),
        (2, 80, b"Luis Rojas"),
        (2, 110, b"Alcaldia / Comunicacion Social"),
        (2, 115, b"Acervo"),
        (2, 116, b"CC BY 4.0"),
        (2, 90, "Ciudad de México".encode()),
        (2, 92, b"Plaza de la Constitucion"),
        (2, 95, b"CDMX"),
        (2, 100, b"MEX"),
        (2, 101, "México".encode()),
        (2, 55, b"20250321"),
        (2, 60, b"101500-0600"),
    )
    meta = extract(write_jpeg(tmp_path / "iim.jpg", segments=app13(data)))
    assert meta.headline == "Marcha en Reforma"
    assert meta.caption == "Vecinos de Iztapalapa marchan al Zócalo"
    assert meta.keywords == ["marcha", "Zócalo"]
    assert meta.creator == "Ana López; Luis Rojas"
    assert (meta.credit, meta.source, meta.copyright_notice) == (
        "Alcaldia / Comunicacion Social",
        "Acervo",
        "CC BY 4.0",
    )
    assert (meta.city, meta.sublocation, meta.state_province) == (
        "Ciudad de México",
        "Plaza de la Constitucion",
        "CDMX",
    )
    assert (meta.country, meta.country_code) == ("México", "MEX")
    assert meta.taken_at == dt.datetime(2025, 3, 21, 10, 15, 0)
    assert meta.taken_at_offset_minutes == -360


def test_xmp_wins_over_iim_and_iim_fills_what_xmp_lacks(tmp_path: Path) -> None:
    xmp = xmp_packet(
        "<photoshop:Headline>Titular XMP</photoshop:Headline>"
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Pie XMP</rdf:li>'
        '<rdf:li xml:lang="en">Caption XMP</rdf:li></rdf:Alt></dc:description>'
        "<dc:creator><rdf:Seq><rdf:li>Ana</rdf:li><rdf:li>Luis</rdf:li></rdf:Seq></dc:creator>"
    )
    data = iim(
        (2, 105, b"Titular IIM"), (2, 120, b"Pie IIM"), (2, 80, b"Otro"), (2, 90, b"Tlalpan")
    )
    meta = extract(write_jpeg(tmp_path / "both.jpg", xmp=xmp, segments=app13(data)))
    assert meta.headline == "Titular XMP"
    assert meta.caption == "Pie XMP"
    assert meta.creator == "Ana; Luis"
    assert meta.city == "Tlalpan"


@pytest.mark.parametrize(
    ("datasets", "expected"),
    [
        # No CodedCharacterSet: UTF-8 when valid ...
        ([(2, 105, "Día de Muertos".encode())], "Día de Muertos"),
        # ... else Windows-1252, which Windows tools write (curly quotes, en dash) ...
        ([(2, 105, "“Zócalo” – 2025".encode("cp1252"))], "“Zócalo” – 2025"),
        # ... and ISO Latin-1 text reads the same way.
        ([(2, 105, "Coyoacán".encode("latin-1"))], "Coyoacán"),
        # Declared UTF-8 (ESC % G).
        ([(1, 90, b"\x1b%G"), (2, 105, "Año nuevo".encode())], "Año nuevo"),
    ],
)
def test_iim_text_encodings(tmp_path: Path, datasets: list, expected: str) -> None:
    meta = extract(write_jpeg(tmp_path / "enc.jpg", segments=app13(iim(*datasets))))
    assert meta.headline == expected


def test_text_is_stripped_nul_cut_and_empty_becomes_none(tmp_path: Path) -> None:
    data = iim((2, 105, b"  Marcha  \x00\x00\x00"), (2, 90, b"   "), (2, 25, b""), (2, 25, b"a"))
    exif = exif_with(ifd0={0x0110: "EOS R6   ", 0x013B: "   "})
    meta = extract(write_jpeg(tmp_path / "clean.jpg", exif=exif, segments=app13(data)))
    assert meta.headline == "Marcha"
    assert meta.city is None
    assert meta.keywords == ["a"]
    assert meta.camera_model == "EOS R6"
    assert meta.creator is None


def test_camera_placeholder_is_not_a_caption(tmp_path: Path) -> None:
    placeholder = exif_with(ifd0={0x010E: "OLYMPUS DIGITAL CAMERA"})
    real = exif_with(ifd0={0x010E: "Entrega de becas en la explanada"})
    assert extract(write_jpeg(tmp_path / "p.jpg", exif=placeholder)).caption is None
    caption = extract(write_jpeg(tmp_path / "r.jpg", exif=real)).caption
    assert caption == "Entrega de becas en la explanada"


def test_overlong_values_are_cut_with_a_warning(tmp_path: Path) -> None:
    meta = extract(write_jpeg(tmp_path / "long.jpg", exif=exif_with(ifd0={0x010F: "M" * 300})))
    assert meta.camera_make == "M" * 200
    assert any("camera_make" in warning for warning in meta.warnings)


# --- GPS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refs", "signs"),
    [(("N", "E", 0), (1, 1, 1)), (("S", "W", 1), (-1, -1, -1)), (("N", "W", 0), (1, -1, 1))],
)
def test_gps_degrees_minutes_seconds_signed_by_reference(
    tmp_path: Path, refs: tuple[str, str, int], signs: tuple[int, int, int]
) -> None:
    gps = {1: refs[0], 2: (19.0, 25.0, 57.36), 3: refs[1], 4: (99.0, 7.0, 59.52)}
    gps |= {5: refs[2], 6: 2240.5}
    meta = extract(write_jpeg(tmp_path / "gps.jpg", exif=exif_with(gps=gps)))
    # 19° 25' 57.36" = 19.4326°, 99° 7' 59.52" = 99.1332° (Mexico City's Zócalo)
    assert meta.gps_latitude == pytest.approx(signs[0] * 19.4326, abs=1e-9)
    assert meta.gps_longitude == pytest.approx(signs[1] * 99.1332, abs=1e-9)
    assert meta.gps_altitude == pytest.approx(signs[2] * 2240.5)


def test_gps_unused_seconds_written_as_zero_over_zero(tmp_path: Path) -> None:
    unused = IFDRational(0, 0)
    gps = {1: "N", 2: (19.0, 25.956, unused), 3: "W", 4: (99.0, 7.992, unused)}
    meta = extract(write_jpeg(tmp_path / "dm.jpg", exif=exif_with(gps=gps)))
    # 19° 25.956' = 19.4326°, 99° 7.992' = 99.1332°
    assert meta.gps_latitude == pytest.approx(19.4326, abs=1e-9)
    assert meta.gps_longitude == pytest.approx(-99.1332, abs=1e-9)


def test_gps_zero_zero_is_missing(tmp_path: Path) -> None:
    gps = {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0), 6: 10.0}
    meta = extract(write_jpeg(tmp_path / "zero.jpg", exif=exif_with(gps=gps)))
    assert (meta.gps_latitude, meta.gps_longitude, meta.gps_altitude) == (None, None, None)


def test_gps_out_of_range_is_dropped_with_a_warning(tmp_path: Path) -> None:
    gps = {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)}
    meta = extract(write_jpeg(tmp_path / "far.jpg", exif=exif_with(gps=gps)))
    assert meta.gps_latitude is None
    assert any("gps" in warning for warning in meta.warnings)


def test_gps_from_xmp_when_exif_has_none(tmp_path: Path) -> None:
    xmp = xmp_packet(
        "<exif:GPSLatitude>19,25.956N</exif:GPSLatitude>"
        "<exif:GPSLongitude>99,7.992W</exif:GPSLongitude>"
    )
    meta = extract(write_jpeg(tmp_path / "xgps.jpg", xmp=xmp))
    assert meta.gps_latitude == pytest.approx(19.4326)
    assert meta.gps_longitude == pytest.approx(-99.1332)


def test_jpeg_xl_container_with_west_longitude() -> None:
    meta = extract(FIXTURES / "test_0001.jxl", "image/jxl")
    # exiftool: Composite:GPSLatitude 44.06037845, GPSLongitude -121.314136, GPSAltitude 2019.847
    assert meta.gps_latitude == pytest.approx(44.06037845, abs=1e-7)
    assert meta.gps_longitude == pytest.approx(-121.314136, abs=1e-7)
    assert meta.gps_altitude == pytest.approx(2019.847)
    assert (meta.camera_make, meta.camera_model) == ("Lab 308", "Smart Pilot Cam")
    assert meta.taken_at == dt.datetime(2025, 8, 15, 22, 25, 54)


# --- dates --------------------------------------------------------------------------------------


def test_taken_at_keeps_subseconds_and_offset(tmp_path: Path) -> None:
    exif = exif_with(exif={0x9003: "2024:03:15 10:20:30", 0x9011: "-06:00", 0x9291: "25"})
    meta = extract(write_jpeg(tmp_path / "date.jpg", exif=exif))
    assert meta.taken_at == dt.datetime(2024, 3, 15, 10, 20, 30, 250000)
    assert meta.taken_at.tzinfo is None
    assert meta.taken_at_offset_minutes == -360


@pytest.mark.parametrize(
    ("xmp_date", "offset"),
    [("2024-03-15T10:20:30-05:00", -300), ("2024-03-15T11:20:30-05:00", None)],
)
def test_offset_is_borrowed_only_from_the_same_moment(
    tmp_path: Path, xmp_date: str, offset: int | None
) -> None:
    exif = exif_with(exif={0x9003: "2024:03:15 10:20:30"})
    xmp = xmp_packet(f"<exif:DateTimeOriginal>{xmp_date}</exif:DateTimeOriginal>")
    meta = extract(write_jpeg(tmp_path / "borrow.jpg", exif=exif, xmp=xmp))
    assert meta.taken_at == dt.datetime(2024, 3, 15, 10, 20, 30)
    assert meta.taken_at_offset_minutes == offset


def test_capture_date_precedence(tmp_path: Path) -> None:
    exif = exif_with(exif={0x9003: "2024:01:01 08:00:00", 0x9004: "2024:01:01 09:00:00"})
    xmp = xmp_packet("<photoshop:DateCreated>2024-02-02T08:00:00+01:00</photoshop:DateCreated>")
    data = app13(iim((2, 55, b"20240303"), (2, 60, b"080000+0000")))
    everything = extract(write_jpeg(tmp_path / "a.jpg", exif=exif, xmp=xmp, segments=data))
    assert everything.taken_at == dt.datetime(2024, 1, 1, 8, 0)
    without_exif = extract(write_jpeg(tmp_path / "b.jpg", xmp=xmp, segments=data))
    assert (without_exif.taken_at, without_exif.taken_at_offset_minutes) == (
        dt.datetime(2024, 2, 2, 8, 0),
        60,
    )
    iim_only = extract(write_jpeg(tmp_path / "c.jpg", segments=data))
    assert iim_only.taken_at == dt.datetime(2024, 3, 3, 8, 0)
    digitized = exif_with(exif={0x9004: "2024:01:01 09:00:00"})
    assert extract(write_jpeg(tmp_path / "d.jpg", exif=digitized)).taken_at == dt.datetime(
        2024, 1, 1, 9, 0
    )
    modified_only = exif_with(ifd0={0x0132: "2024:05:05 05:05:05"})  # DateTime is not capture
    assert extract(write_jpeg(tmp_path / "e.jpg", exif=modified_only)).taken_at is None


def test_blank_dates_are_silent_and_impossible_ones_warn(tmp_path: Path) -> None:
    blank = exif_with(exif={0x9003: "0000:00:00 00:00:00"})
    meta = extract(write_jpeg(tmp_path / "blank.jpg", exif=blank))
    assert (meta.taken_at, meta.warnings) == (None, [])
    impossible = exif_with(exif={0x9003: "2024:13:45 10:00:00"})
    meta = extract(write_jpeg(tmp_path / "bad.jpg", exif=impossible))
    assert meta.taken_at is None
    assert any("DateTimeOriginal" in warning for warning in meta.warnings)


# --- orientation, sizes, containers -----------------------------------------------------------


def test_orientation_from_exif() -> None:
    meta = extract(FIXTURES / "orientation_rectangle.jpg")
    assert (meta.width, meta.height, meta.orientation) == (2, 1, 8)  # as exiftool reports


def test_invalid_orientation_is_dropped_and_xmp_is_a_fallback(tmp_path: Path) -> None:
    meta = extract(write_jpeg(tmp_path / "o9.jpg", exif=exif_with(ifd0={0x0112: 9})))
    assert meta.orientation is None
    assert any("orientation" in warning for warning in meta.warnings)
    xmp = xmp_packet("<tiff:Orientation>3</tiff:Orientation>")
    assert extract(write_jpeg(tmp_path / "ox.jpg", xmp=xmp)).orientation == 3


def test_camera_and_exposure_fields(tmp_path: Path) -> None:
    exif = exif_with(
        ifd0={0x010F: "Canon", 0x0110: "Canon EOS R6"},
        exif={
            0x829A: 0.004,  # ExposureTime 1/250 s
            0x829D: 2.8,
            0x8827: 400,
            0x920A: 35.0,
            0xA434: "RF24-70mm F2.8 L IS USM",
            0xA431: "012345678901",
        },
    )
    meta = extract(write_jpeg(tmp_path / "cam.jpg", exif=exif))
    assert (meta.camera_make, meta.camera_model) == ("Canon", "Canon EOS R6")
    assert meta.lens_model == "RF24-70mm F2.8 L IS USM"
    assert meta.camera_serial == "012345678901"
    assert meta.exposure_time == pytest.approx(1 / 250)
    assert (meta.f_number, meta.iso, meta.focal_length) == (2.8, 400, 35.0)


def test_heif_fixture_size_and_subsecond_date() -> None:
    meta = extract(FIXTURES / "spring_1440x960.heic", "image/heif")
    # exiftool: ImageSize 1440 960, SubSecDateTimeOriginal 2020:12:03 15:04:31.04
    assert (meta.width, meta.height) == (1440, 960)
    assert meta.taken_at == dt.datetime(2020, 12, 3, 15, 4, 31, 40000)


def test_heif_size_is_stored_size_and_rotation_is_the_containers(tmp_path: Path) -> None:
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("libheif has no HEIF encoder here")
    path = tmp_path / "rotated.heic"
    exif = exif_with(ifd0={0x0112: 6})
    Image.new("RGB", (64, 32), "red").save(path, format="HEIF", exif=exif.tobytes())
    meta = extract(path, "image/heic")
    assert (meta.width, meta.height, meta.orientation) == (64, 32, 6)
    with Image.open(path) as decoded:  # libheif applies the rotation when decoding
        assert decoded.size == (meta.height, meta.width)


def _ifd(entries: list[tuple[int, int, bytes]], start: int) -> bytes:
    """A little-endian TIFF directory at offset `start`, its long values stored after it."""
    sizes = {2: 1, 3: 2, 4: 4}
    table, extra = b"", b""
    data_at = start + 2 + 12 * len(entries) + 4
    for tag, kind, value in entries:
        count = len(value) // sizes[kind]
        if len(value) <= 4:
            field = value.ljust(4, b"\x00")
        else:
            field = struct.pack("<I", data_at + len(extra))
            extra += value + b"\x00" * (len(value) % 2)
        table += struct.pack("<HHI", tag, kind, count) + field
    return struct.pack("<H", len(entries)) + table + b"\x00\x00\x00\x00" + extra


def test_tiff_raw_size_is_the_full_resolution_subifd(tmp_path: Path) -> None:
    sub = [(0x00FE, 4, struct.pack("<I", 0)), (0x0100, 4, struct.pack("<I", 5392))]
    sub.append((0x0101, 4, struct.pack("<I", 3592)))

    def ifd0(sub_at: int) -> list[tuple[int, int, bytes]]:
        return [
            (0x00FE, 4, struct.pack("<I", 1)),  # a reduced-resolution preview ...
            (0x0100, 3, struct.pack("<H", 256)),
            (0x0101, 3, struct.pack("<H", 171)),
            (0x010F, 2, b"NIKON CORPORATION\x00"),
            (0x014A, 4, struct.pack("<I", sub_at)),  # ... and the main image in a SubIFD
        ]

    sub_at = 8 + len(_ifd(ifd0(0), 8))
    data = b"II*\x00" + struct.pack("<I", 8) + _ifd(ifd0(sub_at), 8) + _ifd(sub, sub_at)
    path = tmp_path / "photo.dng"
    path.write_bytes(data)
    meta = extract(path, "image/x-adobe-dng")
    assert (meta.width, meta.height) == (5392, 3592)
    assert meta.camera_make == "NIKON CORPORATION"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_canon_cr3_boxes(tmp_path: Path) -> None:
    def tiff(**tags: object) -> bytes:
        exif = Image.Exif()
        for key, value in tags.items():
            exif[int(key[1:], 16)] = value
        return exif.tobytes()[6:]  # drop the 'Exif\0\0' marker

    canon = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
    parts = _box(b"CMT1", tiff(x010F="Canon", x0110="Canon EOS R5", x0112=1))
    parts += _box(b"CMT2", tiff(x9003="2025:03:21 10:15:00", x9011="-06:00"))
    parts += _box(b"CMT4", tiff(x0001="N", x0002=(19.0, 25.0, 57.36), x0003="W"))
    xmp = bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + xmp_packet(
        "<photoshop:Headline>Informe de gobierno</photoshop:Headline>"
    )
    data = _box(b"ftyp", b"crx \x00\x00\x00\x01crx isom")
    data += _box(b"moov", _box(b"uuid", canon + parts)) + _box(b"uuid", xmp)
    path = tmp_path / "IMG_0001.CR3"
    path.write_bytes(data)
    meta = extract(path, "image/x-canon-cr3")
    assert (meta.camera_make, meta.camera_model) == ("Canon", "Canon EOS R5")
    assert (meta.taken_at, meta.taken_at_offset_minutes) == (dt.datetime(2025, 3, 21, 10, 15), -360)
    assert meta.gps_latitude is None  # no longitude in this file: no position
    assert meta.headline == "Informe de gobierno"
    assert any("raw" in warning for warning in meta.warnings)  # not a real RAW: no size


# --- files without metadata, and broken ones --------------------------------------------------


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_image_without_metadata(tmp_path: Path, image_format: str) -> None:
    path = tmp_path / f"plain.{image_format.lower()}"
    Image.new("RGB", (40, 30), "white").save(path, image_format)
    meta = extract(path, f"image/{image_format.lower()}")
    assert (meta.width, meta.height) == (40, 30)
    empty = ExtractedMetadata(width=40, height=30, raw=meta.raw)
    assert meta == empty
    assert meta.raw["iptc"] == {} and meta.raw["xmp"] == {}


def test_malformed_exif_gives_warnings_and_keeps_the_rest() -> None:
    meta = extract(FIXTURES / "exif_typeerror.jpg")
    assert meta.warnings  # its ExifOffset has the wrong type
    # exiftool: XMP-exif:DateTimeOriginal 2010:07:11 13:53:00+02:00, XMP-aux:Lens, ImageSize
    assert (meta.taken_at, meta.taken_at_offset_minutes) == (dt.datetime(2010, 7, 11, 13, 53), 120)
    assert meta.lens_model == "70.0-300.0 mm f/4.5-5.6"
    assert (meta.width, meta.height) == (800, 531)


@pytest.mark.parametrize(
    "tiff",
    [
        b"II*\x00\xff\xff\xff\x7f",  # first directory far beyond the block
        b"MM\x00*\x00\x00\x00\x08\xff\xff",  # entry count with no entries
        b"II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00\x08\x00\x00\x00",
        b"garbage, not TIFF at all",
    ],
)
def test_broken_exif_blocks_never_raise(tmp_path: Path, tiff: bytes) -> None:
    meta = extract(write_jpeg(tmp_path / "broken.jpg", segments=app1_exif(tiff)))
    assert (meta.width, meta.height) == (8, 6)
    assert any(warning.startswith("exif") for warning in meta.warnings)
    json.dumps(meta.raw)


def test_hostile_xmp_is_refused(tmp_path: Path) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Headline="&b;"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    meta = extract(write_jpeg(tmp_path / "bomb.jpg", xmp=bomb))
    assert meta.headline is None
    assert any("xmp" in warning for warning in meta.warnings)


def test_truncated_xmp_and_iim_give_warnings(tmp_path: Path) -> None:
    xmp = xmp_packet("<photoshop:Headline>Corte</photoshop:Headline>")[:-60]
    data = iim((2, 105, b"Completo")) + b"\x1c\x02\x78\x00\xff" + b"corto"
    meta = extract(write_jpeg(tmp_path / "cut.jpg", xmp=xmp, segments=app13(data)))
    assert meta.headline == "Completo"  # the XMP is unreadable; the whole IIM dataset is kept
    assert meta.caption == "corto"
    assert any(warning.startswith("xmp") for warning in meta.warnings)
    assert any(warning.startswith("iptc") for warning in meta.warnings)


def test_huge_xmp_values_are_bounded_in_raw(tmp_path: Path) -> None:
    labels = "".join(f"<xmp:Label{i}>{'x' * 5000}</xmp:Label{i}>" for i in range(12))
    meta = extract(write_jpeg(tmp_path / "big.jpg", xmp=xmp_packet(labels)))
    assert meta.raw["xmp"]  # kept, but each value cut short
    assert len(json.dumps(meta.raw)) < 20_000


@pytest.mark.parametrize("content", [b"", b"\xff\xd8\xff", b"not an image at all" * 100])
def test_unreadable_content_returns_with_warnings(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    meta = extract(path)
    assert meta.width is None
    assert meta.warnings


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        extract(tmp_path / "missing.jpg")


def test_pillow_warnings_are_recorded_not_raised(tmp_path: Path) -> None:
    data = bytearray(write_jpeg(tmp_path / "small.jpg").read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 10_000, 10_000)  # 100 Mpx: above the warn limit
    path = tmp_path / "huge.jpg"
    path.write_bytes(bytes(data))
    meta = extract(path)  # filterwarnings=error: a leaked warning would fail this test
    assert (meta.width, meta.height) == (10_000, 10_000)
    assert any("decompression bomb" in warning for warning in meta.warnings)


def test_concurrent_extractions_agree_with_sequential_ones() -> None:
    paths = sorted(p for p in FIXTURES.iterdir() if p.suffix != ".md") * 4
    sequential = [extract(p) for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(extract, paths))
    assert concurrent == sequential
