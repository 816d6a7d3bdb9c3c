"""Settlement: what each member owes or earns per interval, from trades and meter readings.

Pure columnar arithmetic over int64 numpy arrays: no I/O, no clocks, no engine state. The
caller (the market) gathers one period's trades and the metered import and export of every
member (already summed over the member's connection points) and calls :func:`settle`.

Per member m and interval t (``engine/DESIGN.md``, "Settlement"), energy in [Wh], prices in
[tick], values in [Wh*tick]:

- trades: ``bought_wh``, ``bought_value`` (at buyer prices), ``sold_wh``, ``sold_value`` (at
  seller prices); traded net export ``T = sold_wh - bought_wh``;
- meters: metered net export ``N = export_wh - import_wh``; imbalance ``D = N - T``:
  ``shortfall_wh = max(-D, 0)`` bought from the supplier at ``cap``, ``surplus_wh =
  max(D, 0)`` sold to the grid at ``floor``;
- energy shared by a key (:mod:`engine.settlement.sharing`, only with a ``sharing`` plan):
  ``shared_in_wh`` and ``shared_out_wh``, valued at the internal price (``*_value``); the
  imbalance becomes ``D = N - T + shared_in_wh - shared_out_wh`` (``T = 0`` and no trade
  settled under the ``key`` allocation);
- ``fee_value = bought_wh * fee_ticks`` (the network fee, paid by the buyer only; shared
  energy pays none);
- ``cost_value = bought_value + fee_value - sold_value + shared_in_value - shared_out_value
  + shortfall_value - surplus_value`` (positive: the member pays);
- ``baseline_value = max(-N, 0) * cap - max(N, 0) * floor`` (the same meters, no market);
  ``savings_value = baseline_value - cost_value``.

Missing readings: a cell (m, t) whose ``metered`` flag is False is *pending*, not settled:
every column holds 0 there (the trades of that cell included), the meter values given for it
are ignored, and ``Settlement.metered`` says which cells these are. Cells are independent (a
member's lines depend only on its own trades and meters), so the metered cells of an
interval are final even while others are pending (not under a sharing key, which shares
across members: there an interval's lines are final once it is complete); the interval as a
whole is settled only when ``Settlement.complete[t]``. A late reading is settled by calling
:func:`settle` again and recording :func:`adjustment` (new - old), never by overwriting.

Bounds (why int64 never overflows): with ``W = MAX_CELL_WH`` bounding import, export,
bought and sold Wh of one cell and ``P = MAX_ABS_PRICE_TICKS`` bounding every price, floor,
cap and the fee, ``|bought_value|, |sold_value|, fee_value <= W*P``, ``|D| <= 2W`` so the
shortfall or surplus value ``<= 2W*P``, ``|cost| <= 5W*P``, ``|baseline| <= W*P``,
``|savings| <= 6W*P`` and an adjustment ``<= 12W*P = 6e18 < 2**63``. With sharing,
shared energy is at most ``2W`` per cell and its price at most ``P/2``
(:data:`engine.config.sharing.MAX_SHARING_PRICE_TICKS`), so each shared value is
``<= W*P`` and ``|D|`` stays ``<= 2W``: ``|cost| <= 7W*P`` and an adjustment
``<= 16W*P = 8e18 < 2**63``. Every partial sum is
bounded by the same sums of absolute values. Inputs beyond the bounds are rejected. Totals
over many cells can exceed int64: statements sum Python ints, and :func:`exact_column_sums`
splits values into 32-bit halves.

Money: grosz only at the edge, once per statement line, by :func:`matching.units.value_to_grosz`
(``value * tick_pln_mwh * 100 / 1_000_000`` rounded half to even, exact, never via floats).

Cost: four ``np.add.at`` scatters over the trades (exact int64; ``np.bincount`` would sum in
float64 and lose exactness beyond 2**53) and about thirty elementwise passes over (M x T).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

import numpy as np

from engine.settlement.sharing import SharingPlan, share, shared_basis
from matching import units
from matching.units import DEFAULT_TICK_PLN_MWH, MAX_ABS_PRICE_TICKS

#: Most Wh one member may import, export, buy or sell in one interval: 5 GWh (20 GW for 15
#: minutes), far above any member; chosen so an adjustment still fits int64 (module docstring).
MAX_CELL_WH = 5 * 10**9
#: Largest absolute price, floor, cap or fee [tick], the matching core's limit.
MAX_ABS_TICKS = MAX_ABS_PRICE_TICKS

COLUMNS = (
    "bought_wh",
    "bought_value",
    "sold_wh",
    "sold_value",
    "fee_value",
    "shortfall_wh",
    "shortfall_value",
    "surplus_wh",
    "surplus_value",
    "cost_value",
    "baseline_value",
    "savings_value",
    "shared_in_wh",
    "shared_in_value",
    "shared_out_wh",
    "shared_out_value",
)


class SettlementError(ValueError):
    """Input that cannot be settled; the message says what was expected and what was found."""


@dataclass(frozen=True, slots=True)
class PeriodTrades:
    """The trades of a period as int64 columns of one length, one row per trade.

    ``interval`` indexes the period's intervals (0..T-1); ``buyer`` and ``seller`` are member
    codes (0..M-1); ``quantity`` [Wh] > 0; ``buyer_price`` and ``seller_price`` [tick].
    """

    interval: np.ndarray
    buyer: np.ndarray
    seller: np.ndarray
    quantity: np.ndarray
    buyer_price: np.ndarray
    seller_price: np.ndarray

    def __len__(self) -> int:
        return int(self.quantity.shape[0])

    @classmethod
    def empty(cls) -> PeriodTrades:
        """Return a period without trades."""
        return cls(*(np.zeros(0, np.int64) for _ in range(6)))


@dataclass(frozen=True, slots=True, eq=False)
class Settlement:
    """The settled lines of every member (rows) and interval (columns), all (M x T) int64.

    Read-only arrays; pending cells (``~metered``) hold 0 in every column. ``complete[t]``
    is True when every member of interval t is metered.
    """

    bought_wh: np.ndarray  # [Wh]
    bought_value: np.ndarray  # [Wh*tick] at buyer prices
    sold_wh: np.ndarray  # [Wh]
    sold_value: np.ndarray  # [Wh*tick] at seller prices
    fee_value: np.ndarray  # [Wh*tick] network fee, buyers only
    shortfall_wh: np.ndarray  # [Wh] bought from the supplier
    shortfall_value: np.ndarray  # [Wh*tick] at cap
    surplus_wh: np.ndarray  # [Wh] sold to the grid
    surplus_value: np.ndarray  # [Wh*tick] at floor
    cost_value: np.ndarray  # [Wh*tick] positive: the member pays
    baseline_value: np.ndarray  # [Wh*tick] the cost without the local market
    savings_value: np.ndarray  # [Wh*tick] baseline - cost
    shared_in_wh: np.ndarray  # [Wh] allocated to the member by the sharing key
    shared_in_value: np.ndarray  # [Wh*tick] at the internal price
    shared_out_wh: np.ndarray  # [Wh] of the member's production shared by the key
    shared_out_value: np.ndarray  # [Wh*tick] at the internal price
    metered: np.ndarray  # (M x T) bool: False = pending cell
    complete: np.ndarray  # (T,) bool: every member metered

    @property
    def shape(self) -> tuple[int, int]:
        """(members, intervals)."""
        return self.metered.shape

    def missing(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (member codes, interval indices) of the pending cells, member-major."""
        return np.nonzero(~self.metered)

    def pending_intervals(self) -> np.ndarray:
        """Return the indices of the intervals with at least one missing reading."""
        return np.flatnonzero(~self.complete)


