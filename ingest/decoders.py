"""Asking the installed decoders what a file is, when its first bytes match no known signature.

Pillow (with pillow-heif and the JPEG XL plugin) is asked first: each plugin that has a signature
check (``accept``) and a real decoder may claim the file, then must parse its header. Formats
without a signature (TGA, PCD, SPIDER, IM, IPTC), stubs without a decoder (BUFR, GRIB, HDF5,
WMF/EMF) and PostScript (EPS needs Ghostscript) are never claimed: any binary could look like
them, or nothing could render them. FFmpeg's ``ffprobe`` is asked next, reading the bytes from
a pipe (the name cannot sway it), and must be sure of the container (probe score above the
extension-only 50) and find a video or audio stream.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pillow_heif
import pillow_jxl  # noqa: F401 - registers the JPEG XL plugin with Pillow
from PIL import Image, ImageFile

log = logging.getLogger(__name__)

pillow_heif.register_heif_opener()

#: Pillow formats never claimed from content alone (see the module's docstring).
UNCLAIMED_PILLOW_FORMATS = frozenset({"TGA", "PCD", "SPIDER", "IM", "IMT", "IPTC", "EPS", "MPEG",
                                      "BUFR", "GRIB", "HDF5", "WMF"})
#: Canonical names for Pillow formats; others are ``image/x-<format>``.
PILLOW_MIME = {"DIB": "image/bmp", "CUR": "image/x-icon", "MPO": "image/jpeg",
               "JPEG2000": "image/jp2", "ICO": "image/x-icon",
               "PPM": "image/x-portable-anymap", "PSD": "image/vnd.adobe.photoshop"}
PILLOW_EXTENSION = {"JPEG2000": "jp2", "PPM": "pnm", "JPEG": "jpg", "TIFF": "tif",
                    "HEIF": "heif", "DIB": "bmp", "CUR": "cur"}
FFPROBE_TIMEOUT_SECONDS = 20
FFPROBE_MIN_SCORE = 51  # 50 is a guess from the file name alone; content probes score above
#: FFmpeg demuxers -> MIME type and extension; others are ``video/x-<name>`` or ``audio/x-<name>``.
FFMPEG_KINDS = {
    "asf": ("video/x-ms-asf", "asf"),
    "flv": ("video/x-flv", "flv"),
    "dv": ("video/x-dv", "dv"),
    "mpeg": ("video/mpeg", "mpg"),
    "mpegts": ("video/mp2t", "ts"),
    "mpegvideo": ("video/mpeg", "m2v"),
    "matroska,webm": ("video/x-matroska", "mkv"),
    "avi": ("video/x-msvideo", "avi"),
    "rm": ("application/vnd.rn-realmedia", "rm"),
    "mxf": ("application/mxf", "mxf"),
    "aiff": ("audio/aiff", "aiff"),
    "amr": ("audio/amr", "amr"),
    "wv": ("audio/x-wavpack", "wv"),
    "ape": ("audio/x-ape", "ape"),
}


#: FFmpeg's still-picture demuxers whose pictures Pillow renders: a damaged picture of these is
#: still a photo (it then fails with the decoder's reason); other ``*_pipe`` demuxers claim nothing.
FFMPEG_PICTURES = {
    "psd_pipe": ("image/vnd.adobe.photoshop", "psd"),
    "j2k_pipe": ("image/jp2", "jp2"),
    "bmp_pipe": ("image/bmp", "bmp"),
    "ppm_pipe": ("image/x-portable-anymap", "pnm"),
    "pgm_pipe": ("image/x-portable-anymap", "pnm"),
    "pbm_pipe": ("image/x-portable-anymap", "pnm"),
    "pcx_pipe": ("image/x-pcx", "pcx"),
}


@dataclass(frozen=True)
class Claim:
    """A decoder's answer: the MIME type, an extension, and what kind of media it holds."""

    mime_type: str
    extension: str
    kind: str  # "photo", "video" or "audio"
    decoder: str  # e.g. "Pillow PSD", "ffprobe asf"


@lru_cache(maxsize=1)
def _pillow_candidates() -> tuple[tuple[str, object], ...]:
    Image.init()
    return tuple((name, accept) for name, (_factory, accept) in Image.OPEN.items()
                 if accept is not None and name not in UNCLAIMED_PILLOW_FORMATS)


def pillow_mime(name: str) -> str:
    return PILLOW_MIME.get(name) or Image.MIME.get(name) or f"image/x-{name.lower()}"


def pillow_formats_for(mime_type: str | None) -> tuple[str, ...]:
    """The Pillow formats whose files have ``mime_type`` (never a signature-less one); for None,
    every format that may claim a file."""
    return tuple(name for name, _accept in _pillow_candidates()
                 if mime_type is None or pillow_mime(name) == mime_type)


def ask_pillow(path: Path, prefix: bytes) -> Claim | None:
    """The Pillow format that claims and parses ``path``'s header, if any."""
    for name, accept in _pillow_candidates():
        try:
            if not accept(prefix[:16]):  # type: ignore[operator]
                continue
        except Exception:  # noqa: BLE001, S112 - a plugin's check failing is a "no"
            continue
        if _pillow_parses(path, name):
            extension = PILLOW_EXTENSION.get(name, name.lower())
            return Claim(pillow_mime(name), extension, "photo", f"Pillow {name}")
    return None


def _pillow_parses(path: Path, name: str) -> bool:
    try:
        with Image.open(path, formats=[name]) as image:
            return not isinstance(image, ImageFile.StubImageFile)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return True  # a picture of this format, refused later with the reason
    except Exception as exc:  # noqa: BLE001 - any failure means "not this format"
        log.debug("%s: Pillow %s declined: %s", path.name, name, exc)
        return False


def ask_ffprobe(path: Path) -> Claim | None:
    """The container FFmpeg is sure of, when it holds a video or audio stream."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    args = [ffprobe, "-v", "quiet", "-print_format", "json", "-show_format", "-show_streams",
            "-i", "pipe:0"]
    try:
        with open(path, "rb") as source:
            done = subprocess.run(args, stdin=source, capture_output=True,
                                  timeout=FFPROBE_TIMEOUT_SECONDS, check=False)
        found = json.loads(done.stdout or b"{}")
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.debug("%s: ffprobe failed: %s", path.name, exc)
        return None
    fmt = found.get("format") or {}
    name, score = fmt.get("format_name", ""), int(fmt.get("probe_score") or 0)
    kinds = {s.get("codec_type") for s in found.get("streams") or ()}
    if score < FFPROBE_MIN_SCORE or not kinds & {"video", "audio"}:
        return None
    if name in FFMPEG_PICTURES:
        return Claim(*FFMPEG_PICTURES[name], "photo", f"ffprobe {name}")
    if name.endswith("_pipe") or name in ("image2", "tty"):
        return None  # a still picture no decoder here renders, or text
    kind = "video" if "video" in kinds else "audio"
    mime_type, extension = FFMPEG_KINDS.get(name, (f"{kind}/x-{name.split(',')[0]}",
                                                   name.split(",")[0]))
    if kind == "audio" and mime_type.startswith("video/"):
        mime_type = "audio/" + mime_type.split("/", 1)[1]
    if name == "asf" and any(str(s.get("codec_name", "")).startswith("wmv")
                             for s in found["streams"]):
        mime_type, extension = "video/x-ms-wmv", "wmv"
    return Claim(mime_type, extension, kind, f"ffprobe {name}")
