"""``benchmarks/clearing_floor.py`` runs as the README says, and its pieces are the
clearing's own work: before timing anything it checks that its walks give the values and
the trades that ``clear`` gives, so a floor it prints is a floor of the real computation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_floor_script_checks_its_pieces_and_prints_a_floor_per_mechanism() -> None:
    run = subprocess.run(
        [sys.executable, "benchmarks/clearing_floor.py", "--sizes", "2e3", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr  # an AssertionError there: a walk disagreed
    assert "dispatch targets on this CPU" in run.stdout
    for mechanism in ("pay-as-bid", "pair-midpoint", "uniform+trades"):
        (line,) = [x for x in run.stdout.splitlines() if x.strip().startswith(f"floor {mechanism}")]
        one, two, measured = [float(word[:-1]) for word in line.split() if word.endswith("x")]
        assert one >= two > 0  # two ideal threads never cost more than one
        assert measured > 0
