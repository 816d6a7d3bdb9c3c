"""The baseline of the clearing benchmark: numpy's sort of the same prices, which kind.

The issue's target compares clearing with ``np.sort`` of the 2n prices of a book. What that
costs depends on the kind and on the SIMD extensions numpy dispatches to on the machine
(numpy 2.x sorts int64 with a vectorised quicksort on AVX-512 and AVX2; ``kind="stable"``
is a merge sort without it), so the benchmark times every kind and names the extensions.
"""

from __future__ import annotations

import numpy as np

KINDS = ("quicksort", "stable", "heapsort")  # "quicksort" is np.sort's default


def simd_summary() -> str:
    """One line: numpy's version, its compiled baseline and the dispatch targets this CPU
    runs (``numpy._core._multiarray_umath``; the sort kernels dispatch on them)."""
    from numpy._core import _multiarray_umath as umath

    features = umath.__cpu_features__
    running = [t for t in umath.__cpu_dispatch__ if features.get(t)]
    return (
        f"numpy {np.__version__}; baseline {' '.join(umath.__cpu_baseline__) or '-'}; "
        f"dispatch targets on this CPU: {' '.join(running) or 'none'}"
    )
