"""STUDY.toml: which scenarios to run under which mechanisms, allocations, strategies and seeds.

One ``[study]`` table (an example: ``agents/studies/mechanisms.toml``)::

    [study]
    name = "Clearing mechanisms"            # titles of the plots and the summary
    scenarios = ["../scenarios/zywiec.toml"]  # paths relative to this file
    mechanisms = ["uniform", "pay-as-bid"]  # default: each scenario's own
    allocations = ["market"]                # default ["market"] (agents.study.allocation)
    strategies = ["scenario", "zip"]        # "scenario": each member's own; default that
    seeds = [1, 2, 3]                       # or a count: seeds = 10 means 0..9
    days = 7                                # optional overrides of every scenario,
    start = 2026-06-01                      #   as klaster simulate --days --start
    group_size = 50                         #   and --group-size
    confidence = 0.95                       # of the intervals over seeds (default 0.95)

The grid is every combination, in the order scenario, mechanism, allocation, strategy, seed.
A seed replaces the scenario's: it draws the groups' members, the weather, the forecast
errors and the strategies' random numbers, so the seeds of one cell are independent
replications. Every value is checked, and every scenario is loaded once under each
mechanism, before anything runs: errors name the study file and the field (``StudyError``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from agents.study.allocation import ALLOCATIONS, unsupported
from engine import FieldError, Table, show

#: The strategy axis's name for "each member's strategy as its scenario says".
AS_SCENARIO = "scenario"
STUDY_KEYS = (
    "name", "scenarios", "mechanisms", "allocations", "strategies", "seeds", "days", "start",
    "group_size", "confidence",
)  # fmt: skip
MAX_RUNS = 100_000  # a typo like seeds = 1000000 must not start a year of work


class StudyError(ValueError):
    """An invalid study: ``SOURCE: message``."""


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    """One scenario of the study, read once by the driver: its text travels to the workers
    (a Ray node need not share the driver's files, as long as the scenario names none)."""

    label: str  # the file's stem, unique in the study: the ``scenario`` column
    source: str  # its path, for errors
    text: str
    base_dir: str  # where the scenario's relative paths start


@dataclass(frozen=True, slots=True)
class Study:
    """A validated study: the axes of its grid and the overrides every run shares."""

    name: str
    source: str
    scenarios: tuple[ScenarioFile, ...]
    mechanisms: tuple[str | None, ...]  # None: the scenario's own
    allocations: tuple[str, ...]
    strategies: tuple[str, ...]  # AS_SCENARIO or a name of agents.sim.scenario.STRATEGIES
    seeds: tuple[int, ...]
    days: int | None
    start: dt.date | None
    group_size: int | None
    confidence: float  # of the t-intervals over seeds, in (0, 1)

    @property
    def size(self) -> int:
        """The number of runs in the grid."""
        return len(self.scenarios) * self.cells_per_scenario * len(self.seeds)

    @property
    def cells_per_scenario(self) -> int:
        """The combinations of mechanism, allocation and strategy."""
        return len(self.mechanisms) * len(self.allocations) * len(self.strategies)


def load_study(path: str | Path) -> Study:
    """Read and validate the study in ``path`` (scenario paths relative to its folder)."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise StudyError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StudyError(f"{source}: the file must be UTF-8 text") from None
    return parse_study(text, source, Path(path).parent)


def parse_study(text: str, source: str = "<string>", base_dir: Path | None = None) -> Study:
    """Parse and validate a study; ``source`` names it in errors."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{source}: not valid TOML: {exc}") from None
    try:
        unknown = [key for key in document if key != "study"]
        if unknown:
            raise FieldError("", f"unknown table or key {show(unknown[0])}; expected [study]")
        if "study" not in document:
            raise FieldError("", "a [study] table is required")
        study, paths = _study(Table(document["study"], "", "study.", STUDY_KEYS, "study"), source)
    except FieldError as exc:
        raise StudyError(f"{source}: {exc}") from None
    return _with_scenarios(study, base_dir or Path(), paths)


