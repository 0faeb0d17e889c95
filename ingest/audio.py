"""Audio processing: probe and tags, a waveform picture as thumbnail, a web proxy when needed.

``analyse_audio`` runs in a child process (``ingest.sandbox``). The waveform is drawn from the
peak loudness over time (``ingest.media.sound``), as a PNG (flat colours compress better
than in JPEG): a wide ``waveform`` rendition for the player and a ``thumbnail`` for grids.
MP3 and AAC in MP4/M4A/ADTS play in every browser and get no proxy; WAV, FLAC, Ogg, Opus and
the rest get an AAC (M4A) proxy from the lower-priority proxy job.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dam.config import Settings
from dam.enums import MediaType
from dam.errors import IngestError
from ingest.media.info import MediaInfo
from ingest.media.probe import probe_media
from ingest.media.sound import bucket_seconds, loudness_envelope
from ingest.stills import png_rendition
from ingest.timebased import MediaAnalysis, raw_media

WAVE_COLOUR = (31, 41, 55)
BACKGROUND = (255, 255, 255)
MID_LINE = (209, 213, 219)
THUMBNAIL_ASPECT = 16 / 9
WAVEFORM_ASPECT = 6.0
BROWSER_CONTAINERS = {"mp3": {"mp3"}, "aac": {"mp4", "m4a", "mov", "aac", "3gp"}}


def analyse_audio(path: str, settings: Settings, info: MediaInfo | None = None) -> MediaAnalysis:
    """Probe, tags and waveform of the audio at ``path`` (run it through the sandbox)."""
    info = info or probe_media(Path(path))
    if info.audio is None:
        raise IngestError(f"no audio stream in this {info.container} file")
    analysis = MediaAnalysis(info, MediaType.AUDIO, raw={"media": raw_media(info)})
    if not info.audio.can_decode:
        analysis.failure = f"no decoder for the {info.audio.codec or 'unknown'} audio in this file"
        return analysis
    try:
        peaks = loudness_envelope(path, info.audio, info.duration)
    except IngestError as exc:
        analysis.failure = str(exc)
        return analysis
    wide = settings.preview_size
    analysis.outputs.append(
        png_rendition(draw_waveform(peaks, wide, wide / WAVEFORM_ASPECT), "waveform")
    )
    thumb = settings.thumbnail_size
    analysis.outputs.append(
        png_rendition(draw_waveform(peaks, thumb, thumb / THUMBNAIL_ASPECT), "thumbnail")
    )
    seconds = bucket_seconds(info.duration)
    analysis.raw["waveform"] = {"bucket_seconds": seconds, "buckets": int(len(peaks))}
    analysis.needs_proxy = not browser_playable(info)
    return analysis


def browser_playable(info: MediaInfo) -> bool:
    """Whether every current browser plays the file as it is (MP3, or AAC in MP4 or ADTS)."""
    if info.audio is None or info.video is not None:
        return False
    containers = BROWSER_CONTAINERS.get(info.audio.codec or "", set())
    return info.container in containers


def draw_waveform(peaks: np.ndarray, width: float, height: float) -> Image.Image:
    """Peaks (0..1) as a mirrored bar per pixel column, loud parts reaching the edges."""
    width, height = max(16, int(width)), max(8, int(height))
    columns = _columns(peaks, width)
    scale = float(columns.max()) or 1.0  # normalise: quiet recordings still show their shape
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    middle = (height - 1) / 2
    draw.line([(0, middle), (width - 1, middle)], fill=MID_LINE)
    for x, peak in enumerate(columns):
        half = max(0.5, peak / scale * middle)
        draw.line([(x, middle - half), (x, middle + half)], fill=WAVE_COLOUR)
    return image


def _columns(peaks: np.ndarray, width: int) -> np.ndarray:
    """The largest peak falling in each of ``width`` columns (repeated when there are fewer)."""
    edges = np.linspace(0, len(peaks), width + 1)
    starts = np.minimum(edges[:-1].astype(int), len(peaks) - 1)
    stops = np.maximum(edges[1:].astype(int), starts + 1)
    return np.array([peaks[a:b].max() for a, b in zip(starts, stops, strict=True)])
