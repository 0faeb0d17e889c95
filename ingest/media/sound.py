"""Decoding an audio stream with PyAV into its loudness over time, for a waveform picture.

The stream is resampled to mono 8 kHz floats as it is decoded and reduced to one peak per
bucket of ~1/4000 of the duration (5 ms to 0.1 s), so an hour of audio holds ~36,000 numbers,
not 150 million samples, and a two-second spot still has a smooth outline.
"""

from __future__ import annotations

import logging
from typing import Any

import av
import numpy as np

from dam.errors import IngestError
from ingest.media.info import AudioInfo

log = logging.getLogger(__name__)

ENVELOPE_RATE = 8000
BUCKETS = 4000
MIN_BUCKET_SECONDS, MAX_BUCKET_SECONDS = 0.005, 0.1
MAX_DECODE_ERRORS = 50


def bucket_seconds(duration: float | None) -> float:
    """How much sound one peak of the envelope stands for."""
    wanted = (duration or 0) / BUCKETS
    return min(MAX_BUCKET_SECONDS, max(MIN_BUCKET_SECONDS, wanted))


def loudness_envelope(path: str, audio: AudioInfo, duration: float | None) -> np.ndarray:
    """Peak amplitude (0..1) of each bucket of the stream; IngestError if nothing decodes."""
    bucket = int(ENVELOPE_RATE * bucket_seconds(duration))
    peaks: list[float] = []
    carry = np.zeros(0, dtype=np.float32)
    with av.open(path, metadata_errors="replace") as container:
        stream = container.streams[audio.index]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=ENVELOPE_RATE)
        for samples in _resampled(container, stream, resampler):
            carry = np.concatenate([carry, samples])
            whole = len(carry) // bucket * bucket
            if whole:
                peaks.extend(np.abs(carry[:whole]).reshape(-1, bucket).max(axis=1).tolist())
                carry = carry[whole:]
    if len(carry):
        peaks.append(float(np.abs(carry).max()))
    if not peaks:
        raise IngestError(f"no {audio.codec or 'audio'} sound could be decoded")
    return np.clip(np.asarray(peaks, dtype=np.float32), 0.0, 1.0)


def _resampled(container: Any, stream: Any, resampler: Any) -> Any:
    errors = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            errors += 1
            if errors > MAX_DECODE_ERRORS:
                raise IngestError(f"the audio is too damaged to decode: {exc}") from None
            continue
        for frame in frames:
            frame.pts = None  # the resampler needs no timing, and damaged files have odd ones
            for out in resampler.resample(frame):
                yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
