"""Home batteries behind the meter, run for self-consumption, in exact integer Wh.

A battery sits between the member's devices and its meter. In each interval it charges from
the surplus the meter would export and discharges into the deficit it would import, as far
as its power, its capacity and its state of charge allow, and never further: a surplus is
never turned into an import nor a deficit into an export. No forecast, no grid charging.

Losses: the round-trip efficiency ``eta`` is split evenly, ``sqrt(eta)`` on the way in and
on the way out, each held as an integer in parts per million (so quantised to 1e-6). A
charge of ``c`` Wh at the meter stores ``floor(c * eta_in)``; a discharge of ``d`` Wh at
the meter takes ``ceil(d / eta_out)`` from the store. Both round against the battery, so it
never creates energy and loses less than 1 Wh per active interval to rounding, and the
state of charge is an exact integer always within ``[0, capacity]``.

Sign convention at the meter [Wh]: ``net_wh`` > 0 import, < 0 export; ``battery_wh`` > 0
charging (drawn from the meter side), < 0 discharging; the net after the battery is
``net_wh + battery_wh``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from matching.units import energy_wh

PPM = 1_000_000  # efficiencies as integers [1e-6]
MAX_CAPACITY_WH = 10**12  # keeps capacity * PPM inside int64
MIN_EFFICIENCY = 1e-12  # sqrt of it is 1 ppm, the smallest efficiency that moves energy


@dataclass(frozen=True)
class BatterySpec:
    """One battery: usable capacity [Wh], inverter power [W], round-trip efficiency [1],
    initial state of charge as a fraction of the capacity [1]."""

    capacity_wh: int
    power_w: int
    efficiency: float = 0.9
    initial_soc: float = 0.5

    def __post_init__(self) -> None:
        for name in ("capacity_wh", "power_w"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
                raise ValueError(f"{name} must be an integer > 0, was {value!r}")
        if not MIN_EFFICIENCY <= self.efficiency <= 1.0:
            raise ValueError(f"efficiency must be in (0, 1], was {self.efficiency}")
        if self.capacity_wh > MAX_CAPACITY_WH:
            raise ValueError(f"capacity_wh must be <= {MAX_CAPACITY_WH}, was {self.capacity_wh}")
        if not 0.0 <= self.initial_soc <= 1.0:
            raise ValueError(f"initial_soc must be in [0, 1], was {self.initial_soc}")

    def max_wh(self, length_s: int) -> int:
        """Return the most energy [Wh] the inverter moves in an interval of ``length_s`` [s]."""
        return energy_wh(self.power_w, length_s)

    @property
    def initial_soc_wh(self) -> int:
        """The initial state of charge [Wh]."""
        return round(self.initial_soc * self.capacity_wh)


def battery_arrays(
    specs: Sequence[BatterySpec], length_s: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(capacity_wh, max_wh, efficiency, soc_wh)`` for :func:`self_consumption`."""
    return (
        np.array([s.capacity_wh for s in specs], dtype=np.int64),
        np.array([s.max_wh(length_s) for s in specs], dtype=np.int64),
        np.array([s.efficiency for s in specs], dtype=np.float64),
        np.array([s.initial_soc_wh for s in specs], dtype=np.int64),
    )


def self_consumption(
    net_wh: np.ndarray,
    capacity_wh: np.ndarray,
    max_wh: np.ndarray,
    efficiency: np.ndarray,
    soc_wh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``n`` batteries over ``T`` intervals; return ``(battery_wh, final soc_wh)``.

    ``net_wh``: (n, T) integers, each meter's net before its battery [Wh]; ``capacity_wh``,
    ``max_wh`` (the most energy per interval at the meter, power times the interval) and
    ``soc_wh`` (the initial state of charge, in ``[0, capacity]``): (n,) integers >= 0 [Wh],
    capacities at most 1e12 Wh; ``efficiency``: (n,) round-trip efficiencies in (0, 1].
    Returns ``battery_wh`` (n, T) int64 (see the module for signs) and the final state of
    charge (n,) int64 [Wh]; ``soc_wh`` itself is not modified.
    """
    net = _integers("net_wh", net_wh, 2)
    n = net.shape[0]
    capacity = _integers("capacity_wh", capacity_wh, 1, n)
    step = _integers("max_wh", max_wh, 1, n)
    soc = _integers("soc_wh", soc_wh, 1, n).copy()
    eff = np.asarray(efficiency, dtype=np.float64)
    if eff.shape != (n,):
        raise ValueError(f"efficiency must have shape ({n},), was {eff.shape}")
    if not np.all((eff >= MIN_EFFICIENCY) & (eff <= 1.0)):
        raise ValueError(f"efficiency must be in [{MIN_EFFICIENCY}, 1]")
    if np.any(capacity < 0) or np.any(capacity > MAX_CAPACITY_WH) or np.any(step < 0):
        raise ValueError(f"need 0 <= capacity_wh <= {MAX_CAPACITY_WH} and max_wh >= 0")
    if np.any(soc < 0) or np.any(soc > capacity):
        raise ValueError("soc_wh must be in [0, capacity_wh]")
    eta = np.rint(np.sqrt(eff) * PPM).astype(np.int64)
    flows = _run(net, capacity, step, eta, soc)
    return flows, soc


def state_of_charge(flows_wh: np.ndarray, efficiency: np.ndarray, soc_wh: np.ndarray) -> np.ndarray:
    """Return each battery's state of charge [Wh] at the end of each interval, (n, T) int64,
    from the ``battery_wh`` flows :func:`self_consumption` returned for the same
    ``efficiency`` and initial ``soc_wh`` (the same integer rounding as the run)."""
    flows = _integers("flows_wh", flows_wh, 2)
    soc = _integers("soc_wh", soc_wh, 1, flows.shape[0])
    eta = np.rint(np.sqrt(np.asarray(efficiency, dtype=np.float64)) * PPM).astype(np.int64)
    e = eta[:, None]
    stored = np.where(flows > 0, flows * e // PPM, 0)
    drawn = np.where(flows < 0, (-flows * PPM + e - 1) // e, 0)
    return soc[:, None] + np.cumsum(stored - drawn, axis=1)


def _integers(name: str, values: np.ndarray, ndim: int, n: int | None = None) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != ndim or (array.size and array.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be a {ndim}-D integer array, was {array.dtype}")
    if n is not None and array.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), was {array.shape}")
    return np.ascontiguousarray(array, dtype=np.int64)


@njit(cache=True)
def _run(
    net: np.ndarray, capacity: np.ndarray, step: np.ndarray, eta: np.ndarray, soc: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    n, intervals = net.shape
    flows = np.zeros((n, intervals), dtype=np.int64)
    for i in range(n):
        e = eta[i]
        s = soc[i]
        for t in range(intervals):
            x = net[i, t]
            if x < 0:
                # Largest c with floor(c * e / PPM) <= room: a full battery takes nothing.
                room = (capacity[i] - s) * PPM // e
                c = min(-x, step[i], room)
                s += c * e // PPM
                flows[i, t] = c
            elif x > 0:
                # Largest d with ceil(d * PPM / e) <= s: never draws below empty.
                d = min(x, step[i], s * e // PPM)
                s -= (d * PPM + e - 1) // e
                flows[i, t] = -d
        soc[i] = s
    return flows
