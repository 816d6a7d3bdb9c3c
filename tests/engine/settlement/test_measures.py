"""The cluster's own measures: import across the boundary after netting inside the cluster,
self-sufficiency and self-consumption as the field uses them, the member-sum variants, and
the hourly renewable figures the law counts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.settlement.kpis import kpis, self_consumption, self_sufficiency
from engine.settlement.register import RenewableExport, hourly_renewable_use
from engine.settlement.settle import PeriodTrades, settle

T0 = 1_779_999_300  # a quarter past a whole hour: intervals 0-2 share an hour, 3-4 the next
L = 900


def settled(imports: np.ndarray, exports: np.ndarray, metered: np.ndarray | None = None):
    members, intervals = imports.shape
    metered = np.ones_like(imports, bool) if metered is None else metered
    floor, cap = np.full(intervals, 25_000), np.full(intervals, 90_000)
    s = settle(PeriodTrades.empty(), imports, exports, floor, cap, 4_500, metered)
    return s, floor, cap


def test_the_zywiec_example_boundary_import_is_what_netting_leaves() -> None:
    # Member 0 (a PV farm) exports 900 Wh while member 1 imports 1000: 100 Wh cross the
    # boundary. The next interval nobody exports: all 500 Wh of import cross it.
    imports = np.array([[0, 0], [1000, 500]], np.int64)
    exports = np.array([[900, 0], [0, 0]], np.int64)
    s, floor, cap = settled(imports, exports)
    k = kpis(s, imports, exports, floor, cap)
    assert (k.import_wh, k.local_use_wh, k.boundary_import_wh) == (1500, 900, 600)
    assert k.boundary_export_wh == 0
    assert k.import_covered_locally == Fraction(900, 1500)
    # With a consumption of 2000 Wh behind the meters the cluster covered 1 - 600/2000 of
    # it; each member on its own, 1 - 1500/2000.
    assert self_sufficiency(k.boundary_import_wh, 2000) == Fraction(7, 10)
    assert self_sufficiency(k.import_wh, 2000) == Fraction(1, 4)
    assert self_consumption(k.boundary_export_wh, 900) == 1


def test_without_consumption_or_generation_there_is_no_figure() -> None:
    assert self_sufficiency(10, 0) is None and self_consumption(10, 0) is None


def test_storage_charged_from_outside_never_makes_self_sufficiency_negative() -> None:
    assert self_sufficiency(1200, 1000) == 0
    assert self_consumption(1200, 1000) == 0


cells = st.integers(0, 5_000)


@st.composite
def meters(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m, t = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    imports = np.array(draw(st.lists(cells, min_size=m * t, max_size=m * t)), np.int64)
    exports = np.array(draw(st.lists(cells, min_size=m * t, max_size=m * t)), np.int64)
    extra = np.array(draw(st.lists(cells, min_size=t, max_size=t)), np.int64)
    return imports.reshape(m, t), exports.reshape(m, t), extra


@settings(max_examples=150, deadline=None)
@given(meters())
def test_boundary_flows_are_bounded_by_the_members_and_the_ratios_by_zero_and_one(case) -> None:
    imports, exports, extra = case
    s, floor, cap = settled(imports, exports)
    k = kpis(s, imports, exports, floor, cap)
    assert 0 <= k.boundary_import_wh <= k.import_wh
    assert 0 <= k.boundary_export_wh <= k.export_wh
    # Per interval max(0, I - E) - max(0, E - I) = I - E: the boundary nets what the members do.
    assert k.boundary_import_wh - k.boundary_export_wh == k.import_wh - k.export_wh
    # A consumption that covers what the members import (their loads take at least that).
    consumption = int(imports.sum() + extra.sum())
    sufficiency = self_sufficiency(k.boundary_import_wh, consumption)
    members = self_sufficiency(k.import_wh, consumption)
    if consumption:
        assert 0 <= members <= sufficiency <= 1
    generation = int(exports.sum() + extra.sum())
    if generation:
        assert self_consumption(k.export_wh, generation) >= 0
        assert self_consumption(k.export_wh, generation) <= self_consumption(
            k.boundary_export_wh, generation
        )
        assert self_consumption(k.boundary_export_wh, generation) <= 1
    for ratio in (k.import_covered_locally, k.export_used_locally):
        assert ratio is None or 0 <= ratio <= 1


@settings(max_examples=100, deadline=None)
@given(meters())
def test_with_nothing_exported_the_cluster_figures_are_the_members(case) -> None:
    imports, _, extra = case
    exports = np.zeros_like(imports)
    s, floor, cap = settled(imports, exports)
    k = kpis(s, imports, exports, floor, cap)
    assert (k.boundary_import_wh, k.boundary_export_wh, k.local_use_wh) == (k.import_wh, 0, 0)
    consumption = int(imports.sum() + extra.sum())
    assert self_sufficiency(k.boundary_import_wh, consumption) == self_sufficiency(
        k.import_wh, consumption
    )
    assert k.import_covered_locally in (0, None)


@settings(max_examples=100, deadline=None)
@given(meters())
def test_a_cluster_of_one_member_nets_only_its_own_flows(case) -> None:
    imports, exports, _ = case
    imports, exports = imports[:1], exports[:1]  # its points' import and export, summed
    s, floor, cap = settled(imports, exports)
    k = kpis(s, imports, exports, floor, cap)
    assert k.boundary_import_wh == int(np.maximum(imports - exports, 0).sum())
    assert k.boundary_export_wh == int(np.maximum(exports - imports, 0).sum())


def test_pending_intervals_count_in_no_measure() -> None:
    imports = np.array([[100, 7_000]], np.int64)
    exports = np.array([[0, 0]], np.int64)
    s, floor, cap = settled(imports, exports, np.array([[True, False]]))
    k = kpis(s, imports, exports, floor, cap)
    assert (k.boundary_import_wh, k.pending) == (100, (1,))


def renewable(export_wh: list[int]) -> RenewableExport:
    starts = T0 + L * np.arange(len(export_wh), dtype=np.int64)
    return RenewableExport(starts, np.array(export_wh, np.int64))


def test_renewable_use_is_netted_per_hour_not_per_interval() -> None:
    # A PV point (renewable) and a gas CHP (not) feed in, a household takes. Intervals 0-2
    # lie in one hour, 3-4 in the next. In the first hour PV exports 300 in interval 0 and
    # the household imports 300 in interval 2: per quarter hour nothing meets, per hour all.
    pv = renewable([300, 0, 0, 0, 500])  # the CHP's 1000 in interval 3 is not in it
    house = [0, 0, 300, 400, 0]
    assert hourly_renewable_use(pv, house, np.ones(5, bool)) == (800, 300 + 400)
    # Only complete intervals count: leaving out interval 2 leaves the first hour no import.
    complete = np.array([True, True, False, True, True])
    assert hourly_renewable_use(pv, house, complete) == (800, 400)


def test_the_kpis_carry_the_hourly_renewable_figures() -> None:
    imports = np.array([[0, 0, 300], [0, 0, 0]], np.int64)
    exports = np.array([[0, 0, 0], [300, 0, 0]], np.int64)
    s, floor, cap = settled(imports, exports)
    k = kpis(s, imports, exports, floor, cap, renewable=renewable([300, 0, 0]))
    assert (k.renewable_export_wh, k.renewable_local_use_wh) == (300, 300)
    assert k.renewable_used_locally == 1
    assert k.local_use_wh == 0  # per interval nothing met
