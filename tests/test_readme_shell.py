"""The README's shell examples of "The engine" and "Serving" run as written, with bash.

One change is made to them: the port. The README's examples talk to ``127.0.0.1:8080``; the
test serves on a free port and puts it in their place, so that a busy 8080 on the machine
cannot fail the test. Everything else (the ``data`` directory in the working directory, the
demo tokens file, the ``klaster`` command on ``PATH``) is as a reader has it after the
README's first command. Synopsis blocks (options in brackets) are ```text, not ```sh. The
other ```sh blocks are the install and test commands, which ``.ci/run`` runs itself, and the
benchmark command, which no test runs (it takes minutes).

Order: ``klaster serve`` of the demo on ``data``; the "Serving" blocks (members, then curl)
while it runs; after it stopped, "The engine" block (audit, replay) on the journal it wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import start_server, wait_ready

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
README_URL = "http://127.0.0.1:8080"


def shell_blocks(section: str) -> list[str]:
    """The ```sh blocks of the README's ``## section``."""
    parts = re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.M)
    (body,) = [p for p in parts if p.startswith(section + "\n")]
    return SHELL_BLOCK.findall(body)


def documents(text: str) -> list[dict]:
    """The JSON documents printed one after another (curl adds no newline)."""
    decoder, out, at = json.JSONDecoder(), [], 0
    while at < len(text):
        document, at = decoder.raw_decode(text, at)
        out.append(document)
        while at < len(text) and text[at].isspace():
            at += 1
    return out


def run_bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``script`` with bash -e in ``cwd``, the interpreter's ``bin`` (its ``klaster``) first
    on ``PATH``."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=os.environ | {"PATH": path},
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.slow
def test_the_shell_examples_of_the_engine_and_serving_run_as_written(tmp_path: Path) -> None:
    assert shutil.which("curl"), "the README's examples use curl"
    assert shutil.which("klaster", path=str(Path(sys.executable).parent)), "pip install -e ."
    members, requests = shell_blocks("Serving")
    (audit,) = shell_blocks("The engine")
    server = start_server(tmp_path / "data")
    try:
        wait_ready(server)
        done = run_bash(members, tmp_path)
        assert done.returncode == 0, done.stderr
        issued, *listed = done.stdout.splitlines()
        assert len(issued.split()[-1]) >= 40  # the new token, printed once
        assert any(line.startswith("dom-02") for line in listed)

        done = run_bash(requests.replace(README_URL, server.url), tmp_path)
        assert done.returncode == 0, done.stderr
        index, me, page = documents(done.stdout)
        assert index["openapi"] == "/v1/openapi.json"
        assert me["member_id"] == "dom-01" and me["connection_points"]
        assert page == {"orders": [], "next_cursor": None}
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()

    done = run_bash(audit, tmp_path)
    assert done.returncode == 0, done.stderr
    verified, head, replayed = documents(done.stdout)
    assert verified["ok"] and replayed["ok"]
    assert head["seq"] == verified["events"] == replayed["events"]
