"""What a video or audio file says about itself, as typed values, and the parsing of its tags.

Nothing here calls FFmpeg: ``ingest.media.probe`` fills these records from PyAV, and the
functions below turn container tags (QuickTime, MP4, ID3, Vorbis comments, as FFmpeg names
them) into catalog values, so that they can be tested on plain strings.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

# Transfer characteristics of HDR video, as FFmpeg names them.
HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})

CREATION_DATE_KEYS = ("com.apple.quicktime.creationdate", "creationdate")
CREATION_TIME_KEYS = ("creation_time",)
LOCATION_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make", "manufacturer")
MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")
TITLE_KEYS = ("title", "com.apple.quicktime.title", "tit2")
ARTIST_KEYS = ("artist", "album_artist", "com.apple.quicktime.artist", "author", "composer")
DATE_KEYS = ("date", "creation_date", "year", "tdrc", "com.apple.quicktime.creationdate")
COMMENT_KEYS = ("comment", "description", "com.apple.quicktime.description")

_ISO6709 = re.compile(
    r"^\s*(?P<lat>[+-]\d+(?:\.\d*)?)(?P<lon>[+-]\d+(?:\.\d*)?)(?P<alt>[+-]\d+(?:\.\d*)?)?"
)
_DATE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<frac>\.\d+)?"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?)?$"
)


@dataclass(frozen=True)
class VideoInfo:
    """The main video stream."""

    index: int
    codec: str | None  # FFmpeg's codec name (h264, hevc, vp9, av1, vvc...); None when unknown
    codec_tag: str | None  # the container's fourcc, e.g. avc1, hvc1
    width: int  # pixels as stored, before rotation
    height: int
    frame_rate: float | None
    pixel_format: str | None
    color_transfer: str | None
    color_primaries: str | None
    color_space: str | None
    sample_aspect_ratio: float  # width of a pixel over its height (1.0 for square pixels)
    rotation: int = 0  # degrees clockwise to display upright
    matrix: tuple[int, int, int, int] | None = None  # signs of the display matrix's a, b, c, d
    frames: int | None = None
    can_decode: bool = True

    @property
    def hdr_transfer(self) -> str | None:
        return self.color_transfer if self.color_transfer in HDR_TRANSFERS else None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: square pixels, rotation applied."""
        width = max(1, round(self.width * self.sample_aspect_ratio))
        if self.rotation in (90, 270):
            return self.height, width
        return width, self.height


@dataclass(frozen=True)
class AudioInfo:
    """The main audio stream."""

    index: int
    codec: str | None
    channels: int | None
    sample_rate: int | None
    bit_rate: int | None
    can_decode: bool = True


@dataclass(frozen=True)
class MediaInfo:
    """A probed video or audio file."""

    container: str  # short name: mp4, mov, 3gp, matroska, webm, mp3, wav, flac, ogg...
    format_name: str  # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float | None
    bit_rate: int | None
    video: VideoInfo | None
    audio: AudioInfo | None
    tags: dict[str, str] = field(default_factory=dict)  # container tags, keys lower-cased
    streams: list[dict[str, object]] = field(default_factory=list)  # a summary of every stream


@dataclass(frozen=True)
class Capture:
    """Who, when and where, from the tags."""

    taken_at: dt.datetime | None = None
    taken_at_offset_minutes: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None
    make: str | None = None
    model: str | None = None
    title: str | None = None
    artist: str | None = None
    comment: str | None = None
    date_text: str | None = None


def read_capture(tags: dict[str, str]) -> Capture:
    """Capture facts from container tags (keys lower-cased)."""
    when = _first_date(tags, CREATION_DATE_KEYS) or _first_date(tags, CREATION_TIME_KEYS)
    if when is None:
        when = _first_date(tags, DATE_KEYS)
    where = next((p for p in (parse_iso6709(tags.get(k)) for k in LOCATION_KEYS) if p), None)
    lat, lon, alt = where if where else (None, None, None)
    return Capture(
        taken_at=when[0] if when else None,
        taken_at_offset_minutes=when[1] if when else None,
        latitude=lat,
        longitude=lon,
        altitude=alt,
        make=_first_text(tags, MAKE_KEYS),
        model=_first_text(tags, MODEL_KEYS),
        title=_first_text(tags, TITLE_KEYS),
        artist=_first_text(tags, ARTIST_KEYS),
        comment=_first_text(tags, COMMENT_KEYS),
        date_text=_first_text(tags, DATE_KEYS),
    )


