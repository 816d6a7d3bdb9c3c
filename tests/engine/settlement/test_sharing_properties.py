"""Settlement with a sharing key (hypothesis): energy and money of shared energy conserve,
no member gets more than it lacks or gives more than it has, replay gives the same lines,
and every cell equals a plain-Python settlement over the keys' reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config.sharing import ALLOCATIONS, KEYS
from engine.settlement.settle import PeriodTrades, settle
from engine.settlement.sharing import SharingPlan, spread
from matching import sharing_reference

SETTINGS = settings(max_examples=200, deadline=None)
CAP, FLOOR = 90_000, 25_000


@st.composite
def cases(draw: st.DrawFn) -> dict:
    members, intervals = draw(st.integers(1, 6)), draw(st.integers(1, 3))
    wh = st.integers(0, 5_000)
    imp = [[draw(wh) for _ in range(intervals)] for _ in range(members)]
    exp = [[draw(wh) for _ in range(intervals)] for _ in range(members)]
    metered = [[draw(st.booleans()) or draw(st.booleans()) for _ in range(intervals)]
               for _ in range(members)]  # fmt: skip
    trades = []
    if members > 1:
        for _ in range(draw(st.integers(0, 6))):
            buyer, seller = draw(st.permutations(range(members)))[:2]
            price = draw(st.integers(FLOOR, CAP))
            trades.append((draw(st.integers(0, intervals - 1)), buyer, seller,
                           draw(st.integers(1, 3_000)), price, price))  # fmt: skip
    key = draw(st.sampled_from(KEYS))
    plan = SharingPlan(
        allocation=draw(st.sampled_from(ALLOCATIONS[1:])),
        key=key,
        weights=np.array(
            draw(st.lists(st.integers(0, 200_000), min_size=members, max_size=members)), np.int64
        ),  # fmt: skip
        order=np.array(
            draw(st.permutations(range(members)))[: draw(st.integers(0, members))], np.int64
        ),  # fmt: skip
        rounds=draw(st.none() | st.integers(1, 3)) if key == "iterative" else None,
        price_ticks=draw(st.sampled_from([0, 30_000, 12_345])),
    )
    return {"imp": imp, "exp": exp, "metered": metered, "trades": trades, "plan": plan}


def run(case: dict):
    return settle(*_args(case), case["plan"])


def basis(case: dict, s) -> np.ndarray:
    """X: what the key shares, from the settlement's own trade columns."""
    net = np.where(case["metered"], np.subtract(case["exp"], case["imp"]), 0)
    if case["plan"].allocation == "market_then_key":
        return net - (s.sold_wh - s.bought_wh)
    return net


@given(case=cases())
@SETTINGS
def test_shared_energy_conserves_and_stays_within_what_members_have_and_lack(case) -> None:
    s = run(case)
    x = basis(case, s)
    assert (s.shared_in_wh.sum(axis=0) == s.shared_out_wh.sum(axis=0)).all()
    assert (s.shared_in_wh.sum(axis=0) <= np.maximum(x, 0).sum(axis=0)).all()
    assert (s.shared_in_wh >= 0).all() and (s.shared_in_wh <= np.maximum(-x, 0)).all()
    assert (s.shared_out_wh >= 0).all() and (s.shared_out_wh <= np.maximum(x, 0)).all()
    pending = ~np.array(case["metered"])
    assert not s.shared_in_wh[pending].any() and not s.shared_out_wh[pending].any()


@given(case=cases())
@SETTINGS
def test_the_money_of_shared_energy_sums_to_zero_at_the_internal_price(case) -> None:
    s = run(case)
    price = case["plan"].price_ticks
    assert (s.shared_in_value == s.shared_in_wh * price).all()
    assert (s.shared_in_value.sum(axis=0) == s.shared_out_value.sum(axis=0)).all()
    # in a complete interval what members pay each other for trades and shared energy
    # cancels out: the rest is the grid, the fee and nothing else
    inside = s.bought_value - s.sold_value + s.shared_in_value - s.shared_out_value
    assert (inside.sum(axis=0)[s.complete] == 0).all()


@given(case=cases())
@SETTINGS
def test_a_replay_gives_the_same_lines(case) -> None:
    first, second = run(case), run(case)
    for name in ("shared_in_wh", "shared_out_wh", "cost_value", "shortfall_wh", "surplus_wh"):
        assert getattr(first, name).tobytes() == getattr(second, name).tobytes()


