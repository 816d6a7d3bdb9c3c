"""What the disk allows: the latency of one ``fdatasync`` in a directory's filesystem.

A durable acknowledgement waits for one flush of the journal, so ``connections`` clients
that each wait for their answer cannot get more than ``connections / fdatasync`` answers a
second, however fast the server's code; a baseline that writes nothing has no such bound.
The HTTP ratio prints this bound beside its figures so that a low ratio on a slow disk is
read as the disk's, not the code's.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path


def fdatasync_seconds(directory: Path, samples: int = 50, size: int = 512) -> float:
    """Median time [s] of appending ``size`` bytes to a file in ``directory`` and
    ``fdatasync``-ing it (what one group commit of a few orders costs the disk)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "fdatasync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    try:
        for _ in range(samples):
            os.write(fd, b"\0" * size)
            started = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink()
    return statistics.median(times)
