"""Self-consumption batteries (agents/devices/battery.py): limits, no sign flip, exact energy
balance."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.devices.battery import (
    PPM,
    BatterySpec,
    battery_arrays,
    self_consumption,
    state_of_charge,
)


def eta(efficiency: float) -> int:
    """The one-way efficiency [ppm], as the module documents it."""
    return round(math.sqrt(efficiency) * PPM)


def test_a_hand_computed_day() -> None:
    # Battery 0: 1,000 Wh, 300 Wh per interval, 81% round trip, so 90% each way; half full.
    #   -400: room (1000 - 500) / 0.9 = 555 -> charge 300 (power), store 270 -> 770
    #   -400: room 230 / 0.9 = 255.6 -> charge 255, store floor(229.5) = 229 -> 999
    #   +500: can deliver floor(999 * 0.9) = 899 -> 300 (power), draw ceil(333.3) = 334 -> 665
    #   +100: deliver 100, draw ceil(111.1) = 112 -> 553
    #      0: idle
    #   +800: deliver 300, draw 334 -> 219
    #   +800: can deliver floor(219 * 0.9) = 197 -> 197, draw ceil(218.9) = 219 -> 0
    #    +50: empty
    # Battery 1: 100 Wh, 1,000 Wh per interval, lossless, empty.
    net = np.array(
        [
            [-400, -400, 500, 100, 0, 800, 800, 50],
            [-150, 30, 30, 30, 30, 0, -5, 200],
        ]
    )
    capacity = np.array([1000, 100])
    soc = np.array([500, 0])
    flows, final = self_consumption(
        net, capacity, np.array([300, 1000]), np.array([0.81, 1.0]), soc
    )
    assert flows.tolist() == [
        [300, 255, -300, -100, 0, -300, -197, 0],
        [100, -30, -30, -30, -10, 0, 5, -5],
    ]
    assert final.tolist() == [0, 0]
    assert flows.dtype == np.int64 and final.dtype == np.int64
    assert soc.tolist() == [500, 0]  # the caller's array is not touched
    assert (net + flows).tolist()[0] == [-100, -145, 200, 0, 0, 500, 603, 50]
    path = state_of_charge(flows, np.array([0.81, 1.0]), soc)
    assert path.tolist() == [[770, 999, 665, 553, 553, 219, 0, 0], [100, 70, 40, 10, 0, 0, 5, 0]]


@st.composite
def fleets(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(1, 4))
    intervals = draw(st.integers(0, 40))
    net = draw(
        st.lists(
            st.lists(st.integers(-6_000, 6_000), min_size=intervals, max_size=intervals),
            min_size=n,
            max_size=n,
        )
    )
    capacity = draw(st.lists(st.integers(0, 20_000), min_size=n, max_size=n))
    soc = [draw(st.integers(0, c)) for c in capacity]
    step = draw(st.lists(st.integers(0, 5_000), min_size=n, max_size=n))
    efficiency = draw(
        st.lists(st.floats(0.25, 1.0) | st.sampled_from([1.0, 0.9, 0.81]), min_size=n, max_size=n)
    )
    return (
        np.array(net, dtype=np.int64).reshape(n, intervals),
        np.array(capacity, dtype=np.int64),
        np.array(step, dtype=np.int64),
        np.array(efficiency),
        np.array(soc, dtype=np.int64),
    )


@settings(max_examples=200, deadline=None)
@given(fleets())
def test_invariants(fleet: tuple[np.ndarray, ...]) -> None:
    net, capacity, step, efficiency, soc = fleet
    before = soc.copy()
    flows, final = self_consumption(net, capacity, step, efficiency, soc)
    assert np.array_equal(soc, before)
    path = state_of_charge(flows, efficiency, soc)  # the run's state of charge, interval by one
    assert path.shape == net.shape and (path >= 0).all() and (path <= capacity[:, None]).all()
    if net.shape[1]:
        assert np.array_equal(path[:, -1], final)
    assert flows.shape == net.shape and flows.dtype == np.int64
    after = net + flows

    # Never beyond the power, never a sign flip: a surplus stays a surplus (or zero), a
    # deficit a deficit; the battery only charges from a surplus and discharges into a deficit.
    assert np.all(np.abs(flows) <= step[:, None])
    assert np.all(np.where(net >= 0, (after >= 0) & (flows <= 0), True))
    assert np.all(np.where(net <= 0, (after <= 0) & (flows >= 0), True))

    for i in range(net.shape[0]):
        e = eta(efficiency[i])
        s = int(soc[i])
        stored = drawn = 0
        ideal = 0.0
        active = 0
        for t in range(net.shape[1]):
            flow, x = int(flows[i, t]), int(net[i, t])
            if flow > 0:
                gain = math.floor(Fraction(flow * e, PPM))  # down: never gains from rounding
                s += gain
                stored += gain
                ideal += flow * math.sqrt(efficiency[i])
                active += 1
                # Charging stops short of the surplus and the power only when full (to 1 Wh).
                if flow < min(-x, step[i]):
                    assert s >= capacity[i] - 1
            elif flow < 0:
                loss = math.ceil(Fraction(-flow * PPM, e))  # up: never drawn short
                s -= loss
                drawn += loss
                ideal += flow / math.sqrt(efficiency[i])
                active += 1
                if -flow < min(x, step[i]):
                    assert s <= math.ceil(PPM / e)  # empty up to the last drawable Wh
            elif x != 0 and step[i] > 0:
                # Idle with work to do: full (surplus), or too empty to deliver 1 Wh (deficit).
                assert (x < 0 and s == capacity[i]) or (x > 0 and s * e < PPM)
            assert 0 <= s <= capacity[i]
        assert s == final[i]
        # Energy balance: exactly charges x eta_in (down) - discharges / eta_out (up); against
        # the real-valued balance, rounding costs under 1 Wh per active interval, plus the
        # 1 ppm quantisation of the efficiency.
        assert final[i] - soc[i] == stored - drawn
        slack = 1e-6 * np.abs(flows[i]).sum() / efficiency[i] + 1e-9
        assert ideal - active - slack <= final[i] - soc[i] <= ideal + slack


def test_a_lossless_battery_conserves_energy_exactly() -> None:
    rng = np.random.default_rng(3)
    net = rng.integers(-3_000, 3_000, (50, 96))
    capacity = rng.integers(1, 15_000, 50)
    soc = capacity // 2
    flows, final = self_consumption(net, capacity, np.full(50, 2_500), np.ones(50), soc)
    assert np.array_equal(final - soc, flows.sum(axis=1))
    # And it shaves imports and exports: less energy crosses each meter, never more.
    assert np.all(np.abs(net + flows).sum(axis=1) <= np.abs(net).sum(axis=1))


def test_zero_capacity_or_zero_power_does_nothing() -> None:
    net = np.array([[-500, 500, -1, 1]] * 2)
    flows, final = self_consumption(
        net, np.array([0, 1_000]), np.array([100, 0]), np.array([0.9, 0.9]), np.array([0, 500])
    )
    assert not flows.any()
    assert final.tolist() == [0, 500]


def test_spec_helpers_build_the_columns() -> None:
    specs = [BatterySpec(10_000, 5_000), BatterySpec(13_500, 4_600, 0.95, 0.2)]
    assert specs[0].max_wh(900) == 1_250
    assert specs[1].max_wh(3600) == 4_600
    assert specs[0].initial_soc_wh == 5_000
    assert specs[1].initial_soc_wh == 2_700
    capacity, step, efficiency, soc = battery_arrays(specs, 900)
    assert capacity.tolist() == [10_000, 13_500]
    assert step.tolist() == [1_250, 1_150]
    assert efficiency.tolist() == [0.9, 0.95]
    assert soc.tolist() == [5_000, 2_700]
    assert capacity.dtype == step.dtype == soc.dtype == np.int64


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("capacity_wh", {"capacity_wh": 0, "power_w": 1}),
        ("capacity_wh", {"capacity_wh": -5, "power_w": 1}),
        ("capacity_wh", {"capacity_wh": 10.5, "power_w": 1}),
        ("capacity_wh", {"capacity_wh": math.nan, "power_w": 1}),
        ("power_w", {"capacity_wh": 1, "power_w": 0}),
        ("power_w", {"capacity_wh": 1, "power_w": True}),
        ("efficiency", {"capacity_wh": 1, "power_w": 1, "efficiency": 0.0}),
        ("efficiency", {"capacity_wh": 1, "power_w": 1, "efficiency": 1.01}),
        ("efficiency", {"capacity_wh": 1, "power_w": 1, "efficiency": math.nan}),
        ("initial_soc", {"capacity_wh": 1, "power_w": 1, "initial_soc": -0.1}),
        ("initial_soc", {"capacity_wh": 1, "power_w": 1, "initial_soc": math.nan}),
    ],
)
def test_invalid_specs_are_refused_naming_the_field(field: str, kwargs: dict) -> None:
    with pytest.raises(ValueError, match=field):
        BatterySpec(**kwargs)


def test_invalid_arrays_are_refused() -> None:
    net = np.zeros((2, 3), dtype=np.int64)
    ok = (np.array([10, 10]), np.array([5, 5]), np.array([0.9, 0.9]), np.array([5, 5]))

    def run(index: int, value: np.ndarray, net: np.ndarray = net) -> None:
        args = list(ok)
        args[index] = value
        self_consumption(net, *args)

    with pytest.raises(ValueError, match="net_wh"):
        self_consumption(net.astype(float), *ok)
    with pytest.raises(ValueError, match="net_wh"):
        self_consumption(net[0], *ok)
    with pytest.raises(ValueError, match="capacity_wh"):
        run(0, np.array([10, -1]))
    with pytest.raises(ValueError, match="capacity_wh"):
        run(0, np.array([10]))
    with pytest.raises(ValueError, match="max_wh"):
        run(1, np.array([5, -5]))
    with pytest.raises(ValueError, match="efficiency"):
        run(2, np.array([0.9, 0.0]))
    with pytest.raises(ValueError, match="efficiency"):
        run(2, np.array([0.9, math.nan]))
    with pytest.raises(ValueError, match="efficiency"):
        run(2, np.array([0.9, 1.5]))
    with pytest.raises(ValueError, match="soc_wh"):
        run(3, np.array([5, 11]))
    with pytest.raises(ValueError, match="soc_wh"):
        run(3, np.array([5.0, 5.0]))
