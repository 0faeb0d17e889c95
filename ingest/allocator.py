"""The C allocator in worker processes: a photo's big buffers reused, not faulted in anew.

glibc serves a block above its mmap threshold (128 KiB at first, raised as such blocks are
freed, 32 MiB at most) with fresh pages from the kernel, unmapped again when freed, and hands
the top of its heap back past its trim threshold. A worker decoding photo after photo (pixels
of 6 MB and more, resized copies, encoders' buffers) then has those pages faulted in and zeroed
again for every photo: ~4,000 page faults and ~7 ms of CPU (5 %) a 24-megapixel JPEG on the
project machine (renditions of 12 photos, 3 rounds: 166,700 faults and 133-137 ms a photo,
with these thresholds 15,600 faults and 125-128 ms).

Fixed thresholds keep blocks up to MMAP_THRESHOLD in the heap, and up to TRIM_THRESHOLD of
freed heap mapped for the next photo. The peak is unchanged (it is the largest photo's); an
idle worker keeps what its last photo used. Anything larger (a huge TIFF decoded at full size)
is still mapped and unmapped on its own. Set ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` in the environment to choose otherwise; on a C library without
``mallopt`` (not glibc) nothing changes.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger(__name__)

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's own ceiling for its moving threshold (64-bit)
TRIM_THRESHOLD = 64 * 1024 * 1024
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # <malloc.h>
ENVIRONMENT = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_freed_memory() -> bool:
    """Set this process's thresholds (see the module's docstring); True if they were set."""
    if any(name in os.environ for name in ENVIRONMENT):
        return False  # chosen by whoever started the worker
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and
                mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    if not done:
        log.debug("the C library refused the allocator thresholds")
    return done
