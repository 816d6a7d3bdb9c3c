"""Freed heap memory stays in the process, so a clearing's arrays reuse faulted pages."""

from __future__ import annotations

import resource
import sys

import numpy as np
import pytest

from matching import clearing, heap, make_book

glibc_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)"
)


@glibc_only
def test_importing_the_clearing_sets_the_heap_thresholds_once() -> None:
    assert clearing.heap.keep_freed_memory() is True
    assert heap.keep_freed_memory.cache_info().misses == 1  # set once, then remembered


@glibc_only
def test_a_clearing_of_a_mid_sized_book_faults_no_pages_the_second_time() -> None:
    rng = np.random.default_rng(15)
    n = 100_000  # its arrays (800 KB each) are what glibc returned to the kernel before
    book = make_book(
        rng.integers(10_000, 100_000, n),
        rng.integers(1, 2_000, n),
        rng.integers(0, 90_000, n),
        rng.integers(1, 2_000, n),
    )
    for _ in range(2):  # the first may grow the heap
        clearing.clear(book, "pay-as-bid", trades=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        clearing.clear(book, "pay-as-bid", trades=True)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 100, f"expected the pages of the last clearing reused, {faults} faults"