def _first_text(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = (tags.get(key) or "").strip().strip("\x00").strip()
        if value:
            return value[:500]
    return None


def _first_date(
    tags: dict[str, str], keys: tuple[str, ...]
) -> tuple[dt.datetime, int | None] | None:
    for key in keys:
        parsed = parse_tag_date(tags.get(key))
        if parsed is not None:
            return parsed
    return None


def parse_tag_date(value: str | None) -> tuple[dt.datetime, int | None] | None:
    """A full date (and time) tag as (wall-clock time, UTC offset in minutes or None).

    ``2021-05-25T09:21:51-0700`` (QuickTime creationdate) keeps its offset; ``...Z`` (MP4
    ``creation_time``, UTC by the specification) gives offset 0; a bare year is not a date.
    Dates before 1980 are the zero dates of cameras with an unset clock, and are ignored.
    """
    if not value:
        return None
    match = _DATE.match(value.strip())
    if match is None:
        return None
    text = match["date"] + "T" + (match["time"] or "00:00")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.year < 1980:
        return None
    zone = match["zone"]
    if zone is None:
        return when, None
    if zone == "Z":
        return when, 0
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    offset = -minutes if zone[0] == "-" else minutes
    return (when, offset) if abs(offset) <= 18 * 60 else (when, None)


def parse_iso6709(value: str | None) -> tuple[float, float, float | None] | None:
    """(latitude, longitude, altitude or None) from an ISO 6709 string such as
    ``+19.3574-099.0671+2240.000/``; degrees, degrees-minutes and degrees-minutes-seconds forms.

    Exactly 0,0 (a phone without a fix) and positions out of range count as missing. Degrees
    without their leading zeros (Android writes ``-0.2431`` and ``-74.4999``) are accepted.
    """
    if not value:
        return None
    match = _ISO6709.match(value)
    if match is None:
        return None
    lat = _iso6709_angle(match["lat"], 2)
    lon = _iso6709_angle(match["lon"], 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:
        return None
    alt = float(match["alt"]) if match["alt"] else None
    return lat, lon, alt


def _iso6709_angle(text: str, degree_digits: int) -> float | None:
    sign = -1.0 if text[0] == "-" else 1.0
    whole, _, fraction = text[1:].partition(".")
    fraction_value = float("0." + fraction) if fraction else 0.0
    extra = len(whole) - degree_digits
    try:
        if extra <= 0 and whole:  # DD.DDD (Android leaves out leading zeros: -0.2431)
            value = int(whole) + fraction_value
        elif extra == 2:  # DDMM.MMM
            value = int(whole[:-2]) + (int(whole[-2:]) + fraction_value) / 60
        elif extra == 4:  # DDMMSS.SSS
            seconds = int(whole[-2:]) + fraction_value
            value = int(whole[:-4]) + int(whole[-4:-2]) / 60 + seconds / 3600
        else:
            return None
    except ValueError:
        return None
    return sign * value if math.isfinite(value) else None


def rotation_from_matrix(a: float, b: float, c: float, d: float) -> tuple[int, bool]:
    """(degrees clockwise to display upright, mirrored) from a QuickTime display matrix.

    A point (x, y) of the stored picture is shown at (a*x + c*y, b*x + d*y), plus a translation.
    Only quarter turns are used in practice; others are rounded to the nearest.
    """
    degrees = round(math.degrees(math.atan2(b, a)) / 90) * 90 % 360
    return degrees, a * d - b * c < 0


def short_container(format_name: str, major_brand: str | None) -> str:
    """A short container name from FFmpeg's demuxer name (and the MP4 major brand)."""
    if format_name.startswith("mov,mp4"):
        brand = (major_brand or "").strip()
        if brand == "qt":
            return "mov"
        if brand.startswith("3g2"):
            return "3g2"
        if brand.startswith("3g"):
            return "3gp"
        if brand.startswith("M4A"):
            return "m4a"
        return "mp4"
    return format_name.split(",", 1)[0][:100]
