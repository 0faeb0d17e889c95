"""AVCHD capture date: the MDPM block cameras put in the H.264 stream's SEI user data.

Sony, Panasonic and Canon AVCHD cameras (MTS/M2TS) record the clip's date and time not in the
container but in an unregistered-user-data SEI message of the first pictures: the UUID
17ee8c60-f84d-11d9-8cd6-0800200c9a66, ``MDPM``, a count, then 5-byte entries (a tag and 4 bytes).
Tag 0x18 holds (zone, year as 2 BCD bytes, month) and 0x19 (day, hour, minute, second), all BCD.
The zone byte's layout is not documented: the time is taken as the camera's wall clock.
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


def parse_mdpm(data: bytes) -> dt.datetime | None:
    """The capture time in the first MDPM block of ``data`` (H.264 bytes), if whole and valid."""
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
        return dt.datetime(year, _bcd(date[3]), _bcd(time[0]), _bcd(time[1]), _bcd(time[2]),
                           _bcd(time[3]))
    except ValueError:
        return None


def avchd_capture_time(container: Any, stream: Any) -> dt.datetime | None:
    """The MDPM capture time in the first packets of an H.264 ``stream`` (PyAV), if any."""
    for count, packet in enumerate(container.demux(stream)):
        if count >= MAX_PACKETS:
            break
        if packet.size:
            found = parse_mdpm(bytes(packet))
            if found is not None:
                return found
    return None
