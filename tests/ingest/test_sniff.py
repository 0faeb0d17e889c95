"""File types are sniffed from bytes, whatever the file is called."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from PIL import Image

from dam.enums import MediaType
from dam.errors import IngestError
from ingest.sniff import SniffResult, sniff_bytes, sniff_file
from tests.conftest import FIXTURES

PHOTOS = FIXTURES / "photos"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    return _box(b"ftyp", major + b"\x00\x00\x00\x00" + b"".join(compatible)) + _box(b"free", b"")


def _tiff(entries: list[tuple[int, int, int, bytes]], prefix: bytes = b"II*\x00") -> bytes:
    """A little-endian TIFF with one IFD at offset 16; values longer than 4 bytes follow it."""
    ifd_offset, count = 16, len(entries)
    data_offset = ifd_offset + 2 + 12 * count + 4
    ifd, data = struct.pack("<H", count), b""
    for tag, kind, n, value in entries:
        if len(value) <= 4:
            ifd += struct.pack("<HHI", tag, kind, n) + value.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, kind, n, data_offset + len(data))
            data += value
    header = prefix + struct.pack("<I", ifd_offset)
    return header.ljust(ifd_offset, b"\x00") + ifd + b"\x00\x00\x00\x00" + data


def _make(make: bytes) -> tuple[int, int, int, bytes]:
    return (0x010F, 2, len(make) + 1, make + b"\x00")


SUBIFDS = (0x014A, 4, 1, struct.pack("<I", 0))
REDUCED = (0x00FE, 4, 1, struct.pack("<I", 1))

ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 60
ADTS_FRAME = b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 60


def _ogg(first_packet: bytes) -> bytes:
    return b"OggS\x00\x02" + b"\x00" * 20 + b"\x01" + bytes([len(first_packet)]) + first_packet


HANDMADE: dict[str, tuple[bytes, str, MediaType, str]] = {
    "pdf": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "application/pdf",
        MediaType.DOCUMENT,
        "pdf",
    ),
    "mp3-id3": (ID3 + MP3_FRAME, "audio/mpeg", MediaType.AUDIO, "mp3"),
    "mp3-frame": (MP3_FRAME * 4, "audio/mpeg", MediaType.AUDIO, "mp3"),
    "aac": (ADTS_FRAME * 4, "audio/aac", MediaType.AUDIO, "aac"),
    "aac-id3": (ID3 + ADTS_FRAME, "audio/aac", MediaType.AUDIO, "aac"),
    "wav": (
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
        + b"\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00",
        "audio/wav",
        MediaType.AUDIO,
        "wav",
    ),
    "flac": (b"fLaC\x00\x00\x00\x22" + b"\x00" * 34, "audio/flac", MediaType.AUDIO, "flac"),
    "vorbis": (_ogg(b"\x01vorbis\x00\x00\x00\x00"), "audio/ogg", MediaType.AUDIO, "ogg"),
    "opus": (_ogg(b"OpusHead\x01\x02"), "audio/opus", MediaType.AUDIO, "opus"),
    "theora": (_ogg(b"\x80theora\x03\x02"), "video/ogg", MediaType.VIDEO, "ogv"),
    "m4a": (_ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4", MediaType.AUDIO, "m4a"),
    "mp4": (
        _ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"),
        "video/mp4",
        MediaType.VIDEO,
        "mp4",
    ),
    "mp42": (_ftyp(b"mp42", b"mp42", b"isom"), "video/mp4", MediaType.VIDEO, "mp4"),
    "mov": (_ftyp(b"qt  ", b"qt  "), "video/quicktime", MediaType.VIDEO, "mov"),
    "free-then-ftyp": (
        _box(b"free", b"\x00" * 8) + _ftyp(b"qt  ", b"qt  "),
        "video/quicktime",
        MediaType.VIDEO,
        "mov",
    ),
    "old-mov": (_box(b"moov", b"\x00" * 16), "video/quicktime", MediaType.VIDEO, "mov"),
    "3gp": (_ftyp(b"3gp5", b"3gp5", b"isom"), "video/3gpp", MediaType.VIDEO, "3gp"),
    "m4v": (_ftyp(b"M4V ", b"M4V ", b"M4A ", b"mp42"), "video/x-m4v", MediaType.VIDEO, "m4v"),
    "heic": (_ftyp(b"heic", b"mif1", b"heic"), "image/heic", MediaType.PHOTO, "heic"),
    "mif1-heic": (_ftyp(b"mif1", b"mif1", b"heic"), "image/heic", MediaType.PHOTO, "heic"),
    "heif": (_ftyp(b"mif1", b"mif1"), "image/heif", MediaType.PHOTO, "heif"),
    "avif": (_ftyp(b"avif", b"avif", b"mif1", b"miaf"), "image/avif", MediaType.PHOTO, "avif"),
    "mif1-avif": (_ftyp(b"mif1", b"avif", b"mif1"), "image/avif", MediaType.PHOTO, "avif"),
    "cr3": (_ftyp(b"crx ", b"crx ", b"isom"), "image/x-canon-cr3", MediaType.PHOTO, "cr3"),
    "jxl-codestream": (b"\xff\x0a\xfa\x7f" + b"\x00" * 20, "image/jxl", MediaType.PHOTO, "jxl"),
    "jxl-container": (
        b"\x00\x00\x00\x0cJXL \r\n\x87\n" + _ftyp(b"jxl ", b"jxl "),
        "image/jxl",
        MediaType.PHOTO,
        "jxl",
    ),
    "mkv": (
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
        b"\x42\x82\x88matroska\x42\x87\x81\x04\x42\x85\x81\x02",
        "video/x-matroska",
        MediaType.VIDEO,
        "mkv",
    ),
    "webm": (
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
        b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02",
        "video/webm",
        MediaType.VIDEO,
        "webm",
    ),
    "avi": (
        b"RIFF\x00\x10\x00\x00AVI LIST\x00\x01\x00\x00hdrlavih",
        "video/x-msvideo",
        MediaType.VIDEO,
        "avi",
    ),
    "mts": (
        (b"\x00\x00\x00\x00\x47" + b"\x00" * 187) * 6,
        "video/mp2t",
        MediaType.VIDEO,
        "mts",
    ),
    "ts": ((b"\x47" + b"\x00" * 187) * 6, "video/mp2t", MediaType.VIDEO, "ts"),
    "raf": (b"FUJIFILMCCD-RAW 0201FF383501", "image/x-fuji-raf", MediaType.PHOTO, "raf"),
    "orf": (b"IIRO\x08\x00\x00\x00" + b"\x00" * 32, "image/x-olympus-orf", MediaType.PHOTO, "orf"),
    "rw2": (
        b"IIU\x00\x18\x00\x00\x00" + b"\x00" * 32,
        "image/x-panasonic-rw2",
        MediaType.PHOTO,
        "rw2",
    ),
    "cr2": (
        b"II*\x00\x10\x00\x00\x00CR\x02\x00\x00\x00\x00\x00" + b"\x00" * 32,
        "image/x-canon-cr2",
        MediaType.PHOTO,
        "cr2",
    ),
    "dng": (
        _tiff([_make(b"NIKON CORPORATION"), (0xC612, 1, 4, b"\x01\x06\x00\x00")]),
        "image/x-adobe-dng",
        MediaType.PHOTO,
        "dng",
    ),
    "nef": (
        _tiff([REDUCED, _make(b"NIKON CORPORATION"), SUBIFDS]),
        "image/x-nikon-nef",
        MediaType.PHOTO,
        "nef",
    ),
    "arw": (_tiff([REDUCED, _make(b"SONY")]), "image/x-sony-arw", MediaType.PHOTO, "arw"),
    "nikon-plain-tiff": (_tiff([_make(b"NIKON")]), "image/tiff", MediaType.PHOTO, "tif"),
    "big-tiff": (b"II+\x00\x08\x00\x00\x00" + b"\x00" * 32, "image/tiff", MediaType.PHOTO, "tif"),
}


@pytest.mark.parametrize("name", sorted(HANDMADE))
def test_handmade_headers_are_sniffed_under_a_misleading_name(tmp_path: Path, name: str) -> None:
    data, mime_type, media_type, extension = HANDMADE[name]
    found = sniff_file(_write(tmp_path, f"{name}.jpg", data))
    assert found == SniffResult(mime_type, media_type, extension)


@pytest.mark.parametrize(
    ("pillow_format", "mime_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
        ("TIFF", "image/tiff", "tif"),
        ("BMP", "image/bmp", "bmp"),
    ],
)
def test_images_written_by_pillow(
    tmp_path: Path, pillow_format: str, mime_type: str, extension: str
) -> None:
    path = tmp_path / "picture.pdf"
    Image.new("RGB", (32, 24), (200, 30, 30)).save(path, pillow_format)
    assert sniff_file(path) == sniff_bytes(path.read_bytes())
    assert sniff_file(path) == SniffResult(mime_type, MediaType.PHOTO, extension)


@pytest.mark.parametrize(
    ("name", "mime_type"),
    [
        ("waterfall-orientation-6.jpg", "image/jpeg"),
        ("park.png", "image/png"),
        ("concert-rgba-icc.tiff", "image/tiff"),
        ("spring.heic", "image/heic"),
        ("mountains.avif", "image/avif"),
        ("nikon-z9-overexposed.dng", "image/x-adobe-dng"),
    ],
)
def test_fixture_photos_renamed_are_still_sniffed_right(
    tmp_path: Path, name: str, mime_type: str
) -> None:
    assert sniff_file(PHOTOS / name).mime_type == mime_type
    renamed = tmp_path / "document.pdf"
    shutil.copyfile(PHOTOS / name, renamed)
    found = sniff_file(renamed)
    assert found.mime_type == mime_type
    assert found.media_type == MediaType.PHOTO


def test_the_name_only_breaks_a_tie_between_tiff_and_nikon_raw(tmp_path: Path) -> None:
    ambiguous = _tiff([_make(b"NIKON")])
    assert sniff_file(_write(tmp_path, "scan.tif", ambiguous)).mime_type == "image/tiff"
    assert sniff_file(_write(tmp_path, "DSC_0001.NEF", ambiguous)).mime_type == "image/x-nikon-nef"
    # The bytes win over the name when they can tell.
    dng = HANDMADE["dng"][0]
    assert sniff_file(_write(tmp_path, "DSC_0002.NEF", dng)).mime_type == "image/x-adobe-dng"


def test_empty_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"empty file \(0 bytes\)"):
        sniff_file(_write(tmp_path, "empty.jpg", b""))


@pytest.mark.parametrize(
    "data",
    [
        b"hello, world\n" * 10,
        b"BM but not a bitmap, just text that starts with BM\n",
        b"\x00" * 100,
        b"PK\x03\x04" + b"\x00" * 60,  # a zip archive: known to filetype, not to us
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # PostScript: no decoder
    ],
)
def test_unknown_bytes_are_other(tmp_path: Path, data: bytes) -> None:
    found = sniff_file(_write(tmp_path, "photo.jpg", data))
    assert found == SniffResult("application/octet-stream", MediaType.OTHER, "bin")


def test_only_the_header_is_read(tmp_path: Path) -> None:
    # A JPEG signature followed by 5 MB: the answer comes from the first bytes alone.
    path = _write(tmp_path, "big.bin", b"\xff\xd8\xff\xe0" + b"\x00" * 5_000_000)
    assert sniff_file(path).mime_type == "image/jpeg"