@given(case=cases())
@SETTINGS
def test_every_cell_equals_a_plain_python_settlement_over_the_reference_keys(case) -> None:
    s = run(case)
    plan = case["plan"]
    members, intervals = len(case["imp"]), len(case["imp"][0])
    traded = [[0] * intervals for _ in range(members)]  # sold - bought, metered cells only
    for t, buyer, seller, q, *_ in case["trades"]:
        if plan.allocation != "key":
            traded[seller][t] += q if case["metered"][seller][t] else 0
            traded[buyer][t] -= q if case["metered"][buyer][t] else 0
    for t in range(intervals):
        net = [case["exp"][m][t] - case["imp"][m][t] if case["metered"][m][t] else 0
               for m in range(members)]  # fmt: skip
        x = [n - traded[m][t] if plan.allocation == "market_then_key" else n
             for m, n in enumerate(net)]  # fmt: skip
        production = [sum(max(v, 0) for v in x)]
        need = [[max(-v, 0)] for v in x]
        given_in = reference_key(plan, production, need)
        shared_in = [row[0] for row in given_in]
        out = sharing_reference.pro_rata([sum(shared_in)], [[max(v, 0)] for v in x])
        shared_out = [row[0] for row in out]
        for m in range(members):
            d = net[m] - traded[m][t] + shared_in[m] - shared_out[m]
            assert int(s.shared_in_wh[m, t]) == shared_in[m]
            assert int(s.shared_out_wh[m, t]) == shared_out[m]
            assert int(s.shortfall_wh[m, t]) == max(-d, 0)
            assert int(s.surplus_wh[m, t]) == max(d, 0)


@given(case=cases())
@SETTINGS
def test_without_a_key_nothing_is_shared_and_the_market_settles_as_before(case) -> None:
    plain = settle(*_args(case))
    assert not plain.shared_in_wh.any() and not plain.shared_out_value.any()
    if case["plan"].allocation == "key_then_market":  # a key changes only what it shares
        s = run(case)
        moved = s.shared_in_wh - s.shared_out_wh
        assert ((plain.surplus_wh - plain.shortfall_wh) + moved
                == s.surplus_wh - s.shortfall_wh).all()  # fmt: skip


def reference_key(plan: SharingPlan, production: list[int], need: list[list[int]]) -> list:
    w, order = plan.weights.tolist(), plan.order.tolist()
    if plan.key == "static":
        return sharing_reference.static(production, need, w)
    if plan.key == "pro-rata":
        return sharing_reference.pro_rata(production, need)
    if plan.key == "priority":
        return sharing_reference.priority(production, need, order)
    return sharing_reference.iterative(production, need, w, plan.rounds)


def _args(case: dict) -> tuple:
    rows = case["trades"]
    trades = (
        PeriodTrades(*(np.array(c, np.int64) for c in zip(*rows, strict=True)))
        if rows
        else PeriodTrades.empty()
    )
    t = len(case["imp"][0])
    return (
        trades,
        np.array(case["imp"], np.int64),
        np.array(case["exp"], np.int64),
        np.full(t, FLOOR, np.int64),
        np.full(t, CAP, np.int64),
        100,
        np.array(case["metered"], bool),
    )


@given(
    owner=st.lists(st.integers(0, 3), min_size=1, max_size=8),
    data=st.data(),
)
@SETTINGS
def test_a_members_share_is_spread_over_its_points_in_point_order(owner, data) -> None:
    points = len(owner)
    need = np.array([[data.draw(st.integers(0, 50))] for _ in range(points)], np.int64)
    total = np.zeros((4, 1), np.int64)
    np.add.at(total, owner, need)
    amount = np.array([[data.draw(st.integers(0, int(v)))] for v in total[:, 0]], np.int64)
    out = spread(np.array(owner, np.int64), need, amount)
    got = np.zeros((4, 1), np.int64)
    np.add.at(got, owner, out)
    assert (got == amount).all() and (out >= 0).all() and (out <= need).all()
    for member in set(owner):  # a later point takes only once every earlier one is full
        rows = [p for p in range(points) if owner[p] == member]
        after_short = False
        for p in rows:
            if after_short:
                assert out[p, 0] == 0
            if out[p, 0] < need[p, 0]:
                after_short = True
