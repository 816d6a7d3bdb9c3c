"""A study's comparison plots: one PNG per metric, mechanisms side by side.

Each figure has one panel per scenario; in a panel, a group of bars per mechanism and in it
one bar per (allocation, strategy), the bar's height the mean over seeds and its error bar
the t-interval (:mod:`agents.study.summary`). Drawn on :class:`matplotlib.figure.Figure`
objects, which render with the Agg canvas and never touch pyplot's global state (as
:mod:`agents.sim.report` does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The plots written: file stem -> (metric, axis label).
PLOTS = {
    "savings": ("savings_pln", "savings [PLN]"),
    "efficiency": ("allocative_efficiency", "allocative efficiency [1]"),
    "lost_surplus": ("lost_surplus_pln", "gains from trade not realised [PLN]"),
    "traded": ("traded_kwh", "traded locally [kWh]"),
}


def _unique(values: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys(values))  # first-seen order: the grid's


def plot_metric(
    summary: Sequence[dict[str, Any]],
    metric: str,
    label: str,
    title: str,
    confidence: float,
    path: Path,
) -> None:
    """Draw ``metric``'s means and intervals by scenario, mechanism, allocation and strategy
    into the PNG at ``path``."""
    from matplotlib.figure import Figure

    scenarios = _unique([r["scenario"] for r in summary])
    mechanisms = _unique([r["mechanism"] for r in summary])
    series = _unique([(r["allocation"], r["strategy"]) for r in summary])
    seeds = max(r["runs"] for r in summary)
    fig = Figure(figsize=(max(6.0, 2.2 * len(mechanisms) * len(scenarios)), 4.5))
    axes = fig.subplots(1, len(scenarios), squeeze=False, sharey=True)[0]
    width = 0.8 / len(series)
    for ax, scenario in zip(axes, scenarios, strict=True):
        for j, (allocation, strategy) in enumerate(series):
            xs, means, errors = [], [], ([], [])
            for i, mechanism in enumerate(mechanisms):
                row = next(
                    (
                        r
                        for r in summary
                        if (r["scenario"], r["mechanism"], r["allocation"], r["strategy"])
                        == (scenario, mechanism, allocation, strategy)
                    ),
                    None,
                )
                if row is None or math.isnan(row[f"{metric}_mean"]):
                    continue
                mean = row[f"{metric}_mean"]
                low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
                xs.append(i - 0.4 + width * (j + 0.5))
                means.append(mean)
                errors[0].append(0.0 if math.isnan(low) else mean - low)
                errors[1].append(0.0 if math.isnan(high) else high - mean)
            name = allocation if len(series) == 1 else f"{allocation}, {strategy}"
            ax.bar(xs, means, width, yerr=errors, capsize=3, label=name)
        ax.set_xticks(range(len(mechanisms)), mechanisms, rotation=20)
        ax.set_title(scenario)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel(label)
    if len(series) > 1:
        axes[-1].legend(title="allocation, strategy", fontsize="small")
    fig.suptitle(
        f"{title}: mean over {seeds} seeds, {confidence:.0%} t-interval", fontsize="medium"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_plots(
    summary: Sequence[dict[str, Any]], title: str, confidence: float, out_dir: Path
) -> list[Path]:
    """Write :data:`PLOTS` into ``out_dir``; return the paths."""
    written = []
    for stem, (metric, label) in PLOTS.items():
        path = out_dir / f"{stem}.png"
        plot_metric(summary, metric, label, title, confidence, path)
        written.append(path)
    return written
