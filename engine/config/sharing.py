"""How a cluster allocates energy: the market, a sharing key, or both in either order.

The optional ``[sharing]`` table of the cluster config (``engine/DESIGN.md``, "Energy
sharing"); a configuration holds one, so a cluster chooses it per interval range through its
configuration history (``ClusterChanged`` in force from an effective instant)::

    [sharing]
    allocation = "key_then_market"  # market | key | key_then_market | market_then_key
    key = "iterative"                # static | pro-rata | priority | iterative
    percentages = { "dom-1" = "40", "szkola-1" = "60" }  # static, iterative [%]
    priority = ["szkola-1", "dom-1"] # priority: first served first
    rounds = 2                       # iterative: at most this many rounds (default: all)
    price_pln_mwh = "400.00"         # the internal price of shared energy (absent: none)

Without the table the cluster runs the market alone, as before. ``key`` defaults to
``pro-rata`` (it needs no parameters); a parameter its key does not use is an error (a
percentage under a priority key would be silently ignored otherwise). Percentages name
members of this configuration, at most 4 decimals, each in 0..100 and together at most 100
(what is left is nobody's share); inside they are parts per million
(:data:`matching.sharing.MAX_WEIGHT_TOTAL`).

Like the register facts and the billing keys, the rules are ``repr=False`` on the cluster:
out of its fingerprint, since they change no event's meaning (settlement is computed from the
events, never journaled on its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from engine.config.price_bands import parse_pln_mwh
from engine.config.toml_table import Table, show
from matching.units import MAX_ABS_PRICE_TICKS

ALLOCATIONS = ("market", "key", "key_then_market", "market_then_key")
#: matching.sharing.KEYS, spelt here so that a config is read without the kernels (numba).
KEYS = ("static", "pro-rata", "priority", "iterative")
SHARING_KEYS = ("allocation", "key", "percentages", "priority", "rounds", "price_pln_mwh")
#: Parts per million of one percent.
PPM_PER_PERCENT = 10_000
#: Largest internal price [tick]: half the matching core's, so that a settlement cell with
#: shared energy still fits int64 (engine/settlement/settle.py's bounds).
MAX_SHARING_PRICE_TICKS = MAX_ABS_PRICE_TICKS // 2


@dataclass(frozen=True, slots=True)
class SharingRules:
    """The allocation of one configuration: ``allocation`` (:data:`ALLOCATIONS`), ``key``
    (:data:`KEYS`), ``weights`` (member id, parts per million) for static and iterative,
    ``priority`` (member ids, first served first), ``rounds`` (iterative; None: until
    nothing more can be placed), ``price_ticks`` the internal price [tick] (None: shared
    energy carries no price)."""

    allocation: str = "market"
    key: str = "pro-rata"
    weights: tuple[tuple[str, int], ...] = ()
    priority: tuple[str, ...] = ()
    rounds: int | None = None
    price_ticks: int | None = None

    @property
    def shares(self) -> bool:
        """True when a key allocates energy (any allocation but the market alone)."""
        return self.allocation != "market"


def parse_sharing(value: object, tick: Decimal, member_ids: tuple[str, ...]) -> SharingRules:
    """Read the ``[sharing]`` table (None: the market alone); ``member_ids`` are the
    configuration's members. Raise :class:`FieldError` naming the key."""
    if value is None:
        return SharingRules()
    s = Table(value, "", "sharing.", SHARING_KEYS, "[sharing]")
    allocation = s.choice("allocation", ALLOCATIONS, "market")
    key = s.choice("key", KEYS, "pro-rata")
    for name, used_by in (("percentages", ("static", "iterative")), ("priority", ("priority",))):
        if name in value and key not in used_by:
            s.fail(f'sharing.{name} is for the {" and ".join(used_by)} key, not "{key}"')
    if "rounds" in value and key != "iterative":
        s.fail(f'sharing.rounds is for the iterative key, not "{key}"')
    weights: tuple[tuple[str, int], ...] = ()
    priority: tuple[str, ...] = ()
    if key in ("static", "iterative"):
        weights = _percentages(s, member_ids)
    elif key == "priority":
        priority = _priority(s, member_ids)
    rounds = s.integer("rounds", 1, None) if "rounds" in value else None
    price = None
    if "price_pln_mwh" in value:
        text = s.decimal_text("price_pln_mwh")
        try:
            price = parse_pln_mwh(text, tick, "sharing.price_pln_mwh")
        except ValueError as exc:
            s.fail(str(exc))
        if not 0 <= price <= MAX_SHARING_PRICE_TICKS:
            limit = Decimal(MAX_SHARING_PRICE_TICKS) * tick
            s.fail(f'sharing.price_pln_mwh must be within 0..{limit} PLN/MWh, was "{text}"')
    return SharingRules(allocation, key, weights, priority, rounds, price)


def _percentages(s: Table, member_ids: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    table = s.raw("percentages")
    if not isinstance(table, dict) or not table:
        s.fail(
            "sharing.percentages must be a table of member id = percentage such as "
            f'{{ "dom-1" = "40" }}, was {show(table)}'
        )
    out = []
    for member, raw in table.items():  # TOML order; the settlement maps them to codes
        label = f"sharing.percentages.{member}"
        if member not in member_ids:
            s.fail(f"{label}: {show(member)} is not a member of the cluster")
        text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        try:
            percent = Decimal(text) if isinstance(text, str) else None
        except InvalidOperation:
            percent = None
        if (
            percent is None
            or not percent.is_finite()
            or not 0 <= percent <= 100
            or percent != percent.quantize(Decimal("0.0001"))
        ):
            s.fail(
                f"{label} must be a decimal percentage in 0..100 with at most 4 decimals "
                f'such as "12.5", was {show(raw)}'
            )
        out.append((member, int(percent * PPM_PER_PERCENT)))
    total = sum(ppm for _, ppm in out)
    if total > 100 * PPM_PER_PERCENT:
        s.fail(f"sharing.percentages must total at most 100, total {Decimal(total) / 10_000}")
    return tuple(out)


def _priority(s: Table, member_ids: tuple[str, ...]) -> tuple[str, ...]:
    order = s.raw("priority")
    if not isinstance(order, list) or not order or not all(isinstance(m, str) for m in order):
        s.fail(
            'sharing.priority must be a non-empty array of member ids such as ["dom-1"], '
            f"was {show(order)}"
        )
    for member in order:
        if member not in member_ids:
            s.fail(f"sharing.priority: {show(member)} is not a member of the cluster")
    if len(set(order)) != len(order):
        twice = next(m for m in order if order.count(m) > 1)
        s.fail(f"sharing.priority names {show(twice)} more than once")
    return tuple(order)
