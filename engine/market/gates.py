"""One ticker for the markets of many clusters: gate closures of a storm, cleared one
cluster after the other while the journals commit.

Every cluster of a server whose gates close at the same quarter hour (all of them, on the
usual calendar) has its gate closure due at the same instant. A ticker per cluster would
see it at its own phase of the 0.5 s tick, so the last result would come up to a tick late,
and the clearings would still queue on the one event loop. :class:`GateTicker` instead wakes
on the wall clock's tick boundaries (a gate at a whole second is seen as it passes) and
closes the due gates of every cluster in one pass, yielding to the loop after each
cluster: the cluster's :class:`~engine.market.events.GateClosed` is handed to its own
journal's writer thread (the commit and its fsync run beside the next cluster's clearing,
outside the interpreter lock) and its waiters and streams are served before the next
clearing starts. Clearing is CPU bound (numba kernels) and runs on the loop's thread: the
commits, not the clearings, are what runs in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from engine.market.runtime import TICK_SECONDS, Runtime


async def close_due_gates(runtimes: Sequence[Runtime]) -> None:
    """Close every due gate of every runtime, one runtime at a time, yielding to the loop
    after each (see the module docstring)."""
    for runtime in runtimes:
        runtime.tick_once()
        await asyncio.sleep(0)


class GateTicker:
    """Ticks for ``runtimes`` (started with ``tick=False``) from :meth:`start` to
    :meth:`stop`."""

    def __init__(self, runtimes: Sequence[Runtime], tick_seconds: float = TICK_SECONDS) -> None:
        self.runtimes = list(runtimes)
        self.tick_seconds = tick_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gate-ticker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await close_due_gates([r for r in self.runtimes if r.failure is None])
            # Wake at the next tick boundary of the wall clock (a gate instant is one).
            await asyncio.sleep(self.tick_seconds - time.time() % self.tick_seconds)
