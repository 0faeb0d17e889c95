"""AVCHD capture date: the MDPM block cameras put in the H.264 stream's SEI user data.

Sony, Panasonic and Canon AVCHD cameras (MTS/M2TS) record the clip's date and time not in the
container but in an unregistered-user-data SEI message of the first pictures: the UUID
17ee8c60-f84d-11d9-8cd6-0800200c9a66, ``MDPM``, a count, then 5-byte entries (a tag and 4 bytes).
Tag 0x18 holds (zone, year as 2 BCD bytes, month) and 0x19 (day, hour, minute, second), all BCD.

The date is the camera's wall clock. The zone byte, as ExifTool reads it (IEC 61834-4 is not
public): 0x20 west of UTC, 0x1e the hours, 0x01 half an hour more, 0x40 daylight saving in force
(an hour more than the zone's standard offset, as the DV packs it derives from say), 0x80 unused.
A byte of 0x00 (what cameras write with no zone set) or with the unused bit set gives no offset:
the time is then local, like a photo's date without an offset.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

MDPM_UUID = bytes.fromhex("17ee8c60f84d11d98cd60800200c9a66") + b"MDPM"
MAX_PACKETS = 30
DATE_TAG, TIME_TAG = 0x18, 0x19


def _bcd(value: int) -> int:
    high, low = value >> 4, value & 0x0F
    if high > 9 or low > 9:
        raise ValueError(f"not BCD: {value:#x}")
    return high * 10 + low


def zone_offset(zone: int) -> int | None:
    """The UTC offset in minutes that an MDPM zone byte states, or None (see the docstring)."""
    if zone == 0 or zone & 0x80:
        return None
    minutes = ((zone >> 1) & 0x0F) * 60 + (30 if zone & 0x01 else 0)
    offset = -minutes if zone & 0x20 else minutes
    if zone & 0x40:
        offset += 60
    return offset if abs(offset) <= 14 * 60 else None


def parse_mdpm(data: bytes) -> tuple[dt.datetime, int | None] | None:
    """The capture time in the first MDPM block of ``data`` (H.264 bytes), if whole and valid,
    with its UTC offset in minutes when the camera stated one."""
    start = data.find(MDPM_UUID)
    if start < 0 or start + len(MDPM_UUID) >= len(data):
        return None
    position = start + len(MDPM_UUID)
    count = data[position]
    entries: dict[int, bytes] = {}
    for index in range(count):
        entry = data[position + 1 + 5 * index : position + 6 + 5 * index]
        if len(entry) < 5:
            break
        entries.setdefault(entry[0], entry[1:])
    date, time = entries.get(DATE_TAG), entries.get(TIME_TAG)
    if date is None or time is None:
        return None
    try:
        year = _bcd(date[1]) * 100 + _bcd(date[2])
        when = dt.datetime(year, _bcd(date[3]), _bcd(time[0]), _bcd(time[1]), _bcd(time[2]),
                           _bcd(time[3]))
    except ValueError:
        return None
    return when, zone_offset(date[0])


def avchd_capture_time(container: Any, stream: Any) -> tuple[dt.datetime, int | None] | None:
    """The MDPM capture time and UTC offset in the first packets of an H.264 ``stream`` (PyAV),
    if any."""
    for count, packet in enumerate(container.demux(stream)):
        if count >= MAX_PACKETS:
            break
        if packet.size:
            found = parse_mdpm(bytes(packet))
            if found is not None:
                return found
    return None
