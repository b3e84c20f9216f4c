"""Keep a long sync's memory flat: glibc's threshold for serving a large block from ``mmap``.

A sync allocates page bodies of a few hundred kilobytes, over and over. glibc serves a block
of at least ``M_MMAP_THRESHOLD`` (128 KiB) with its own ``mmap``, returned to the system when
freed; but each time such a block is freed it raises the threshold to that block's size
(up to 32 MiB), and from then on the bodies come from the heap's arenas, which fragment and
hold on to what they grew to. Over a million messages that kept about 100 MB more resident
(bench workload 4: 469 MB instead of 374 MB at the peak). Setting the threshold once fixes it
at its default and stops the raising: large blocks keep going back to the system.

:func:`bound_large_allocations` does that once per process, on glibc only, and never when
the user set ``MALLOC_MMAP_THRESHOLD_`` (glibc applied theirs) or
``POSTPRESS_FRAMES_KEEP_MALLOC`` (to leave the allocator as it is). It changes how memory is
obtained, never what a program computes.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading

__all__ = ["MMAP_THRESHOLD", "bound_large_allocations"]

#: glibc's default threshold, kept fixed.
MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
_done = threading.Event()
_lock = threading.Lock()


def _wanted() -> bool:
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "POSTPRESS_FRAMES_KEEP_MALLOC" in os.environ:
        return False
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def bound_large_allocations() -> bool:
    """Fix glibc's mmap threshold at 128 KiB (see the module docstring); True when this
    call set it. Later calls do nothing.

    >>> first = bound_large_allocations()
    >>> bound_large_allocations()
    False
    """
    with _lock:
        if _done.is_set():
            return False
        _done.set()
        if not _wanted():
            return False
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            return False
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