def _study(t: Table, source: str) -> tuple[Study, list[str]]:
    """The study's axes and overrides, and its scenario paths (read by the caller)."""
    from agents.sim.scenario import STRATEGIES
    from matching.mechanisms import MECHANISMS

    seeds = _seeds(t)
    allocations = _names(t, "allocations", ALLOCATIONS, ["market"])
    for allocation in allocations:
        reason = unsupported(allocation)
        if reason is not None:
            t.fail(f"study.allocations: {reason}")
    study = Study(
        name=t.string("name"),
        source=source,
        scenarios=(),  # read by _with_scenarios
        mechanisms=tuple(_names(t, "mechanisms", MECHANISMS, [None])),
        allocations=tuple(allocations),
        strategies=tuple(_names(t, "strategies", (AS_SCENARIO, *STRATEGIES), [AS_SCENARIO])),
        seeds=seeds,
        days=_optional_integer(t, "days"),
        start=_date(t, "start"),
        group_size=_optional_integer(t, "group_size"),
        confidence=_confidence(t),
    )
    paths = t.raw("scenarios")
    if not isinstance(paths, list) or not paths:
        t.fail(f"study.scenarios must be a non-empty array of paths, was {show(paths)}")
    for path in paths:
        if not isinstance(path, str) or not path.strip():
            t.fail(f"study.scenarios: each must be a path, was {show(path)}")
    runs = len(paths) * study.cells_per_scenario * len(study.seeds)
    if runs > MAX_RUNS:
        t.fail(f"the grid has {runs:,} runs, more than {MAX_RUNS:,}; fewer seeds or axes")
    return study, paths


def _names(t: Table, key: str, choices: tuple, default: list) -> list:
    """A non-empty array of distinct names from ``choices``, or ``default`` when absent."""
    value = t.raw(key, None)
    if value is None:
        return default
    label = t.label(key)
    if not isinstance(value, list) or not value:
        t.fail(f"{label} must be a non-empty array, was {show(value)}")
    for name in value:
        if name not in choices:
            shown = ", ".join(str(c) for c in choices)
            t.fail(f"{label}: each must be one of {shown}, was {show(name)}")
    if len(set(value)) != len(value):
        t.fail(f"{label} names {_first_repeat(value)} twice")
    return list(value)


def _seeds(t: Table) -> tuple[int, ...]:
    value = t.raw("seeds")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            t.fail(f"study.seeds as a count must be >= 1, was {value}")
        return tuple(range(value))
    if not isinstance(value, list) or not value:
        t.fail(f"study.seeds must be a count or a non-empty array of integers, was {show(value)}")
    for seed in value:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            t.fail(f"study.seeds: each must be an integer >= 0, was {show(seed)}")
    if len(set(value)) != len(value):
        t.fail(f"study.seeds names {_first_repeat(value)} twice")
    return tuple(value)


def _optional_integer(t: Table, key: str) -> int | None:
    """An integer >= 1, or None when absent (the scenario's own)."""
    return t.integer(key, 1) if t.raw(key, None) is not None else None


def _date(t: Table, key: str) -> dt.date | None:
    value = t.raw(key, None)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    t.fail(f"{t.label(key)} must be a date YYYY-MM-DD, was {show(value)}")


def _confidence(t: Table) -> float:
    value = t.raw("confidence", 0.95)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        t.fail(f"study.confidence must be a number between 0 and 1, was {show(value)}")
    return float(value)


def _first_repeat(values: list) -> str:
    seen: set = set()
    for value in values:
        if value in seen:
            return show(value)
        seen.add(value)
    raise AssertionError("no repeat")


def _with_scenarios(study: Study, base_dir: Path, paths: list[str]) -> Study:
    """Read every scenario and load it once under each mechanism with the first seed, so a
    bad scenario or a mechanism it cannot take stops the study before any run."""
    from agents.sim.scenario import ScenarioError, parse_scenario

    files: list[ScenarioFile] = []
    for raw in paths:
        path = base_dir / raw
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise StudyError(
                f"{study.source}: study.scenarios: cannot read {path}: {exc.strerror or exc}"
            ) from None
        except UnicodeDecodeError:
            raise StudyError(f"{study.source}: study.scenarios: {path} is not UTF-8") from None
        label = path.stem
        if any(f.label == label for f in files):
            raise StudyError(
                f"{study.source}: study.scenarios: two scenarios are named {label!r} "
                "(the file name is the scenario's label in the table)"
            )
        scenario = ScenarioFile(label, str(path), text, str(path.parent.resolve()))
        for mechanism in study.mechanisms:
            try:
                parse_scenario(
                    text,
                    str(path),
                    path.parent,
                    days=study.days,
                    seed=study.seeds[0],
                    group_size=study.group_size,
                    start=study.start,
                    mechanism=mechanism,
                )
            except ScenarioError as exc:
                raise StudyError(f"{study.source}: study.scenarios: {exc}") from None
        files.append(scenario)
    return dataclasses.replace(study, scenarios=tuple(files))
