"""Where a study's runs execute: in this process, on a pool of local processes, or on Ray.

Each executor takes the runs in grid order and returns their rows in that same order,
whatever order they finish in; ``progress(done, total, row)`` hears of each as it finishes.
The rows do not depend on the executor (:mod:`agents.study.grid`): a study's serial, pool
and Ray runs give the same table, row for row.

- :func:`run_serial`: one run after the other here (``--workers 1``).
- :func:`run_pool`: a :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers``
  processes, started with ``spawn`` (the same on every platform; no copy of a parent's
  threads or numba state): each loads the clearing kernels from numba's cache once.
- :func:`run_ray`: one Ray task per run on the cluster at ``address`` (``"local"``: start
  one on this machine), the researcher's way past one machine. Ray is an extra
  (``pip install 'klaster[ray]'``); every node needs klaster with its ``sim`` extra. A
  Ray session already started in this process (``ray.init`` by the caller) is used as it is
  and left running.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from agents.study.grid import Run, run_one

Row = dict[str, Any]
Progress = Callable[[int, int, Row], None]  # (runs done, runs in all, the row just done)


def _warm_worker() -> None:
    """Compile (or load from the cache) the clearing kernels before the first run."""
    from matching import warm_up

    warm_up()


def run_serial(runs: Sequence[Run], progress: Progress | None = None) -> list[Row]:
    """Run every run here, one after the other."""
    rows = []
    for run in runs:
        rows.append(run_one(run))
        if progress is not None:
            progress(len(rows), len(runs), rows[-1])
    return rows


def run_pool(runs: Sequence[Run], workers: int, progress: Progress | None = None) -> list[Row]:
    """Run the runs on ``workers`` local processes (1: :func:`run_serial`)."""
    if workers <= 1 or len(runs) <= 1:
        return run_serial(runs, progress)
    rows: list[Row | None] = [None] * len(runs)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        min(workers, len(runs)), mp_context=context, initializer=_warm_worker
    ) as pool:
        futures = {pool.submit(run_one, run): i for i, run in enumerate(runs)}
        for done, future in enumerate(as_completed(futures), 1):
            rows[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(runs), future.result())
    return rows  # type: ignore[return-value]  # every slot filled above


def run_ray(
    runs: Sequence[Run],
    address: str,
    progress: Progress | None = None,
    num_cpus: int | None = None,
) -> list[Row]:
    """Run the runs as Ray tasks on the cluster at ``address`` (``"local"``: a new local
    one with ``num_cpus`` CPUs, default all)."""
    import ray  # the ray extra: only a Ray study pays for it

    started = not ray.is_initialized()
    if started:
        local = address == "local"
        ray.init(
            address=None if local else address,
            num_cpus=num_cpus if local else None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        remote = ray.remote(run_one)
        refs = [remote.remote(run) for run in runs]
        index = {ref: i for i, ref in enumerate(refs)}
        rows: list[Row | None] = [None] * len(runs)
        waiting, done = list(refs), 0
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            for ref in ready:
                row = ray.get(ref)
                rows[index[ref]] = row
                done += 1
                if progress is not None:
                    progress(done, len(runs), row)
        return rows  # type: ignore[return-value]  # every slot filled above
    finally:
        if started:
            ray.shutdown()
