"""Sharing keys: 100,000 members x 96 intervals, each key next to ``np.sum`` of the same
consumption matrix measured in the same run.

Each key's ratio to ``np.sum`` goes into ``extra_info`` (``vs_np.sum``) and is printed.
Run with ``pytest benchmarks/test_bench_sharing.py -s --benchmark-json=sharing.json``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from matching.sharing import KEYS, allocate

SEED = 20261201  # recorded so every run times the same data
MEMBERS, INTERVALS = 100_000, 96
ROUNDS = 5
medians: dict[str, float] = {}  # [s] of the baseline, filled as it runs


@functools.cache
def period() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The seeded inputs: consumption uniform in 0..2000 Wh per member and interval (up to
    8 kW for 15 minutes), production 10..90 % of the interval's total consumption, weights
    1..18 ppm (total about 950,000) and a random priority order."""
    rng = np.random.default_rng(SEED)
    consumption = rng.integers(0, 2000, (MEMBERS, INTERVALS), endpoint=True, dtype=np.int64)
    share = rng.integers(10, 90, INTERVALS, endpoint=True)
    production = consumption.sum(axis=0) * share // 100
    weights = rng.integers(1, 18, MEMBERS, endpoint=True, dtype=np.int64)
    return production, consumption, weights, rng.permutation(MEMBERS)


@pytest.mark.parametrize("case", ("np.sum", *KEYS))
def test_sharing(benchmark, case: str) -> None:
    production, consumption, weights, order = period()
    benchmark.group = f"sharing keys, {MEMBERS:,} members x {INTERVALS} intervals"
    benchmark.extra_info.update(size=MEMBERS * INTERVALS, case=case)
    if case == "np.sum":
        run = functools.partial(np.sum, consumption)
    else:
        run = functools.partial(
            allocate, case, production, consumption, weights=weights, order=order
        )
    result = benchmark.pedantic(run, rounds=ROUNDS, warmup_rounds=1)
    median = benchmark.stats.stats.median
    if case == "np.sum":
        medians[case] = median
        return
    ratio = median / medians["np.sum"]
    benchmark.extra_info["vs_np.sum"] = ratio
    print(
        f"\n{case}: {median * 1e3:.1f} ms, {ratio:.1f} x np.sum ({medians['np.sum'] * 1e3:.2f} ms)"
    )
    assert (result.sum(axis=0) <= production).all() and (result <= consumption).all()