@dataclass(frozen=True, slots=True)
class Statement:
    """One member's totals over a run of intervals; ``pending`` intervals are not in them.

    Energy in [Wh], exact values in [Wh*tick] and the same values in grosz, each rounded
    once, half to even: so ``cost_grosz`` may differ by a grosz or two from the sum of the
    rounded lines it is made of (the exact ``*_value`` fields always add up).
    """

    member: int
    intervals: range
    pending: tuple[int, ...]
    bought_wh: int
    sold_wh: int
    shortfall_wh: int
    surplus_wh: int
    bought_value: int
    sold_value: int
    fee_value: int
    shortfall_value: int
    surplus_value: int
    cost_value: int
    baseline_value: int
    savings_value: int
    bought_grosz: int
    sold_grosz: int
    fee_grosz: int
    shortfall_grosz: int
    surplus_grosz: int
    cost_grosz: int
    baseline_grosz: int
    savings_grosz: int
    shared_in_wh: int
    shared_out_wh: int
    shared_in_value: int
    shared_out_value: int
    shared_in_grosz: int
    shared_out_grosz: int


def settle(
    trades: PeriodTrades,
    import_wh: np.ndarray,
    export_wh: np.ndarray,
    floor: np.ndarray,
    cap: np.ndarray,
    fee_ticks: int,
    metered: np.ndarray,
    sharing: SharingPlan | None = None,
) -> Settlement:
    """Settle M members over T intervals.

    ``import_wh``, ``export_wh`` [Wh]: (M x T) metered energy, 0..``MAX_CELL_WH`` (ignored
    where ``metered`` is False); ``floor``, ``cap`` [tick]: (T,) feed-in and retail prices;
    ``fee_ticks`` [tick]: network fee per Wh bought locally; ``metered``: (M x T) bool;
    ``sharing``: the key's plan over the M rows (None: the market alone).
    Raises :class:`SettlementError` for input out of shape, type or bounds.
    """
    metered = np.asarray(metered)
    if metered.ndim != 2 or metered.dtype != np.bool_:
        raise SettlementError(f"metered must be a 2-D bool array, was {metered.dtype}")
    m, t = metered.shape
    imp = _int64("import_wh", import_wh, (m, t))
    exp = _int64("export_wh", export_wh, (m, t))
    floor = _int64("floor", floor, (t,))
    cap = _int64("cap", cap, (t,))
    if isinstance(fee_ticks, bool) or not isinstance(fee_ticks, (int, np.integer)):
        raise SettlementError(f"fee_ticks must be an int, was {fee_ticks!r}")
    fee = int(fee_ticks)
    if not 0 <= fee <= MAX_ABS_TICKS:
        raise SettlementError(f"fee_ticks must be in 0..{MAX_ABS_TICKS}, was {fee}")
    _check_range("floor", floor, -MAX_ABS_TICKS, MAX_ABS_TICKS)
    _check_range("cap", cap, -MAX_ABS_TICKS, MAX_ABS_TICKS)
    for name, meter in (("import_wh", imp), ("export_wh", exp)):
        if meter.size and (meter.min() < 0 or meter.max() > MAX_CELL_WH):
            _check_range(name, meter[metered], 0, MAX_CELL_WH)  # out of range only if metered
    cols = _trade_columns(trades, m, t)

    # Trades per cell: scatter-add over the flat index member * T + interval (exact int64).
    bought_wh, bought_value, sold_wh, sold_value = (np.zeros(m * t, np.int64) for _ in range(4))
    buyer_cell = cols["buyer"] * t + cols["interval"]
    seller_cell = cols["seller"] * t + cols["interval"]
    np.add.at(bought_wh, buyer_cell, cols["quantity"])
    np.add.at(bought_value, buyer_cell, cols["quantity"] * cols["buyer_price"])
    np.add.at(sold_wh, seller_cell, cols["quantity"])
    np.add.at(sold_value, seller_cell, cols["quantity"] * cols["seller_price"])
    for name, total in (("bought", bought_wh), ("sold", sold_wh)):
        if total.size and total.max() > MAX_CELL_WH:
            cell = int(total.argmax())
            raise SettlementError(
                f"member {cell // t} {name} {int(total[cell])} Wh in interval {cell % t}, "
                f"must be <= {MAX_CELL_WH} Wh"
            )
    net = np.subtract(exp, imp).reshape(-1)  # N, metered net export
    pending = np.flatnonzero(~metered)
    if pending.size:  # zero the inputs of pending cells: every derived column is then 0 too
        for column in (bought_wh, bought_value, sold_wh, sold_value, net):
            column[pending] = 0
    if sharing is not None and not sharing.trades_count:  # the key alone: no trade settles
        for column in (bought_wh, bought_value, sold_wh, sold_value):
            column[:] = 0
    shape = (m, t)
    bought_wh, bought_value, sold_wh, sold_value, net = (
        a.reshape(shape) for a in (bought_wh, bought_value, sold_wh, sold_value, net)
    )

    imbalance = net - sold_wh  # D = N - (sold - bought)
    imbalance += bought_wh
    if sharing is None:  # one zero matrix (read-only below) for the four shared columns
        shared_in = shared_out = shared_in_value = shared_out_value = np.zeros(shape, np.int64)
    else:
        basis = shared_basis(sharing, net, sold_wh - bought_wh)
        shared_in, shared_out = share(sharing, basis, metered)
        imbalance += shared_in
        imbalance -= shared_out
        shared_in_value = shared_in * sharing.price_ticks
        shared_out_value = shared_out * sharing.price_ticks
    shortfall_wh = np.negative(imbalance)
    np.maximum(shortfall_wh, 0, out=shortfall_wh)
    surplus_wh = np.maximum(imbalance, 0, out=imbalance)  # D is not needed after this
    shortfall_value = shortfall_wh * cap
    surplus_value = surplus_wh * floor
    fee_value = bought_wh * fee

    cost = bought_value + fee_value
    cost -= sold_value
    if sharing is not None:
        cost += shared_in_value
        cost -= shared_out_value
    cost += shortfall_value
    cost -= surplus_value

    baseline = np.negative(net)
    np.maximum(baseline, 0, out=baseline)
    baseline *= cap
    np.maximum(net, 0, out=net)  # N is not needed after this
    net *= floor
    baseline -= net
    savings = baseline - cost

    matrices = (
        bought_wh,
        bought_value,
        sold_wh,
        sold_value,
        fee_value,
        shortfall_wh,
        shortfall_value,
        surplus_wh,
        surplus_value,
        cost,
        baseline,
        savings,
        shared_in,
        shared_in_value,
        shared_out,
        shared_out_value,
    )
    metered = metered.copy()  # the caller's mask may change; ours may not
    complete = metered.all(axis=0)
    for array in (*matrices, metered, complete):
        array.flags.writeable = False
    return Settlement(*matrices, metered=metered, complete=complete)


