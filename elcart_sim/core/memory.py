"""The C heap of a long run: two glibc settings the runner asks for, explicitly, around the day.

Nothing in elcart-sim changes the process when it is imported or when an object is built; these
two functions do, so only the runner calls them (`Simulation.run`: the first before the day,
the second before the results are collected). Both are glibc calls made through ctypes; where
the C library has no such function (macOS, musl) they do nothing and say so.

`keep_large_blocks_mapped` — the record columns (core/records.py) grow by `realloc`. With glibc
that is cheap only for a block in a mapping of its own (the kernel moves pages, mremap), and glibc
decides which blocks get one by a threshold that it raises each time a mapped block is freed (up
to 32 MiB): past the first freed buffer, columns, dict tables and buffers of up to that size live
in the heap, where each growth leaves a hole the process keeps. Pinning the threshold at 128 KiB
(glibc's own initial value) keeps every block from that size up in its own mapping. On a
1,000,000-transaction national day (fast fidelity) the same setting made at process start
(MALLOC_MMAP_THRESHOLD_=131072) gave ~140 MB less resident memory before `Results.collect`
(1,024 -> 882 MB) and ~90 MB less at the peak (1,151 -> 1,064 MB).

`return_free_memory` — a day frees millions of small buffers whose pages the heap keeps, while
the DataFrames' large arrays are mapped afresh, so without handing the free pages back both
count in resident memory while the results are built.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

__all__ = ["keep_large_blocks_mapped", "return_free_memory"]

_M_MMAP_THRESHOLD = -3  # mallopt parameter (glibc malloc.h)
_MAPPED_FROM_BYTES = 128 * 1024  # glibc's own initial threshold


def _libc_function(name: str) -> Callable[..., int] | None:
    try:
        return getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError):
        return None


def keep_large_blocks_mapped() -> bool:
    """Pin glibc's mmap threshold at 128 KiB for the rest of this process (mallopt
    M_MMAP_THRESHOLD): every block from that size up gets its own mapping, grows by mremap and is
    returned to the system when freed. True if it was set; False where the C library has no
    `mallopt` (not glibc)."""
    mallopt = _libc_function("mallopt")
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, _MAPPED_FROM_BYTES))


def return_free_memory() -> bool:
    """Hand the C heap's free pages back to the operating system (glibc's malloc_trim(0)). True
    if the call was made; False where the C library has no `malloc_trim` (not glibc)."""
    trim = _libc_function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True
