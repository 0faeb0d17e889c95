"""Failure reasons as people read them: a translated sentence per reason code (ingest.reasons);
the technical text stays recorded and is shown to administrators."""

from __future__ import annotations

import re

from flask_babel import gettext, lazy_gettext

from ingest.reasons import reason_code

MESSAGES = {
    "erased": lazy_gettext("This file was erased by legal mandate; it is not stored again."),
    "refused": lazy_gettext(
        "This type of file is not accepted: only photos, video, audio and PDF."),
    "empty": lazy_gettext("The file is empty."),
    "raw_empty": lazy_gettext("The RAW file holds no image data (pruned or cut short)."),
    "too_large": lazy_gettext("The picture is too large to process safely."),
    "memory": lazy_gettext("The file needs too much memory to process."),
    "timeout": lazy_gettext("Processing the file took too long."),
    "crashed": lazy_gettext("The decoder stopped on this file."),
    "truncated": lazy_gettext("The file is incomplete: it was cut short."),
    "no_pixels": lazy_gettext("The file has no picture to show."),
    "no_picture": lazy_gettext("No picture of the video could be decoded."),
    "no_sound": lazy_gettext("No sound could be decoded."),
    "no_stream": lazy_gettext("The file holds no video or audio."),
    "pdf": lazy_gettext("The PDF is damaged or cannot be read."),
    "proxy": lazy_gettext("The web copy of the video could not be made."),
    "storage": lazy_gettext("The file could not be read from the archive's storage."),
    "internal": lazy_gettext("An internal error stopped the processing."),
    "damaged": lazy_gettext("The file is damaged or of a kind that cannot be read."),
    "failed": lazy_gettext("The file could not be processed."),
}


_ERASED = re.compile(r"^erased by legal mandate on (\S+): (.*)$", re.DOTALL)


def failure_text(reason: str | None) -> str:
    """The recorded ``reason`` as a sentence in the reader's language ("" without one)."""
    code = reason_code(reason)
    if code == "erased" and reason and (found := _ERASED.match(reason)):
        return gettext("This file was erased by legal mandate on %(day)s (%(reason)s); it is "
                       "not stored again.", day=found.group(1), reason=found.group(2))
    return str(MESSAGES[code]) if code else ""