def adjustment(old: Settlement, new: Settlement) -> Settlement:
    """Return ``new - old`` column by column: the entry that records a re-settlement.

    ``metered`` and ``complete`` are the new ones. A cell metered in ``old`` must be metered
    in ``new``: readings are corrected, never withdrawn.
    """
    if old.shape != new.shape:
        raise SettlementError(f"settlements differ in shape: old {old.shape}, new {new.shape}")
    withdrawn = old.metered & ~new.metered
    if withdrawn.any():
        member, interval = (int(i[0]) for i in np.nonzero(withdrawn))
        raise SettlementError(
            f"{int(withdrawn.sum())} readings were withdrawn, the first of member {member} in "
            f"interval {interval}: a new settlement must keep every reading of the old one"
        )
    diffs = [np.subtract(getattr(new, c), getattr(old, c)) for c in COLUMNS]
    for array in diffs:
        array.flags.writeable = False
    return Settlement(*diffs, metered=new.metered, complete=new.complete)


def statement(
    settlement: Settlement,
    member: int,
    intervals: slice = slice(None),
    tick_pln_mwh: Decimal | str = DEFAULT_TICK_PLN_MWH,
) -> Statement:
    """Total one member's lines over ``intervals`` and convert each value once to grosz."""
    m, t = settlement.shape
    if not 0 <= member < m:
        raise SettlementError(f"member must be in 0..{m - 1}, was {member}")
    tick = _tick(tick_pln_mwh)
    span = range(t)[intervals]
    pending = tuple(span[i] for i in np.flatnonzero(~settlement.metered[member, intervals]))
    totals = {c: sum(getattr(settlement, c)[member, intervals].tolist()) for c in COLUMNS}
    money = {
        c.replace("_value", "_grosz"): value_to_grosz(v, tick)
        for c, v in totals.items()
        if c.endswith("_value")
    }
    return Statement(member=member, intervals=span, pending=pending, **totals, **money)


