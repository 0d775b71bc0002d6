"""Progress of a run in simulated hours: within replications, across processes, then phases.

Workers report ``(replication, hour)`` as the model's hour tick passes (``Network.on_hour``);
``run_replications`` turns them into the fraction of the replication simulated, and
``ReplicationProgress`` into fractional steps of a bar counting replications, so the bar moves
within a replication, not only between them. A replication that reports nothing (e.g. on a Dask
cluster) moves the bar by one step when it completes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sim.scenario.schema import Scenario

# Share of a replication's wall time spent simulating (the rest summarises the records and
# compresses them); measured with `hotline bench model` on the baseline week.
SIMULATE_SHARE = 0.5


def replication_hours(scenario: Scenario) -> int:
    """Simulated hours of one replication (horizon plus drain), the bar's unit of work."""
    return max(1, math.ceil(scenario.horizon_hours + scenario.drain_hours))


class ReplicationProgress:
    """Feeds a progress bar counting replications, ``advance(n)``, with fractional steps from
    per-replication progress reports, so it moves within a replication."""

    def __init__(self, advance: Callable[[float], object]) -> None:
        self.advance = advance
        self._seen: dict[int, float] = {}

    def progress(self, replication: int, fraction: float) -> None:
        """Replication ``replication`` has simulated ``fraction`` (0–1) of its hours."""
        fraction = min(fraction, 1.0)
        delta = fraction - self._seen.get(replication, 0.0)
        if delta > 0:
            self._seen[replication] = fraction
            self.advance(delta)

    def done(self, replication: int) -> None:
        """Replication ``replication`` has finished: complete its step, ready for the next run
        (a variant, a sweep point) that reuses the index."""
        self.progress(replication, 1.0)
        self._seen.pop(replication, None)


@contextmanager
def ticking(refresh: Callable[[], object], every: float = 0.5) -> Iterator[None]:
    """Call ``refresh()`` every ``every`` seconds while the block runs (a bar's elapsed time
    keeps moving through a phase that reports nothing itself, such as rendering the report)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            refresh()

    thread = threading.Thread(target=loop, name="progress-refresh", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
