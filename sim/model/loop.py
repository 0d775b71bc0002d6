"""The event loop: SimPy's environment, with first attempts fed in without an event each.

``ModelEnvironment`` is the one class of the model that touches SimPy's clock and heap
(``_now``, ``_queue``, ``_eid``); everything else reads ``env.now`` and schedules through
``env.schedule`` (or ``sim.model.events.Callback``), or, on the hot path of a centre, pushes
an entry built by the loop's own rule onto ``env.heap`` (see ``ModelEnvironment.heap``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from heapq import heappop, heappush

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT

from sim.domain.errors import SimulationError


class ModelEnvironment(simpy.Environment):
    """SimPy's environment, fed a pre-drawn stream of arrivals without an event per arrival.

    First-attempt arrival times are known before the run (drawn in numpy blocks), so instead of
    scheduling each one as an event the loop interleaves them with SimPy's event queue: it steps
    the queue while its next event is due no later than the next arrival (at equal times,
    scheduled events such as a seat freeing come first), then advances the clock to the
    arrival and hands it to the model.

    ``now`` is a plain attribute here, not SimPy's property: the loop sets it with ``_now``
    (in ``step`` and ``run_with_arrivals``), so the model's many reads of the clock are
    attribute reads, not calls.

    ``heap`` and ``next_eid`` are SimPy's event heap and event-id counter under public names,
    for the hot path of a centre: ``heappush(env.heap, (env.now + delay, NORMAL, next_eid(),
    event))`` is exactly what ``schedule`` does, without a Python call (the caller guarantees
    ``delay >= 0``).
    """

    # ``now`` shadows ``simpy.Environment.now`` (a property) with a slot, set with ``_now``: a
    # slot read is specialised by the interpreter (a class attribute would defeat that).
    __slots__ = ("now", "heap", "next_eid")

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.now = self._now
        self.heap = self._queue
        self.next_eid = self._eid.__next__

    def schedule(self, event, priority=NORMAL, delay=0.0) -> None:
        """Schedule ``event`` ``delay`` seconds from now; an event in the past is a model bug."""
        if delay < 0:
            raise SimulationError(f"event scheduled {-delay:g} s in the past at t={self._now:g}")
        heappush(self._queue, (self._now + delay, priority, next(self._eid), event))

    def step(self) -> None:
        """Process the next event: SimPy's ``step``, keeping ``now`` equal to ``_now``."""
        try:
            when, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = self._now = when
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1:]
            self.schedule(event, URGENT - 1)
            raise
        if not event._ok and not hasattr(event, "_defused"):
            _crash(event)

    def run_with_arrivals(self, times: Sequence[float], arrive: Callable[[int], None]) -> None:
        """Process ``arrive(i)`` at ``times[i]`` (sorted) among the scheduled events, then run on.

        The events due before an arrival are processed here as ``step`` would process them
        (inlined: one Python call less per event). The cyclic garbage collector is paused for
        the run: the model allocates a few objects per caller and keeps every record, so the
        collector would otherwise traverse the growing record list again and again, finding
        nothing (the model's objects form no cycles on the common path; any it does form are
        collected when the run ends).
        """
        paused = gc.isenabled()
        gc.disable()
        try:
            self._run_with_arrivals(times, arrive)
        finally:
            if paused:
                gc.enable()

    def _run_with_arrivals(self, times: Sequence[float], arrive: Callable[[int], None]) -> None:
        queue = self._queue
        for i in range(len(times)):  # (range and a list index: both specialised, unlike enumerate)
            t = times[i]
            while queue and queue[0][0] <= t:
                when, _, _, event = heappop(queue)
                self.now = self._now = when
                callbacks, event.callbacks = event.callbacks, None
                if len(callbacks) == 1:  # the model's events: no iterator to allocate
                    callbacks[0](event)
                else:
                    for callback in callbacks:
                        callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    _crash(event)
            self.now = self._now = t  # never back: times are sorted and events run only up to ``t``
            arrive(i)
        self.run()


def _crash(event) -> None:
    """Raise a failed, undefused event's exception, as SimPy's ``step`` does."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    raise exc
