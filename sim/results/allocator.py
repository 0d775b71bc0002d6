"""Freed memory kept for reuse while a replication is summarised (glibc only).

Summarising and writing a replication makes and drops hundreds of numpy arrays of a few MB
(one per record column and step). glibc's ``malloc`` serves a block that large with a fresh
``mmap`` and unmaps it when freed, so the next array faults in new zeroed pages: on the baseline
week about 30,000 page faults, ~60 ms of kernel time, as long as the arithmetic of the KPIs.
:func:`keep_freed_memory` raises the two thresholds (what ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` set) so such blocks come from the heap and freed ones stay there for
the next; the process's peak memory is unchanged (the same arrays are alive at once), it only
keeps up to ``TRIM_THRESHOLD`` of freed memory instead of returning it at once. Numbers are not
touched. Elsewhere (another C library, or either setting made by the user, as a ``MALLOC_*_``
variable or in ``GLIBC_TUNABLES``) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import os

MMAP_THRESHOLD = 32 << 20
"""Blocks up to this size come from the heap (glibc's largest allowed value on 64-bit)."""
TRIM_THRESHOLD = 128 << 20
"""Free memory at the heap's top kept for reuse, at most."""

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
_USER_TUNABLES = ("glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold")
"""The same two settings as glibc's tunables (``GLIBC_TUNABLES=glibc.malloc.…=N:…``)."""


def _glibc() -> ctypes.CDLL | None:
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return None
        return ctypes.CDLL("libc.so.6")
    except (AttributeError, ValueError, OSError):  # no confstr name, not glibc, no library
        return None


@functools.cache
def keep_freed_memory() -> bool:
    """Have glibc's ``malloc`` keep freed blocks for reuse (once per process); whether it
    does (False: not glibc, or the user's own ``MALLOC_*`` settings left as they are)."""
    if any(name in os.environ for name in _USER_SETTINGS) or \
            any(name in os.environ.get("GLIBC_TUNABLES", "") for name in _USER_TUNABLES):
        return False
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
