"""Sniffing a file's type from its first bytes, never from its name."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import filetype

from dam.enums import MediaType
from dam.errors import IngestError
from ingest import decoders

HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class SniffResult:
    mime_type: str
    media_type: MediaType
    extension: str  # without the dot, e.g. "jpg"


def _kind(mime_type: str, media_type: MediaType, extension: str) -> SniffResult:
    return SniffResult(mime_type, media_type, extension)


PHOTO, VIDEO, AUDIO = MediaType.PHOTO, MediaType.VIDEO, MediaType.AUDIO
UNKNOWN = _kind("application/octet-stream", MediaType.OTHER, "bin")
JPEG = _kind("image/jpeg", PHOTO, "jpg")
TIFF = _kind("image/tiff", PHOTO, "tif")
HEIC = _kind("image/heic", PHOTO, "heic")
HEIF = _kind("image/heif", PHOTO, "heif")
AVIF = _kind("image/avif", PHOTO, "avif")
JXL = _kind("image/jxl", PHOTO, "jxl")
DNG = _kind("image/x-adobe-dng", PHOTO, "dng")
CR2 = _kind("image/x-canon-cr2", PHOTO, "cr2")
CR3 = _kind("image/x-canon-cr3", PHOTO, "cr3")
NEF = _kind("image/x-nikon-nef", PHOTO, "nef")
ARW = _kind("image/x-sony-arw", PHOTO, "arw")
RAF = _kind("image/x-fuji-raf", PHOTO, "raf")
ORF = _kind("image/x-olympus-orf", PHOTO, "orf")
RW2 = _kind("image/x-panasonic-rw2", PHOTO, "rw2")
MP4 = _kind("video/mp4", VIDEO, "mp4")
MOV = _kind("video/quicktime", VIDEO, "mov")
M4V = _kind("video/x-m4v", VIDEO, "m4v")
GPP = _kind("video/3gpp", VIDEO, "3gp")
GPP2 = _kind("video/3gpp2", VIDEO, "3g2")
TS = _kind("video/mp2t", VIDEO, "ts")
MTS = _kind("video/mp2t", VIDEO, "mts")
OGV = _kind("video/ogg", VIDEO, "ogv")
M4A = _kind("audio/mp4", AUDIO, "m4a")
MP3 = _kind("audio/mpeg", AUDIO, "mp3")
AAC = _kind("audio/aac", AUDIO, "aac")
WAV = _kind("audio/wav", AUDIO, "wav")
OGG = _kind("audio/ogg", AUDIO, "ogg")
OPUS = _kind("audio/opus", AUDIO, "opus")

# filetype's answers we accept, mapped to our canonical names; anything else is UNKNOWN.
FILETYPE_KINDS: dict[str, SniffResult] = {
    "image/jpeg": JPEG,
    "image/png": _kind("image/png", PHOTO, "png"),
    "image/apng": _kind("image/png", PHOTO, "png"),
    "image/gif": _kind("image/gif", PHOTO, "gif"),
    "image/webp": _kind("image/webp", PHOTO, "webp"),
    "video/x-matroska": _kind("video/x-matroska", VIDEO, "mkv"),
    "video/webm": _kind("video/webm", VIDEO, "webm"),
    "video/x-msvideo": _kind("video/x-msvideo", VIDEO, "avi"),
    "video/mpeg": _kind("video/mpeg", VIDEO, "mpg"),
    "audio/x-flac": _kind("audio/flac", AUDIO, "flac"),
    "audio/x-wav": WAV,
    "application/pdf": _kind("application/pdf", MediaType.DOCUMENT, "pdf"),
}

# ISO base media file format: the major brand decides, compatible brands break ties.
HEIC_BRANDS = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"})
AVIF_BRANDS = frozenset({"avif", "avis"})
BRAND_KINDS: dict[str, SniffResult] = {
    "crx ": CR3,
    "qt  ": MOV,
    "M4A ": M4A,
    "M4B ": M4A,
    "M4P ": M4A,
    "M4V ": M4V,
    "M4VH": M4V,
    "M4VP": M4V,
    "jxl ": JXL,
}
QUICKTIME_FIRST_BOXES = frozenset({b"moov", b"mdat", b"wide", b"pnot"})

BMP_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
TIFF_MAKE, TIFF_SUBIFDS, TIFF_NEW_SUBFILE_TYPE, TIFF_DNG_VERSION = 0x010F, 0x014A, 0x00FE, 0xC612
TIFF_RAW_EXTENSIONS = {"nef": NEF, "nrw": NEF, "arw": ARW, "srf": ARW, "sr2": ARW}


def sniff_file(path: Path) -> SniffResult:
    """What ``path`` holds, judged from its bytes (the name only breaks TIFF-RAW ties).

    Known signatures first; a file they do not name is put to the installed decoders
    (``ingest.decoders``: Pillow's plugins, then ffprobe), and is OTHER only if none reads it.
    """
    with open(path, "rb") as fp:
        header = fp.read(HEADER_BYTES)
    if not header:
        raise IngestError("empty file (0 bytes)")
    found = sniff_bytes(header, suffix=path.suffix)
    if found.media_type != MediaType.OTHER:
        return found
    claim = decoders.ask_pillow(path, header) or decoders.ask_ffprobe(path)
    if claim is None:
        return found
    return _kind(claim.mime_type, MediaType(claim.kind), claim.extension)


def sniff_bytes(header: bytes, *, suffix: str = "") -> SniffResult:
    """What a file starting with ``header`` holds; ``suffix`` is only a tie-break for TIFF RAW."""
    if header.startswith((b"II+\x00", b"MM\x00+")):
        return TIFF  # BigTIFF
    if header.startswith((b"II*\x00", b"MM\x00*", b"IIRO", b"IIRS", b"MMOR", b"IIU\x00")):
        return _sniff_tiff_family(header, suffix.lower().lstrip("."))
    for matcher in MATCHERS:
        found = matcher(header)
        if found is not None:
            return found
    guess = filetype.guess(header)
    if guess is None:
        return UNKNOWN
    return FILETYPE_KINDS.get(guess.mime, UNKNOWN)


def _sniff_tiff_family(header: bytes, suffix: str) -> SniffResult:
    if header.startswith((b"IIRO", b"IIRS", b"MMOR")):
        return ORF
    if header.startswith(b"IIU\x00"):
        return RW2
    if header[8:10] == b"CR":
        return CR2
    tags = _read_ifd0(header)
    if TIFF_DNG_VERSION in tags:
        return DNG
    make = tags.get(TIFF_MAKE)
    make = make.upper() if isinstance(make, bytes) else b""
    if make.startswith((b"NIKON", b"SONY")):
        # A camera that also writes plain TIFF: a RAW keeps a thumbnail in IFD0 with SubIFDs.
        looks_raw = TIFF_SUBIFDS in tags or tags.get(TIFF_NEW_SUBFILE_TYPE) == 1
        if looks_raw or suffix in TIFF_RAW_EXTENSIONS:
            return NEF if make.startswith(b"NIKON") else ARW
    return TIFF


def _read_ifd0(header: bytes) -> dict[int, object]:
    """IFD0's tags (ASCII as bytes, single integers as int, others None), as far as we read."""
    endian = "<" if header[:2] == b"II" else ">"
    tags: dict[int, object] = {}
    try:
        (offset,) = struct.unpack_from(endian + "I", header, 4)
        (count,) = struct.unpack_from(endian + "H", header, offset)
        for index in range(min(count, 512)):
            entry = offset + 2 + 12 * index
            tag, kind, n = struct.unpack_from(endian + "HHI", header, entry)
            tags[tag] = _tag_value(header, endian, entry, kind, n)
    except struct.error:
        pass  # IFD0 lies beyond the header or is cut short: judge on what we have
    return tags


def _tag_value(header: bytes, endian: str, entry: int, kind: int, n: int) -> object:
    if kind == 2:  # ASCII
        start = entry + 8 if n <= 4 else struct.unpack_from(endian + "I", header, entry + 8)[0]
        return header[start : start + n].split(b"\x00", 1)[0]
    if kind == 3 and n == 1:  # SHORT
        return struct.unpack_from(endian + "H", header, entry + 8)[0]
    if kind == 4 and n == 1:  # LONG
        return struct.unpack_from(endian + "I", header, entry + 8)[0]
    return None


def _sniff_isobmff(header: bytes) -> SniffResult | None:
    if header.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return JXL
    offset = _skip_padding_boxes(header)
    box = header[offset + 4 : offset + 8]
    if box in QUICKTIME_FIRST_BOXES:
        return MOV
    if box != b"ftyp" or len(header) < offset + 12:
        return None
    return _sniff_brands(header[offset:])


def _skip_padding_boxes(header: bytes) -> int:
    """Offset of the first box that is not ``free`` or ``skip`` padding."""
    offset = 0
    while header[offset + 4 : offset + 8] in (b"free", b"skip") and offset < 4096:
        size = struct.unpack(">I", header[offset : offset + 4])[0]
        if size < 8:
            break
        offset += size
    return offset


def _sniff_brands(ftyp: bytes) -> SniffResult:
    size = min(max(struct.unpack(">I", ftyp[:4])[0], 16), len(ftyp), 4096)
    major = ftyp[8:12].decode("latin-1")
    brands = {ftyp[i : i + 4].decode("latin-1") for i in range(16, size - 3, 4)} | {major}
    if major in BRAND_KINDS:
        return BRAND_KINDS[major]
    if major in AVIF_BRANDS or (major in ("mif1", "msf1") and brands & AVIF_BRANDS):
        return AVIF
    if major in HEIC_BRANDS or (major in ("mif1", "msf1") and brands & HEIC_BRANDS):
        return HEIC
    if major in ("mif1", "msf1"):
        return HEIF
    if major.startswith("3g2"):
        return GPP2
    if major.startswith("3g"):
        return GPP
    if "M4A " in brands and not brands & {"M4V ", "M4VH", "M4VP", "avc1"}:
        return M4A
    return MP4


def _sniff_riff(header: bytes) -> SniffResult | None:
    if header[:4] in (b"RF64", b"BW64") and header[8:12] == b"WAVE":
        return WAV
    return None  # RIFF WAVE, AVI and WEBP are left to filetype


def _sniff_raf(header: bytes) -> SniffResult | None:
    return RAF if header.startswith(b"FUJIFILMCCD-RAW") else None


def _sniff_jxl_codestream(header: bytes) -> SniffResult | None:
    return JXL if header.startswith(b"\xff\x0a") else None


def _sniff_ogg(header: bytes) -> SniffResult | None:
    if not header.startswith(b"OggS") or len(header) < 28:
        return None
    start = 27 + header[26]  # the first packet follows the page's segment table
    first_packet = header[start : start + 8]
    if first_packet.startswith(b"OpusHead"):
        return OPUS
    if first_packet.startswith((b"\x80theora", b"fishead")):
        return OGV
    return OGG


def _sniff_transport_stream(header: bytes) -> SniffResult | None:
    for packet, lead, kind in ((188, 0, TS), (192, 4, MTS)):
        count = min(len(header) // packet, 5)
        if count >= 2 and all(header[lead + i * packet] == 0x47 for i in range(count)):
            return kind
    return None


def _sniff_mpeg_audio(header: bytes) -> SniffResult | None:
    frame = header
    if header.startswith(b"ID3") and len(header) >= 10:
        size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
        frame = header[10 + size :]
        if len(frame) < 4:
            return MP3  # the tag fills the header; ID3v2 is only used by MP3 in practice
    if len(frame) < 3 or frame[0] != 0xFF or frame[1] & 0xE0 != 0xE0:
        return None
    if frame[1] & 0x06 == 0:  # layer bits 00: an ADTS (AAC) frame
        return AAC if frame[1] & 0xF6 == 0xF0 else None
    bitrate, rate = frame[2] >> 4, (frame[2] >> 2) & 0x03
    if frame[1] & 0x18 == 0x08 or bitrate == 0x0F or rate == 0x03:
        return None  # reserved version, bad bitrate or bad sample rate: not MPEG audio
    return MP3


def _sniff_bmp(header: bytes) -> SniffResult | None:
    if not header.startswith(b"BM") or len(header) < 18:
        return None
    if struct.unpack_from("<I", header, 14)[0] in BMP_HEADER_SIZES:
        return _kind("image/bmp", PHOTO, "bmp")
    return UNKNOWN


def _sniff_pdf(header: bytes) -> SniffResult | None:
    # PDF readers accept up to 1 KiB of junk before the signature.
    return FILETYPE_KINDS["application/pdf"] if b"%PDF-" in header[:1024] else None


MATCHERS: tuple[Callable[[bytes], SniffResult | None], ...] = (
    _sniff_isobmff,
    _sniff_riff,
    _sniff_raf,
    _sniff_jxl_codestream,
    _sniff_ogg,
    _sniff_bmp,
    _sniff_pdf,
    _sniff_mpeg_audio,
    _sniff_transport_stream,
)
