"""Run a command on a pseudo-terminal (:mod:`pty`), as a user at a terminal would: what it
says only on a terminal (status lines) shows there."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Sequence


def run_in_terminal(args: Sequence[str], timeout: float = 120.0) -> tuple[int, str]:
    """Run ``args`` with stdin, stdout and stderr one pseudo-terminal; return the exit code
    and everything written to the terminal (its newlines as ``\\r\\n``)."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(args, stdin=terminal, stdout=terminal, stderr=terminal)
    finally:
        os.close(terminal)  # the child holds it now: EOF once the child is gone
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                process.kill()
                process.wait(10)
                raise TimeoutError(f"{args} still ran after {timeout} s")
            if not select.select([controller], [], [], left)[0]:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO on Linux: no process holds the terminal any more
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(controller)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")
