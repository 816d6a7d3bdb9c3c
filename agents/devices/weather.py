"""Cloudiness: a seeded clear-sky index process shared by every site of one cluster.

The clear-sky index ``k`` [1] is the ratio of the real global horizontal irradiance to the
clear-sky one; :func:`agents.devices.pv.pv_energy_wh` multiplies a clear-sky model by it. One value
per interval, in ``[0.05, 1.0]``, the mean over the interval.

The process has two layers:

- a daily regime, clear / mixed / overcast, from a Markov chain over UTC calendar days
  (:data:`TRANSITIONS`; spells last 2.5 clear, 2.0 mixed and 2.2 overcast days on average);
- within the day, ``k = mean + sd * z`` clipped to ``[0.05, 1.0]``, with ``z`` a stationary
  Gaussian AR(1) on a 5-minute grid, restarted each day, whose spread and speed depend on
  the regime: small and slow when clear or overcast, large and fast (broken clouds) when
  mixed (:data:`REGIMES`).

The regimes' long-run shares are 0.32 clear, 0.39 mixed, 0.29 overcast, for a mean index of
about 0.66. At Żywiec (49.7 N, 350 m) pvlib's Ineichen clear sky gives 1,517 kWh/m2 of
global horizontal irradiation a year, so the process gives about 1,000 kWh/m2 (1,007 +- 43
over 8 seeds), the order of southern Poland's 1,000-1,100 kWh/m2. The parameters do not
depend on the month (Polish winters are cloudier than that, summers clearer): a plausible
cloud texture for market simulations, not a climatology.

Reproducibility: every UTC day draws its randomness from its own generator keyed by
``(seed, day)``, and the regime chain is read by coupling from the past (Propp and Wilson
1996): chains started far enough back from every regime have merged before the first day
asked for. So a given instant gets the same index whatever window of ``starts`` it is asked
in (days regenerated one at a time match a month generated at once), the same seed gives the
same output and different seeds give different ones. Days change at 00:00 UTC, which is
night in Poland.

Reference: Propp, J. G. and Wilson, D. B. (1996). Exact sampling with coupled Markov chains.
Random Structures and Algorithms 9(1-2), 223-252.
"""

from __future__ import annotations

import numpy as np

K_MIN = 0.05  # heavy overcast still lets some light through
K_MAX = 1.0
DAY_S = 86_400
STEP_S = 300  # the grid the within-day process lives on [s]
_STEPS_PER_DAY = DAY_S // STEP_S
_TAG = 0x57EA7E  # keeps these streams apart from other modules' streams of the same seed

CLEAR, MIXED, OVERCAST = 0, 1, 2
# Row: today's regime, column: tomorrow's. Each row's cumulative sum falls with the row
# (a cloudier day never makes a clearer tomorrow likelier), so the chain is monotone in the
# regime order and coupling from the past only has to follow its two extreme chains.
TRANSITIONS = np.array(
    [
        [0.60, 0.30, 0.10],
        [0.25, 0.50, 0.25],
        [0.10, 0.35, 0.55],
    ]
)
_CUMULATIVE = np.cumsum(TRANSITIONS, axis=1)
# Per regime: mean index [1], standard deviation [1], correlation time of the AR(1) [s].
REGIMES = np.array(
    [
        [0.95, 0.04, 7200.0],
        [0.68, 0.22, 1800.0],
        [0.32, 0.10, 5400.0],
    ]
)


def clear_sky_index(starts: np.ndarray, length_s: int, seed: int) -> np.ndarray:
    """Return the mean clear-sky index [1] over each interval, float64 in [0.05, 1.0].

    ``starts``: interval starts [s since the epoch, UTC], 1-D integers; ``length_s``: the
    interval length [s], > 0; ``seed``: an integer >= 0. Intervals need not be contiguous
    or sorted.
    """
    starts = _check_starts(starts)
    if length_s <= 0:
        raise ValueError(f"length_s must be > 0, was {length_s}")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, was {seed!r}")
    if starts.size == 0:
        return np.empty(0)
    # Steps on the 5-minute grid that each interval touches: [first, last].
    first = starts // STEP_S
    last = np.maximum(first, (starts + length_s - 1) // STEP_S)
    day0 = int(first.min() // _STEPS_PER_DAY)
    day1 = int(last.max() // _STEPS_PER_DAY)
    k = _grid(int(seed), day0, day1)
    first -= day0 * _STEPS_PER_DAY
    count = last - starts // STEP_S + 1
    # Mean over the touched steps, summed in the same order whatever the window (a running
    # sum over the window would make the last bits depend on where the window starts).
    out = np.empty(starts.size)
    for m in np.unique(count):
        rows = count == m
        out[rows] = k[first[rows, None] + np.arange(m)].mean(axis=1)
    return np.clip(out, K_MIN, K_MAX)  # a mean of clipped values may round 1 ulp outside


def _check_starts(starts: np.ndarray) -> np.ndarray:
    starts = np.asarray(starts)
    if starts.ndim != 1 or (starts.size and starts.dtype.kind not in "iu"):
        raise ValueError(f"starts must be a 1-D integer array, was {starts.dtype} {starts.shape}")
    return starts.astype(np.int64, copy=False)


def _day_rng(seed: int, day: int) -> np.random.Generator:
    # SeedSequence wants non-negative entropy: fold days before 1970 into unsigned 64 bits.
    return np.random.default_rng([_TAG, seed, day & 0xFFFF_FFFF_FFFF_FFFF])


def _next(regime: int, u: float) -> int:
    # Inverse-CDF step; the last column (1.0 up to rounding) is left out so u < 1 maps to 0..2.
    return int(np.searchsorted(_CUMULATIVE[regime, :-1], u, side="right"))


def _regimes(seed: int, day0: int, day1: int) -> np.ndarray:
    """Return the regime of each day ``day0..day1`` by coupling from the past."""
    back = 8
    while True:
        # Chains from the clearest and the cloudiest regime, ``back`` days before day0, driven
        # by the same uniforms (day d's uniform moves the chain from day d - 1 into day d).
        # Monotone: every other chain lies between them, so once they meet all have met.
        low, high = CLEAR, OVERCAST
        for d in range(day0 - back, day0):
            u = _day_rng(seed, d).random()
            low, high = _next(low, u), _next(high, u)
        if low == high:
            break
        back *= 2
    path = np.empty(day1 - day0 + 1, dtype=np.int64)
    regime = low
    for j in range(path.size):
        regime = _next(regime, _day_rng(seed, day0 + j).random())
        path[j] = regime
    return path


def _grid(seed: int, day0: int, day1: int) -> np.ndarray:
    """Return the index on the 5-minute grid of days ``day0..day1``, flattened."""
    regimes = _regimes(seed, day0, day1)
    eps = np.empty((regimes.size, _STEPS_PER_DAY))
    for j in range(regimes.size):
        rng = _day_rng(seed, day0 + j)
        rng.random()  # the regime's uniform, used in _regimes
        eps[j] = rng.standard_normal(_STEPS_PER_DAY)
    mean, sd, tau = REGIMES[regimes].T
    phi = np.exp(-STEP_S / tau)
    eps[:, 1:] *= np.sqrt(1.0 - phi * phi)[:, None]  # keeps z stationary N(0, 1)
    # Each day starts afresh from its stationary law, so no day depends on the one before.
    z = eps
    for i in range(1, _STEPS_PER_DAY):
        z[:, i] += phi * z[:, i - 1]
    return np.clip(mean[:, None] + sd[:, None] * z, K_MIN, K_MAX).ravel()
