"""Keep freed heap memory in the process, so that a clearing's arrays do not page-fault.

A clearing allocates and frees arrays of the book's size every time: fills, values, the
sort keys, the trade list (about 100 MB at 1e6 orders a side). glibc's malloc gives the
top of a heap back to the kernel once more than ``M_TRIM_THRESHOLD`` of it is free, in
the main arena and in the clearing thread's arena alike, so the next clearing faults on
every fresh page again, and the kernel zeroes each one. Measured in CPU time on the
random books of ``benchmarks/conftest.py`` (2026-12-02): at 1e5 orders a side, 663 page
faults per pay-as-bid clearing (2.55 ms against 1.50 ms without them) and 1,555 with the
uniform trade list (3.95 against 1.45 ms); at 1e6, 3,713 with the trade list (42 against
18 ms). ``np.sort``, the baseline, faults on none: it frees its one array before it
allocates the next of the same size.

:func:`keep_freed_memory` sets, once per process, the trim threshold to
``TRIM_THRESHOLD_BYTES`` and the mmap threshold to ``MMAP_THRESHOLD_BYTES``. Setting either
turns off glibc's own adjustment of the mmap threshold (which would otherwise climb to
32 MiB as large blocks are freed), so both are set: blocks up to 32 MiB then come from the
heap and go back to it. The price is that a process keeps up to 256 MiB of freed heap
resident after a large clearing, instead of returning it; a server clearing every 15
minutes reuses it. Elsewhere than on glibc (no ``mallopt``) this does nothing.
"""

from __future__ import annotations

import ctypes
import functools

#: Free memory [bytes] at the top of a heap that glibc keeps instead of returning.
TRIM_THRESHOLD_BYTES = 256 << 20
#: Blocks [bytes] from this size up are mapped on their own (glibc's largest default).
MMAP_THRESHOLD_BYTES = 32 << 20

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3


@functools.cache  # once per process
def keep_freed_memory() -> bool:
    """Set glibc's trim and mmap thresholds; return whether both are set (False where the
    C library has no ``mallopt``)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):  # not glibc: its own allocator's defaults
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    trim = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    return bool(trim and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
