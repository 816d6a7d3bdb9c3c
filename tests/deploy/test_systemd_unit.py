"""deploy/klaster.service: systemd's own check (``systemd-analyze verify``, with the
unit's executable pointed at this checkout's ``klaster``), its sandbox, and its ExecStart
options against ``klaster serve --help``.

``systemd-analyze`` comes with the Debian package ``systemd``; ``.ci/run`` installs it."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import REPO
from tests.deploy.stack import DEPLOY, long_options, serve_help_options

UNIT = DEPLOY / "klaster.service"
INSTALLED = "/opt/klaster/bin/klaster"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(UNIT.read_text())
    return parser


def test_the_unit_runs_klaster_serve_with_options_it_has() -> None:
    command = shlex.split(unit()["Service"]["ExecStart"])
    assert command[:2] == [INSTALLED, "serve"]
    options = long_options(command[2:])
    assert "--data" in options and set(options) <= serve_help_options()


def test_the_unit_is_sandboxed_but_lets_numba_compile() -> None:
    service = unit()["Service"]
    assert service["DynamicUser"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes"
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    data = shlex.split(service["ExecStart"])
    data_dir = data[data.index("--data") + 1]
    assert data_dir.startswith(service["ReadWritePaths"])
    assert service["CacheDirectory"] == "klaster"  # /var/cache/klaster, writable
    assert "NUMBA_CACHE_DIR=/var/cache/klaster/numba" in service["Environment"].split()
    # numba's JIT needs writable-then-executable memory: the one option that would kill it.
    assert "MemoryDenyWriteExecute" not in service


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is absent (apt-get install systemd; .ci/run installs it)")
    launcher = tmp_path / "klaster"  # the unit's executable, here: this checkout's klaster
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} -m engine "$@"\n')
    launcher.chmod(0o755)
    copy = tmp_path / "klaster.service"
    copy.write_text(UNIT.read_text().replace(INSTALLED, str(launcher)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "klaster.service" not in done.stderr, done.stderr  # no warning about the unit