def value_to_grosz(value: int, tick_pln_mwh: Decimal | str = DEFAULT_TICK_PLN_MWH) -> int:
    """Convert ``value`` [Wh*tick] to grosz, rounding half to even
    (:func:`matching.units.value_to_grosz`, after checking the tick)."""
    return units.value_to_grosz(int(value), _tick(tick_pln_mwh))


def exact_column_sums(matrix: np.ndarray) -> list[int]:
    """Sum an (M x T) int64 matrix over its rows into T exact Python ints.

    Each value is split into a signed high and an unsigned low 32-bit half; neither half's
    sum over fewer than 2**31 rows can overflow int64.
    """
    if matrix.shape[0] >= 2**31:
        raise SettlementError(f"at most 2**31 - 1 rows, was {matrix.shape[0]}")
    low = np.bitwise_and(matrix, 0xFFFFFFFF).sum(axis=0)
    high = np.right_shift(matrix, 32).sum(axis=0)
    return [(h << 32) + lo for h, lo in zip(high.tolist(), low.tolist(), strict=True)]


def _tick(tick_pln_mwh: Decimal | str) -> Decimal:
    if isinstance(tick_pln_mwh, float):  # a float tick would make money inexact
        raise SettlementError(f"tick_pln_mwh must be a Decimal or str, was {tick_pln_mwh!r}")
    try:
        tick = Decimal(tick_pln_mwh)
    except (InvalidOperation, TypeError):
        raise SettlementError(f"tick_pln_mwh must be a decimal, was {tick_pln_mwh!r}") from None
    if not tick.is_finite() or tick <= 0:
        raise SettlementError(f"tick_pln_mwh must be > 0, was {tick_pln_mwh!r}")
    return tick


