"""EXIF reading through exifread: the only module that calls it."""

from __future__ import annotations

import contextvars
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from exifread.core.exceptions import ExifNotFound, InvalidExif
from exifread.core.exif_header import ExifHeader
from exifread.core.find_exif import determine_type, get_endian_str
from exifread.tags.exif import EXIF_TAGS, GPS_TAGS

from ingest.metadata.values import RAW_MAX_KEYS, bound_json, clean_text, ratio_to_float

logger = logging.getLogger(__name__)

# Tags left out of the raw dump: binary blobs, thumbnails, maker notes, pixel layout tables,
# and blocks (XMP, IPTC, ICC, Photoshop) that are read on their own or not wanted.
_RAW_SKIP = {
    "MakerNote",
    "JPEGThumbnail",
    "TIFFThumbnail",
    "ApplicationNotes",
    "IPTC/NAA",
    "InterColorProfile",
    "StripOffsets",
    "StripByteCounts",
    "TileOffsets",
    "TileByteCounts",
    "JPEGInterchangeFormat",
    "JPEGInterchangeFormatLength",
    "Tag 0x8649",
    "Tag 0xC4A5",
    "Tag 0xEA1C",
    "Padding",
}
_MAX_LOG_WARNINGS = 20
_sink: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("exif_sink", default=None)


class _WarningSink(logging.Handler):
    """Routes exifread's own warnings into the warnings of the extraction running in this thread."""

    def emit(self, record: logging.LogRecord) -> None:
        sink = _sink.get()
        if sink is not None and len(sink) < _MAX_LOG_WARNINGS:
            sink.append(f"exif: {record.getMessage()}")


_handler = _WarningSink(level=logging.WARNING)
_exifread_logger = logging.getLogger("exifread")
if not any(isinstance(h, _WarningSink) for h in _exifread_logger.handlers):
    _exifread_logger.addHandler(_handler)


@contextmanager
def _collect_log_warnings(warnings: list[str]) -> Iterator[None]:
    token = _sink.set(warnings)
    try:
        yield
    finally:
        _sink.reset(token)


class ExifTags:
    """EXIF tags read by exifread, keyed like 'Image Make', 'EXIF DateTimeOriginal', 'GPS ...'."""

    def __init__(self, tags: dict[str, Any] | None = None) -> None:
        self.tags: dict[str, Any] = tags or {}

    def __bool__(self) -> bool:
        return bool(self.tags)

    def values(self, name: str, *ifds: str) -> Any:
        """The raw values of a tag, looked up in the given IFDs in order (default Image, EXIF)."""
        for ifd in ifds or ("Image", "EXIF"):
            tag = self.tags.get(f"{ifd} {name}")
            if tag is not None and not isinstance(tag, bytes):
                return tag.values
        return None

    def text(self, name: str, *ifds: str) -> str | None:
        values = self.values(name, *ifds)
        if isinstance(values, list):
            if values and all(isinstance(v, int) and 0 <= v < 256 for v in values):
                return clean_text(bytes(values))
            return None
        return clean_text(values)

    def number(self, name: str, *ifds: str) -> float | None:
        values = self.values(name, *ifds)
        if isinstance(values, list):
            return ratio_to_float(values[0]) if values else None
        return None

    def numbers(self, name: str, *ifds: str) -> list[float | None]:
        values = self.values(name, *ifds)
        if not isinstance(values, list):
            return []
        return [ratio_to_float(v) for v in values]

    def dump(self) -> dict[str, Any]:
        """A bounded, JSON-serialisable view of the tags, without blobs and maker notes."""
        out: dict[str, Any] = {}
        for key, tag in self.tags.items():
            if len(out) >= RAW_MAX_KEYS:
                break
            name = key.split(" ", 1)[-1]
            if isinstance(tag, bytes) or name in _RAW_SKIP or key.startswith("MakerNote"):
                continue
            out[key] = bound_json(_plain_value(tag))
        return out


