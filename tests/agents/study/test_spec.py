"""STUDY.toml is read strictly: every axis checked, every scenario loaded under each
mechanism before any run, and errors name the file, the field and what was found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agents.study.allocation import ALLOCATIONS, scenario_overrides, unsupported
from agents.study.grid import runs
from agents.study.spec import AS_SCENARIO, StudyError, load_study, parse_study
from tests import REPO
from tests.agents.study.support import STUDY, write_study


def test_a_small_study_reads_its_axes_and_lays_out_the_grid_in_order(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path))
    assert study.name == "small"
    assert [s.label for s in study.scenarios] == ["small"]
    assert study.mechanisms == ("uniform", "trade-reduction")
    assert study.allocations == ("market",) and study.strategies == (AS_SCENARIO,)
    assert study.seeds == (3, 4) and study.days == 1 and study.confidence == 0.95
    assert study.size == 4
    keys = [(r.mechanism, r.seed) for r in runs(study)]
    assert keys == [("uniform", 3), ("uniform", 4), ("trade-reduction", 3), ("trade-reduction", 4)]


def test_seeds_as_a_count_and_the_overrides_are_read(tmp_path: Path) -> None:
    text = STUDY.replace("seeds = [3, 4]", "seeds = 3\nstart = 2026-12-21\ngroup_size = 2")
    study = load_study(write_study(tmp_path, text.replace("days = 1", "days = 2")))
    assert study.seeds == (0, 1, 2)
    assert (study.start, study.days, study.group_size) == (dt.date(2026, 12, 21), 2, 2)


def test_the_shipped_example_study_loads() -> None:
    study = load_study(REPO / "agents" / "studies" / "mechanisms.toml")
    assert study.mechanisms == ("uniform", "pay-as-bid", "pair-midpoint", "trade-reduction")
    assert [s.label for s in study.scenarios] == ["zywiec"] and study.size == 20


@pytest.mark.parametrize(
    "change, message",
    [
        (("[study]", "[studies]"), 'unknown table or key "studies"; expected [study]'),
        (("days = 1", "dayz = 1"), 'unknown key "study.dayz" (did you mean "study.days"?)'),
        (('name = "small"', ""), "study.name is required"),
        (("seeds = [3, 4]", "seeds = [3, 3]"), "study.seeds names 3 twice"),
        (("seeds = [3, 4]", "seeds = 0"), "study.seeds as a count must be >= 1, was 0"),
        (("seeds = [3, 4]", "seeds = [-1]"), "study.seeds: each must be an integer >= 0, was -1"),
        (("seeds = [3, 4]", 'seeds = "3"'), "study.seeds must be a count or a non-empty array"),
        (
            ('"trade-reduction"]', '"vickrey"]'),
            "study.mechanisms: each must be one of uniform, pay-as-bid, pair-midpoint, "
            'trade-reduction, was "vickrey"',
        ),
        (
            ("days = 1", 'days = 1\nstrategies = ["greedy"]'),
            "study.strategies: each must be one of scenario, truthful, zic, zip, ramp, "
            'was "greedy"',
        ),
        (("days = 1", "days = 0"), "study.days"),
        (("days = 1", "days = 1\nconfidence = 95"), "study.confidence must be a number between"),
        (
            ("days = 1", 'days = 1\nstart = "1 June"'),
            'study.start must be a date YYYY-MM-DD, was "1 June"',
        ),
        (('["small.toml"]', "[]"), "study.scenarios must be a non-empty array of paths"),
        (('["small.toml"]', '["gone.toml"]'), "study.scenarios: cannot read"),
        (
            ('["small.toml"]', '["small.toml", "./small.toml"]'),
            "two scenarios are named 'small'",
        ),
        (("seeds = [3, 4]", "seeds = 60000"), "the grid has 120,000 runs, more than 100,000"),
        (("days = 1", "days = 1\n[other]"), 'unknown table or key "other"'),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_bad_study_is_refused_naming_the_file_and_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write_study(tmp_path, STUDY.replace(*change))
    with pytest.raises(StudyError) as info:
        load_study(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_a_scenario_that_fails_to_load_is_named_before_any_run(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    (tmp_path / "small.toml").write_text("[scenario]\nname = 1\n")
    with pytest.raises(StudyError, match=r"study\.toml: study\.scenarios: .*small\.toml"):
        load_study(path)


def test_text_that_is_not_toml_is_refused() -> None:
    with pytest.raises(StudyError, match="^s.toml: not valid TOML"):
        parse_study("[study", "s.toml")


def test_every_allocation_goes_to_the_loader_and_an_unknown_one_is_refused(
    tmp_path: Path,
) -> None:
    for mode in ALLOCATIONS:
        assert unsupported(mode) is None and scenario_overrides(mode) == {"allocation": mode}
    with pytest.raises(ValueError, match="must be one of"):
        scenario_overrides("auction")
    text = STUDY.replace("days = 1", 'days = 1\nallocations = ["market", "key_then_market"]')
    assert load_study(write_study(tmp_path, text)).allocations == ("market", "key_then_market")
    with pytest.raises(StudyError, match="must be one of market, key, key_then_market"):
        load_study(write_study(tmp_path, text.replace("key_then_market", "auction")))