def _int64(name: str, values: object, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != shape:
        raise SettlementError(f"{name} must have shape {shape}, had {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise SettlementError(f"{name} must hold integers, held {array.dtype}")
    if array.dtype == np.uint64 and array.size and int(array.max()) > np.iinfo(np.int64).max:
        raise SettlementError(f"{name} holds values above the int64 range")
    return np.ascontiguousarray(array, dtype=np.int64)


def _check_range(name: str, values: np.ndarray, low: int, high: int) -> None:
    if values.size and (values.min() < low or values.max() > high):
        bad = values[(values < low) | (values > high)][0]
        raise SettlementError(f"{name} must be in {low}..{high}, was {int(bad)}")


def _trade_columns(trades: PeriodTrades, m: int, t: int) -> dict[str, np.ndarray]:
    n = len(np.asarray(trades.quantity))
    cols = {f.name: _int64(f.name, getattr(trades, f.name), (n,)) for f in fields(trades)}
    _check_range("trade interval", cols["interval"], 0, t - 1)
    _check_range("trade buyer", cols["buyer"], 0, m - 1)
    _check_range("trade seller", cols["seller"], 0, m - 1)
    _check_range("trade quantity", cols["quantity"], 1, MAX_CELL_WH)
    _check_range("trade buyer_price", cols["buyer_price"], -MAX_ABS_TICKS, MAX_ABS_TICKS)
    _check_range("trade seller_price", cols["seller_price"], -MAX_ABS_TICKS, MAX_ABS_TICKS)
    return cols
