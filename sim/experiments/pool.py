"""The local process pool for replications: workers that die with the run that started them.

``ProcessPoolExecutor`` workers outlive a parent killed with SIGKILL (they block on their task
queue for ever, holding their memory). Each worker therefore asks Linux to kill it when its
parent dies (``PR_SET_PDEATHSIG``), and exits at once if the parent is already gone. Workers
also send ``(replication, hour)`` reports through a queue so the parent's progress bar can move
within a replication.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

_hours = None  # in a worker: the queue of hour reports, when the parent follows them


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux; elsewhere a
    no-op), and exit now if ``parent`` has already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, sig)
    if os.getppid() != parent:
        os._exit(1)


def _init_worker(parent: int, hours) -> None:
    global _hours
    die_with_parent(parent)
    _hours = hours


def _report_hour(index: int, hour: int) -> None:
    _hours.put((index, hour))


def _task(fn: Callable[..., Any], args: tuple) -> Any:
    return fn(*args, on_hour=_report_hour if _hours is not None else None)


def run_in_pool(fn: Callable[..., Any], tasks: Sequence[tuple], jobs: int,
                on_result: Callable[[int, Any], None],
                on_hour: Callable[[int, int], None] | None = None) -> None:
    """Run ``fn(*task, on_hour=...)`` for every task in ``jobs`` worker processes.

    ``on_result(i, value)`` is called as task ``i`` completes, ``on_hour(index, hour)`` for each
    hour report, both in this process. An error or Ctrl-C cancels the tasks not yet started.
    """
    ctx = multiprocessing.get_context()
    hours = ctx.SimpleQueue() if on_hour is not None else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(os.getpid(), hours)) as pool:
        futures = {pool.submit(_task, fn, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                _drain(hours, on_hour)
                for future in sorted(finished, key=futures.__getitem__):
                    on_result(futures[future], future.result())
        except BaseException:
            _stop_now(pool)
            raise


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks and end the running ones: after Ctrl-C or an error the run does
    not wait for replications whose results nobody will read."""
    workers = list(getattr(pool, "_processes", {}).values())  # private, stable since 3.2
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        if process.is_alive():
            process.terminate()


def _drain(hours, on_hour: Callable[[int, int], None] | None) -> None:
    while hours is not None and not hours.empty():
        on_hour(*hours.get())
