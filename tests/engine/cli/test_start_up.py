"""A ``klaster`` command loads only what it needs: ``--help`` of every command (the agents'
plugins included) and ``--version`` start without numpy, numba, aiohttp, msgspec or asyncio.

Asserted on the modules a fresh interpreter has imported, never on wall-clock time (the
times are in ``benchmarks/clear_cli.py``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import REPO

# Each costs tens to hundreds of milliseconds to import; none is needed to print help.
HEAVY = ("numpy", "numba", "llvmlite", "aiohttp", "msgspec", "asyncio", "pandas", "pvlib")

# Run the command line in-process, then print the top-level packages it has imported.
PROBE = """
import sys
from engine.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print("MODULES", *sorted({name.split(".")[0] for name in sys.modules}), file=sys.stderr)
"""


def imported_packages(*args: str) -> set[str]:
    """The top-level packages a fresh ``klaster ARGS`` has imported when it ends."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("MODULES "), done.stderr
    return set(line.split()[1:])


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("clear", "--help"),
        ("serve", "--help"),
        ("replay", "--help"),
        ("audit", "verify", "--help"),
        ("members", "list", "--help"),
        ("simulate", "--help"),
        ("loadtest", "--help"),
    ],
    ids=" ".join,
)
def test_help_loads_no_heavy_package(args: tuple[str, ...]) -> None:
    imported = imported_packages(*args)
    assert "engine" in imported  # the probe ran the command line
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def test_clear_loads_the_kernels_but_not_the_server(tmp_path) -> None:
    imported = imported_packages("clear", str(REPO / "matching" / "examples" / "book.csv"))
    assert {"numpy", "numba"} <= imported
    assert imported.isdisjoint({"aiohttp", "msgspec", "asyncio"})