def _plain_value(tag: Any) -> Any:
    values = tag.values
    if isinstance(values, str | bytes):
        return values
    if not isinstance(values, list):
        return bound_json(values)
    if tag.field_type in (1, 7) and len(values) > 1:  # BYTE or UNDEFINED: often ASCII
        data = bytes(v & 0xFF for v in values if isinstance(v, int)).rstrip(b"\x00 ")
        text = data.decode("ascii", errors="replace")
        return text if text.isprintable() else data
    plain = [ratio_to_float(v) if not isinstance(v, int) else v for v in values]
    return plain[0] if len(plain) == 1 else plain


def read_exif(source: bytes | BinaryIO, warnings: list[str]) -> ExifTags:
    """Read IFD0, the EXIF IFD and GPS from a TIFF-structured block (bytes) or TIFF-based file.

    Never raises: a broken IFD is recorded in `warnings` and the tags read before it are kept.
    Thumbnail IFDs and maker notes are skipped for speed.
    """
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    found: list[str] = []
    # process_file() is replaced by its steps so that one broken IFD does not lose the others.
    header: ExifHeader | None = None
    try:
        with _collect_log_warnings(found):
            handle.seek(0)
            offset, endian, fake_exif = determine_type(handle)
            header = ExifHeader(
                handle, get_endian_str(endian)[0], offset, fake_exif, strict=False, detailed=False
            )
            ifds = header.list_ifd()
            if ifds:
                _dump(header, ifds[0], "Image", found)
            if not header.tags:
                found.append("exif: the EXIF block has no readable IFD0 tags")
            exif_offset = header.tags.get("Image ExifOffset")
            if exif_offset is not None and exif_offset.values:
                if exif_offset.values[0] in ifds[:1]:
                    found.append("exif: the EXIF IFD pointer loops back to IFD0")
                else:
                    _dump(header, exif_offset.values[0], "EXIF", found)
    except (ExifNotFound, InvalidExif) as error:
        found.append(f"exif: no readable EXIF header ({error})")
    except Exception as error:  # exifread has no error hierarchy for malformed data
        logger.debug("exifread failed", exc_info=True)
        found.append(f"exif: unreadable EXIF ({type(error).__name__}: {error})")
    finally:
        warnings.extend(found)
    return ExifTags(dict(header.tags) if header is not None else {})


def _dump(header: ExifHeader, ifd: Any, name: str, warnings: list[str]) -> None:
    try:
        header.dump_ifd(ifd=int(ifd), ifd_name=name)
    except Exception as error:  # keep the tags read before the failure
        logger.debug("exifread failed on IFD %s", name, exc_info=True)
        warnings.append(f"exif: broken {name} IFD ({type(error).__name__}: {error})")


def read_exif_parts(parts: dict[str, bytes], warnings: list[str]) -> ExifTags:
    """Read EXIF stored as one TIFF block per IFD (Canon CR3: IFD0, EXIF IFD, GPS IFD)."""
    tags: dict[str, Any] = {}
    if "Image" in parts:
        tags.update(read_exif(parts["Image"], warnings).tags)
    for name, tag_dict in (("EXIF", EXIF_TAGS), ("GPS", GPS_TAGS)):
        if name not in parts:
            continue
        found: list[str] = []
        try:
            with _collect_log_warnings(found):
                handle = io.BytesIO(parts[name])
                _, endian, _ = determine_type(handle)
                header = ExifHeader(handle, get_endian_str(endian)[0], 0, 0, strict=False)
                first_ifd = header.list_ifd()[:1]
                for ifd in first_ifd:
                    header.dump_ifd(ifd=ifd, ifd_name=name, tag_dict=tag_dict)
            tags.update(header.tags)
        except Exception as error:  # exifread has no error hierarchy for malformed data
            found.append(f"exif: unreadable {name} block ({type(error).__name__}: {error})")
        warnings.extend(found)
    return ExifTags(tags)
