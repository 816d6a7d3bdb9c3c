"""Run ``klaster`` as an install without the ``sim`` extra would: a ``sitecustomize`` on
``PYTHONPATH`` makes every import of the extra's packages fail, as if they were missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sim_packages() -> list[str]:
    """The import names of the ``sim`` extra's distributions (the same names here)."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = extra["optional-dependencies"]["sim"]
    return sorted(re.match(r"[A-Za-z0-9_.-]+", r).group().lower() for r in requirements)


def poisoned_path(tmp_path: Path) -> str:
    """A ``PYTHONPATH`` under which importing any package of the extra fails."""
    site = tmp_path / "without-sim"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(
        "import sys\n"  # None in sys.modules: `import pvlib` raises ModuleNotFoundError
        f"sys.modules.update(dict.fromkeys({sim_packages()!r}))\n"
    )
    return os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])


def klaster_without_sim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m engine ARGS`` without the extra, in ``tmp_path``; 60 s at most."""
    env = os.environ | {"PYTHONPATH": poisoned_path(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
