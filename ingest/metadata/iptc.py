"""IPTC-IIM reading: Photoshop image resource blocks and the IIM datasets inside them."""

from __future__ import annotations

import struct
from typing import Any

from ingest.metadata.values import bound_json, clean_text, decode_text

IPTC_RESOURCE_ID = 0x0404
_UTF8_MARKERS = (b"\x1b%G", b"\x1b%/G", b"\x1b%/I")
_MAX_RESOURCES = 1000

# (record, dataset) -> name, as exiftool spells them.
DATASETS: dict[tuple[int, int], str] = {
    (1, 90): "CodedCharacterSet",
    (2, 0): "ApplicationRecordVersion",
    (2, 4): "ObjectAttributeReference",
    (2, 5): "ObjectName",
    (2, 7): "EditStatus",
    (2, 10): "Urgency",
    (2, 12): "SubjectReference",
    (2, 15): "Category",
    (2, 20): "SupplementalCategories",
    (2, 25): "Keywords",
    (2, 26): "ContentLocationCode",
    (2, 27): "ContentLocationName",
    (2, 30): "ReleaseDate",
    (2, 35): "ReleaseTime",
    (2, 40): "SpecialInstructions",
    (2, 55): "DateCreated",
    (2, 60): "TimeCreated",
    (2, 62): "DigitalCreationDate",
    (2, 63): "DigitalCreationTime",
    (2, 65): "OriginatingProgram",
    (2, 70): "ProgramVersion",
    (2, 80): "By-line",
    (2, 85): "By-lineTitle",
    (2, 90): "City",
    (2, 92): "Sub-location",
    (2, 95): "Province-State",
    (2, 100): "Country-PrimaryLocationCode",
    (2, 101): "Country-PrimaryLocationName",
    (2, 103): "OriginalTransmissionReference",
    (2, 105): "Headline",
    (2, 110): "Credit",
    (2, 115): "Source",
    (2, 116): "CopyrightNotice",
    (2, 118): "Contact",
    (2, 120): "Caption-Abstract",
    (2, 122): "Writer-Editor",
    (2, 135): "LanguageIdentifier",
}
_BINARY = {(1, 0), (2, 0)}


def parse_photoshop_resources(data: bytes, warnings: list[str]) -> dict[int, bytes]:
    """Split a Photoshop image resource block ('8BIM' records) into {resource id: data}."""
    resources: dict[int, bytes] = {}
    pos = 0
    while pos + 12 <= len(data) and len(resources) < _MAX_RESOURCES:
        if data[pos : pos + 4] not in (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR"):
            if data[pos:].strip(b"\x00"):
                warnings.append(f"iptc: unexpected bytes in Photoshop resources at {pos}")
            break
        resource_id = struct.unpack_from(">H", data, pos + 4)[0]
        name_length = data[pos + 6]
        pos += 6 + ((name_length + 2) & ~1)  # Pascal name padded to an even size
        if pos + 4 > len(data):
            break
        size = struct.unpack_from(">I", data, pos)[0]
        pos += 4
        if pos + size > len(data):
            warnings.append(f"iptc: Photoshop resource 0x{resource_id:04X} is truncated")
            break
        resources.setdefault(resource_id, data[pos : pos + size])
        pos += size + (size & 1)
    return resources


def parse_iim(data: bytes, warnings: list[str]) -> dict[str, Any]:
    """Decode IIM datasets into {name: text or list of texts} (repeated datasets become lists).

    Text is UTF-8 when CodedCharacterSet (1:90) says so, else UTF-8 if valid, else Windows-1252.
    """
    fields = _split_datasets(data, warnings)
    charset = fields.get((1, 90), [b""])[0]
    encoding = "utf-8" if charset.startswith(_UTF8_MARKERS) else None
    out: dict[str, Any] = {}
    for key, chunks in fields.items():
        name = DATASETS.get(key, f"{key[0]}:{key[1]:03d}")
        if key in _BINARY:
            values: list[Any] = [int.from_bytes(c, "big") if len(c) <= 4 else c for c in chunks]
        elif key == (1, 90):
            values = [bound_json(c) for c in chunks]
        else:
            values = [clean_text(decode_text(c, encoding)) for c in chunks]
            values = [v for v in values if v is not None]
        if values:
            out[name] = values if len(values) > 1 or _is_list(key) else values[0]
    return out


def _is_list(key: tuple[int, int]) -> bool:
    return key in {(2, 4), (2, 12), (2, 20), (2, 25), (2, 26), (2, 27), (2, 80), (2, 85), (2, 118)}


def _split_datasets(data: bytes, warnings: list[str]) -> dict[tuple[int, int], list[bytes]]:
    fields: dict[tuple[int, int], list[bytes]] = {}
    pos = 0
    while pos + 5 <= len(data):
        if data[pos] != 0x1C:
            if data[pos:].strip(b"\x00"):
                warnings.append(f"iptc: unexpected byte 0x{data[pos]:02X} at {pos}; rest ignored")
            break
        record, dataset = data[pos + 1], data[pos + 2]
        length = struct.unpack_from(">H", data, pos + 3)[0]
        pos += 5
        if length & 0x8000:  # extended dataset: the next (length & 0x7FFF) bytes hold the size
            size_bytes = length & 0x7FFF
            if size_bytes > 4 or pos + size_bytes > len(data):
                warnings.append("iptc: bad extended dataset length; rest ignored")
                break
            length = int.from_bytes(data[pos : pos + size_bytes], "big")
            pos += size_bytes
        if pos + length > len(data):
            warnings.append(f"iptc: dataset {record}:{dataset} is truncated")
            length = len(data) - pos
        fields.setdefault((record, dataset), []).append(data[pos : pos + length])
        pos += length
    return fields
