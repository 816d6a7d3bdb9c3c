"""Sharing keys: the vectorised keys equal the plain-Python reference on any input, every
allocation stays within consumption and production, and ties go to the lower member."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import sharing, sharing_reference
from matching.sharing import MAX_INTERVAL_WH, MAX_WEIGHT_TOTAL, allocate

SETTINGS = settings(max_examples=150, deadline=None)
ENERGY = st.sampled_from(
    [st.integers(0, 10), st.integers(0, 5_000), st.integers(MAX_INTERVAL_WH - 3, MAX_INTERVAL_WH)]
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[int], list[list[int]], list[int], list[int]]:
    """Production (T,), consumption (M, T), weights (M,) and a priority order."""
    members, intervals = draw(st.integers(1, 7)), draw(st.integers(1, 4))
    energy = draw(ENERGY) | draw(ENERGY)
    production = draw(st.lists(energy, min_size=intervals, max_size=intervals))
    consumption = [
        draw(st.lists(energy, min_size=intervals, max_size=intervals)) for _ in range(members)
    ]
    weight = draw(st.sampled_from([st.integers(0, 3), st.integers(0, MAX_WEIGHT_TOTAL // 7)]))
    weights = draw(st.lists(weight, min_size=members, max_size=members))
    order = draw(st.permutations(range(members)))[: draw(st.integers(0, members))]
    return production, consumption, weights, order


def run(key: str, production, consumption, weights, order) -> np.ndarray:
    return allocate(key, production, consumption, weights=weights, order=order)


def reference(key: str, production, consumption, weights, order) -> list[list[int]]:
    if key == "pro-rata":
        return sharing_reference.pro_rata(production, consumption)
    if key == "priority":
        return sharing_reference.priority(production, consumption, order)
    return getattr(sharing_reference, key)(production, consumption, weights)


@pytest.mark.parametrize("key", sharing.KEYS)
@given(case=cases())
@SETTINGS
def test_every_key_equals_the_reference(key: str, case: tuple) -> None:
    assert run(key, *case).tolist() == reference(key, *case)


@pytest.mark.parametrize("key", sharing.KEYS)
@given(case=cases())
@SETTINGS
def test_allocations_stay_within_consumption_and_the_shared_production(
    key: str, case: tuple
) -> None:
    production, consumption, weights, order = case
    a = run(key, *case)
    c = np.array(consumption, np.int64)
    assert a.dtype == np.int64 and a.shape == c.shape
    assert (a >= 0).all() and (a <= c).all()
    assert (a.sum(axis=0) <= np.array(production)).all()


@given(case=cases())
@SETTINGS
def test_pro_rata_and_iterative_place_all_that_their_members_can_use(case: tuple) -> None:
    production, consumption, weights, order = case
    p, c = np.array(production), np.array(consumption, np.int64)
    assert (run("pro-rata", *case).sum(axis=0) == np.minimum(p, c.sum(axis=0))).all()
    reach = c[np.array(weights) > 0].sum(axis=0)
    assert (run("iterative", *case).sum(axis=0) == np.minimum(p, reach)).all()
    served = c[list(order)].sum(axis=0) if order else np.zeros_like(p)
    assert (run("priority", *case).sum(axis=0) == np.minimum(p, served)).all()


@given(case=cases(), rounds=st.integers(1, 5))
@SETTINGS
def test_iterative_with_a_limit_of_rounds_equals_the_reference(case: tuple, rounds: int) -> None:
    production, consumption, weights, order = case
    out = allocate("iterative", production, consumption, weights=weights, rounds=rounds)
    assert out.tolist() == sharing_reference.iterative(production, consumption, weights, rounds)
    c = np.array(consumption, np.int64)
    assert (out >= 0).all() and (out <= c).all()
    assert (out.sum(axis=0) <= np.array(production)).all()


@given(case=cases())
@SETTINGS
def test_one_round_is_static_and_enough_rounds_are_unlimited(case: tuple) -> None:
    production, consumption, weights, order = case
    one = allocate("iterative", production, consumption, weights=weights, rounds=1)
    assert one.tolist() == run("static", *case).tolist()
    enough = allocate("iterative", production, consumption, weights=weights, rounds=8)
    assert enough.tolist() == run("iterative", *case).tolist()  # 7 members: <= 8 rounds


def test_a_second_round_hands_out_what_the_first_left_once() -> None:
    # 100 Wh by 50:30:20 to use 10, 35, 100: round one 50/30/20 leaves 40 of the first's;
    # round two hands it 30:20 -> the second 30 + 24 = 54 > 35 (capped), the third 20 + 16.
    consumption = [[10], [35], [100]]
    out = allocate("iterative", [100], consumption, weights=[50, 30, 20], rounds=2)
    assert out.tolist() == [[10], [35], [36]]
    # Unlimited, the second's 19 left over go to the third too.
    assert allocate("iterative", [100], consumption, weights=[50, 30, 20]).tolist() == [
        [10],
        [35],
        [55],
    ]


@given(case=cases())
@SETTINGS
def test_redistribution_gives_every_member_at_least_its_static_allocation(case: tuple) -> None:
    # Exact shares only grow round by round; rounding moves a member by less than 1 Wh.
    static, iterative = run("static", *case), run("iterative", *case)
    assert (iterative >= static - 1).all()
    assert (iterative.sum(axis=0) >= static.sum(axis=0)).all()


def test_a_tie_goes_to_the_member_earlier_in_the_list() -> None:
    assert allocate("static", [1], [[5], [5]], weights=[1, 1]).tolist() == [[1], [0]]
    assert allocate("pro-rata", [3], [[2], [2]]).tolist() == [[2], [1]]
    # 10 Wh by 1:1:1: 3.33 each, the one Wh left to the first
    assert allocate("iterative", [10], [[9], [9], [9]], weights=[1, 1, 1]).tolist() == [
        [4],
        [3],
        [3],
    ]


def test_iterative_hands_what_one_member_cannot_use_to_the_others() -> None:
    # 100 Wh by 50:30:20; the first uses 10, its 40 unused go 30:20 to the others.
    consumption = [[10], [100], [100]]
    assert allocate("static", [100], consumption, weights=[50, 30, 20]).tolist() == [
        [10],
        [30],
        [20],
    ]
    assert allocate("iterative", [100], consumption, weights=[50, 30, 20]).tolist() == [
        [10],
        [54],
        [36],
    ]


def test_priority_serves_in_order_and_leaves_out_unlisted_members() -> None:
    out = allocate("priority", [150, 50], [[100, 100], [100, 100], [100, 100]], order=[2, 0])
    assert out.tolist() == [[50, 0], [0, 0], [100, 50]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"production": [-1]}, r"production must be within 0..1000000000 Wh, found -1..-1"),
        ({"consumption": [[1.5]]}, "consumption must hold integers"),
        ({"consumption": [[1, 2]]}, "one column per interval"),
        ({"weights": [MAX_WEIGHT_TOTAL, 1]}, "weights must total at most 1000000"),
        ({"weights": [1]}, r"one entry per member \(2\)"),
        ({"key": "lottery"}, "key must be one of static, pro-rata, priority, iterative"),
        ({"key": "priority", "order": [0, 0]}, "each member at most once"),
        ({"key": "priority", "order": [2]}, "order must name members 0..1"),
        ({"key": "iterative", "rounds": 0}, "rounds must be an integer >= 1 or None"),
    ],
)
def test_bad_inputs_are_refused_naming_what_was_expected(kwargs: dict, message: str) -> None:
    args = {"key": "static", "production": [5], "consumption": [[1], [2]], "weights": [1, 1]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        allocate(args.pop("key"), args.pop("production"), args.pop("consumption"), **args)
