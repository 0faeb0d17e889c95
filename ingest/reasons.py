"""Failure reasons as codes: the technical text recorded for an asset, sorted into the few kinds
people are told about (in their language, by the web's ``web/reasons.py``).

The recorded text stays as it is (admins read it); ``reason_code`` only classifies it. The
first pattern that matches decides; anything else is ``failed``.
"""

from __future__ import annotations

import re

#: (code, pattern on the recorded reason), first match wins.
REASON_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern, re.IGNORECASE)) for code, pattern in (
        ("refused", r"not accepted|no se acepta"),  # the upload's own (translated) refusal
        ("erased", r"^erased by legal mandate on "),  # dam.curation.erasure.RETURNED
        ("empty", r"^empty file"),
        ("raw_empty", r"holds no image data"),
        ("too_large", r"too large|decompression bomb|image too large"),
        ("memory", r"too much memory|out of memory|MemoryError"),
        ("timeout", r"took longer than|time limit|timed out"),
        ("crashed", r"crashed"),
        ("truncated", r"truncated|cut short|image file is truncated"),
        ("no_pixels", r"has no pixels|has no size"),
        ("no_picture", r"no \S+ frame could be decoded|too damaged to decode"),
        ("no_sound", r"no \S+ sound could be decoded|no audio stream"),
        ("no_stream", r"no video or audio stream"),
        ("pdf", r"PDF|cannot render page"),
        ("proxy", r"ffmpeg|proxy"),
        ("storage", r"cannot read the file|object store|store folder|missing from the store"),
        ("internal", r"^internal error"),
        ("damaged", r"unreadable|damaged|not a valid|corrupt|decoder error|broken"),
    )
)
REASON_CODES = tuple(code for code, _pattern in REASON_PATTERNS) + ("failed",)


def reason_code(reason: str | None) -> str | None:
    """The kind of failure a recorded reason describes; None without a reason."""
    if not reason:
        return None
    for code, pattern in REASON_PATTERNS:
        if pattern.search(reason):
            return code
    return "failed"
