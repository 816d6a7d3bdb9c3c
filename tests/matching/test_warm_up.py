"""``warm_up`` compiles every kernel a clearing can call, so that the first real gate closure
pays no compile time (numba compiles a kernel anew for each new combination of argument
types and array layouts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

from matching import Book, clearing, kernels, make_book, merge, pairing
from matching.mechanisms import MECHANISMS, RATIONING

ROOT = Path(__file__).resolve().parents[2]


def random_book(n: int, ticks: int, members: int | None = None) -> Book:
    """``n`` orders a side over ``ticks`` price levels (dense, or ranked when few orders
    spread over many ticks), every order its own member, or ``members`` members on both
    sides (then self-trade prevention runs)."""
    rng = np.random.default_rng(n)
    shared = {}
    if members is not None:
        shared = {f"{side}_member": rng.integers(0, members, n) for side in ("bid", "ask")}
    return make_book(
        rng.integers(ticks // 10, ticks, n),
        rng.integers(1, 2_000, n),
        rng.integers(0, ticks * 9 // 10, n),
        rng.integers(1, 2_000, n),
        **shared,
    )


def compiled() -> dict[str, int]:
    """Each kernel's count of compiled signatures."""
    return {
        f"{module.__name__}.{name}": len(kernel.signatures)
        for module in (clearing, kernels, merge, pairing)
        for name, kernel in vars(module).items()
        if isinstance(kernel, CPUDispatcher)
    }


def clear_after_warm_up(large: bool) -> None:
    """In a fresh process: warm up, clear books of every shape, and fail if that compiled
    anything."""
    clearing.warm_up()
    before = compiled()
    if large:  # every book takes the paths of the largest
        clearing.PARALLEL_MIN_ORDERS = clearing.SPLIT_PASS_MIN_ORDERS = 0
        clearing.AT_ONCE_MAX_ORDERS = 0
    books = (
        random_book(300, 1_000),
        random_book(300, 10**6),
        random_book(3_000, 10**5),
        random_book(3_000, 10**5, members=5),  # a member may trade with itself
        random_book(300, 10**6, members=5),
    )
    for book in books:
        for mechanism in MECHANISMS:
            for rationing in RATIONING:
                for trades in (False, True):
                    clearing.clear(book, mechanism, rationing=rationing, trades=trades)
    after = compiled()
    assert after == before, {name: after[name] for name in after if after[name] != before[name]}


@pytest.mark.parametrize("large", [False, True])
def test_after_warm_up_no_clearing_compiles_a_kernel(large: bool) -> None:
    """Run in a process of its own: the tests before this one compiled kernels too."""
    code = (
        f"from tests.matching.test_warm_up import clear_after_warm_up; clear_after_warm_up({large})"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
