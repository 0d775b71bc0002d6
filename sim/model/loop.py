"""The event loop: SimPy's environment, with first attempts fed in without an event each.

``ModelEnvironment`` is the one class of the model that touches SimPy's clock and heap
(``_now``, ``_queue``, ``_eid``); everything else reads ``env.now`` and schedules through
``env.schedule`` (or ``sim.model.events.Callback``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from heapq import heappush

import simpy
from simpy.events import NORMAL

from sim.domain.errors import SimulationError


class ModelEnvironment(simpy.Environment):
    """SimPy's environment, fed a pre-drawn stream of arrivals without an event per arrival.

    First-attempt arrival times are known before the run (drawn in numpy blocks), so instead of
    scheduling each one as an event the loop interleaves them with SimPy's event queue: it steps
    the queue while its next event is due no later than the next arrival (at equal times,
    scheduled events such as a seat freeing come first), then advances the clock to the
    arrival and hands it to the model.
    """

    def schedule(self, event, priority=NORMAL, delay=0.0) -> None:
        """Schedule ``event`` ``delay`` seconds from now; an event in the past is a model bug."""
        if delay < 0:
            raise SimulationError(f"event scheduled {-delay:g} s in the past at t={self._now:g}")
        heappush(self._queue, (self._now + delay, priority, next(self._eid), event))

    def run_with_arrivals(self, times: Sequence[float], arrive: Callable[[int], None]) -> None:
        """Process ``arrive(i)`` at ``times[i]`` (sorted) among the scheduled events, then run on."""
        queue = self._queue
        step = self.step
        i, n = 0, len(times)
        while i < n:
            t = times[i]
            if queue and queue[0][0] <= t:
                step()
                continue
            self._now = t  # never back: times are sorted and events run only up to ``t``
            arrive(i)
            i += 1
        self.run()
