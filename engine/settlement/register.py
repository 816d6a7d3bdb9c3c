"""The cluster register's conditions as figures: from the config, and per hour from meters.

The conditions and the facts they are computed from are in :mod:`engine.config.register`
(sources: the OZE act's cluster rules and the 2023 draft register thresholds, see
:mod:`engine.config.register`). Figures, all exact (``Decimal``, ``Fraction``):

- installed capacity ``sum installed_kw`` [kW] against ``max_installed_mw``;
- expected yearly generation ``sum installed_kw * full_load_hours(source)`` [kWh/a], capacity
  of an unspecified source not counted (its hours are unknown) and reported apart;
- renewable share of the expected generation, against ``min_renewable_share``;
- demand cover: expected generation / the members' annual demand (``sum
  annual_demand_kwh``), against ``min_demand_cover``: "capacity able to cover 40% of the
  members' annual demand", read as what the capacity gives in a year at the configured
  full-load hours (an assumption: the draft does not say how capacity becomes energy);
- storage share: storage power / installed capacity (``sum storage_kw / sum installed_kw``,
  kW over kW), against ``min_storage_share``;
- the legal conditions as far as the config states them: ``"met"``, or ``"unverified"``
  naming the points without a voltage and the members without a legal kind (a stated breach
  never gets here: the config is refused at load).

Hourly, from meter readings (:func:`hourly_renewable_use`): the law computes a cluster's
benefit per hour, for renewable energy. Per hour h (UTC hours, which are local hours in
Poland; an interval of an hour or more is its own period), summing the complete intervals
starting in it: ``R_h`` the export of the points with a renewable source, ``I_h`` the import
of all points; renewable local use ``sum_h min(R_h, I_h)`` [Wh]: renewable energy fed in by
members that members took in the same hour. Netting per hour is more generous than per
interval (an export at 12:00 meets an import at 12:45), so it can exceed the local use.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from engine.config.register import MUNICIPAL_KINDS, OTHER_SOURCES, RENEWABLE_SOURCES

SECONDS_PER_HOUR = 3600
KW_PER_MW = 1000


@dataclass(frozen=True, slots=True)
class RenewableExport:
    """The export of the points with a renewable source over a period's intervals:
    ``starts`` (T,) int64 [s] and ``export_wh`` (T,) int64 [Wh], summed over the points."""

    starts: np.ndarray
    export_wh: np.ndarray


def hourly_renewable_use(
    renewable: RenewableExport, import_wh: list[int], complete: np.ndarray
) -> tuple[int, int]:
    """Return ``(renewable export, renewable local use)`` [Wh] over the ``complete``
    intervals, with ``import_wh`` the members' import per interval (module docstring);
    pending intervals count nothing. Sums per hour and period are Python ints."""
    hours: dict[int, list[int]] = {}  # hour start -> [R_h, I_h]; only summed, order unused
    for start, r, i, done in zip(
        np.asarray(renewable.starts).tolist(),
        np.asarray(renewable.export_wh).tolist(),
        import_wh,
        np.asarray(complete, bool).tolist(),
        strict=True,
    ):
        if done:
            sums = hours.setdefault(start - start % SECONDS_PER_HOUR, [0, 0])
            sums[0] += r
            sums[1] += i
    return sum(r for r, _ in hours.values()), sum(min(r, i) for r, i in hours.values())


@dataclass(frozen=True, slots=True)
class Condition:
    """A register condition: the figure, its threshold and whether it holds (None: the
    config states nothing to decide it on)."""

    value: Decimal | Fraction | None
    threshold: Decimal
    met: bool | None


@dataclass(frozen=True, slots=True)
class RegisterFigures:
    """The register figures of a cluster config (see the module docstring)."""

    installed_kw: Decimal
    renewable_kw: Decimal
    other_kw: Decimal  # stated sources that are not renewable
    unspecified_kw: Decimal  # capacity whose source is not stated
    storage_kw: Decimal
    storage_kwh: Decimal
    annual_demand_kwh: Decimal  # [kWh/a]
    expected_generation_kwh: Decimal  # [kWh/a]
    expected_renewable_kwh: Decimal  # [kWh/a]
    installed: Condition  # value [MW] <= threshold [MW]
    renewable_share: Condition  # of the expected generation, >= threshold
    demand_cover: Condition  # >= threshold
    storage_share: Condition  # >= threshold
    max_voltage_kv: Decimal  # the network is below it
    network: str  # "met" | "unverified"
    voltage_unspecified: tuple[str, ...]  # point ids
    municipality: str  # "met" | "unverified"
    municipal_members: tuple[str, ...]
    legal_kind_unspecified: tuple[str, ...]  # member ids (the dso not counted)


def register_figures(cluster: Any) -> RegisterFigures:
    """Compute the register figures of ``cluster`` (an :class:`engine.config.cluster.Cluster`)."""
    rules = cluster.register
    facts = [p.register for p in cluster.points]
    hours = rules.full_load_hours

    def total(values: list[Decimal]) -> Decimal:
        return sum(values, Decimal(0))

    installed = total([f.installed_kw for f in facts])
    renewable = total([f.installed_kw for f in facts if f.source in RENEWABLE_SOURCES])
    expected = total([f.installed_kw * hours[f.source] for f in facts if f.source in hours])
    expected_renewable = total(
        [f.installed_kw * hours[f.source] for f in facts if f.source in RENEWABLE_SOURCES]
    )
    demand = total([f.annual_demand_kwh for f in facts])
    storage_kw = total([f.storage_kw for f in facts])
    installed_mw = installed / KW_PER_MW
    renewable_share = _ratio(expected_renewable, expected)
    cover = _ratio(expected, demand)
    storage_share = _ratio(storage_kw, installed)
    no_voltage = tuple(p.id for p in cluster.points if p.register.voltage_kv is None)
    parties = [m for m in cluster.members if m.role != "dso"]
    municipal = tuple(m.id for m in parties if m.legal_kind in MUNICIPAL_KINDS)
    return RegisterFigures(
        installed_kw=installed,
        renewable_kw=renewable,
        other_kw=total([f.installed_kw for f in facts if f.source in OTHER_SOURCES]),
        unspecified_kw=total([f.installed_kw for f in facts if f.source == "unspecified"]),
        storage_kw=storage_kw,
        storage_kwh=total([f.storage_kwh for f in facts]),
        annual_demand_kwh=demand,
        expected_generation_kwh=expected,
        expected_renewable_kwh=expected_renewable,
        installed=Condition(
            installed_mw, rules.max_installed_mw, installed_mw <= rules.max_installed_mw
        ),
        renewable_share=_at_least(renewable_share, rules.min_renewable_share),
        demand_cover=_at_least(cover, rules.min_demand_cover),
        storage_share=_at_least(storage_share, rules.min_storage_share),
        max_voltage_kv=rules.max_voltage_kv,
        network="unverified" if no_voltage else "met",
        voltage_unspecified=no_voltage,
        municipality="met" if municipal else "unverified",
        municipal_members=municipal,
        legal_kind_unspecified=tuple(m.id for m in parties if m.legal_kind == "unspecified"),
    )


def _ratio(numerator: Decimal, denominator: Decimal) -> Fraction | None:
    return Fraction(numerator) / Fraction(denominator) if denominator else None


def _at_least(value: Fraction | None, threshold: Decimal) -> Condition:
    return Condition(value, threshold, None if value is None else value >= threshold)
