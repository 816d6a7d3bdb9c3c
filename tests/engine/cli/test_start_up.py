"""A ``klaster`` command loads only what it needs: ``--help`` of every command (the agents'
plugins included) and ``--version`` start without numpy, numba, aiohttp, msgspec or asyncio,
and without the engine's config, store and market packages.

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
# Each costs tens of milliseconds; --help and the plugins' entry points need none of them
# (engine/cli/plugins.py reads the entry points itself).
HEAVY_MODULES = ("importlib.metadata", "email", "tempfile", "decimal")
# What a command reads when it runs: a cluster config, a journal, the market.
ENGINE_ROOMS = ("engine.config", "engine.store", "engine.market", "engine.gateway")

# Run the command line in-process, then print the top-level packages it has imported.
PROBE = """
import sys
from engine.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print("MODULES", *sorted(sys.modules), file=sys.stderr)
"""


def imported_modules(*args: str) -> set[str]:
    """The modules a fresh ``klaster ARGS`` has imported when it ends."""
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


def imported_packages(*args: str) -> set[str]:
    """The top-level packages a fresh ``klaster ARGS`` has imported when it ends."""
    return {name.split(".")[0] for name in imported_modules(*args)}


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
    modules = imported_modules(*args)
    imported = {name.split(".")[0] for name in modules}
    assert "engine.cli.main" in modules  # the probe ran the command line
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))
    if "--help" in args:  # (--version asks the installed metadata)
        assert modules.isdisjoint(HEAVY_MODULES), sorted(modules & set(HEAVY_MODULES))
    engine_rooms = {name for name in modules if name.startswith(ENGINE_ROOMS)}
    assert not engine_rooms, sorted(engine_rooms)


def test_clear_loads_the_kernels_but_not_the_server(tmp_path) -> None:
    imported = imported_packages("clear", str(REPO / "matching" / "examples" / "book.csv"))
    assert {"numpy", "numba"} <= imported
    assert imported.isdisjoint({"aiohttp", "msgspec", "asyncio"})
