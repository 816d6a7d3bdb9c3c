"""Which asyncio event loop a benchmark's processes run, so that a comparison is honest.

uvloop serves a bare aiohttp handler ~1.6x faster than asyncio's selector loop on this
machine (README, gateway section): a baseline on one loop and klaster on the other would
skew the ratio. ``klaster serve`` picks no loop policy itself, so it runs whatever
``asyncio.run`` gives; to see that from outside, :func:`loop_of_process` looks for uvloop's
extension module among the libraries the server process has mapped (Linux ``/proc``).
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path


def uvloop_installed() -> bool:
    """Whether this interpreter (the one the servers run on) can import uvloop."""
    return importlib.util.find_spec("uvloop") is not None


def loop_of_process(pid: int) -> str:
    """``"uvloop"`` if process ``pid`` has uvloop's extension loaded, ``"asyncio"`` if not,
    ``"unknown"`` where ``/proc/PID/maps`` cannot be read (not Linux)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return "unknown"
    return "uvloop" if "/uvloop/" in maps else "asyncio"


def running_loop_name() -> str:
    """``module.Class`` of the running loop (call inside a coroutine)."""
    loop = type(asyncio.get_running_loop())
    return f"{loop.__module__}.{loop.__qualname__}"
