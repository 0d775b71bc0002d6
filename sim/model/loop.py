"""The event loop: SimPy's environment, with first attempts fed in without an event each.

``ModelEnvironment`` is the one class of the model that touches SimPy's clock and heap
(``_now``, ``_queue``); everything else reads ``env.now`` and schedules through
``env.call_after`` (``sim.model.events.Callback``) or ``env.schedule`` (any SimPy event), or,
on the hot path of a centre, pushes an entry built by the loop's own rule onto ``env.heap``
(see ``ModelEnvironment.heap``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from heapq import heapify, heappop, heappush
from itertools import count

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT

from sim.domain.errors import SimulationError

# The order of entries at equal times, as SimPy's ``(priority, event id)``, in one int: each
# priority draws its keys from a counter of its own range, below the ranges of later priorities
# (``URGENT - 1`` is what ``step`` gives an event stopped by ``StopSimulation``). Within a
# priority the keys grow in the order of scheduling, as SimPy's event ids do.
INF = float("inf")
_KEY_START = {URGENT - 1: -(1 << 62), URGENT: -(1 << 61), NORMAL: 0}


class ModelEnvironment(simpy.Environment):
    """SimPy's environment, fed a pre-drawn stream of arrivals without an event per arrival.

    First-attempt arrival times are known before the run (drawn in numpy blocks), so instead of
    scheduling each one as an event the loop interleaves them with its event heap: it processes
    the heap while its next entry is due no later than the next arrival (at equal times,
    scheduled events such as a seat freeing come first), then advances the clock to the
    arrival and hands it to the model.

    A heap entry is ``(time, key, fn, arg)``: at ``time`` the loop calls ``fn(arg)``. ``key``
    orders entries at equal times exactly as SimPy's ``(priority, event id)`` does (see
    ``_KEY_START``) and is unique, so the comparison never reaches ``fn``. The model's own
    timers are entries of their handler and their call (``call_after``); a SimPy event
    scheduled with ``schedule`` is an entry of ``_fire``, which runs its callbacks as SimPy's
    ``step`` does.

    ``now`` is a plain attribute here, not SimPy's property, and SimPy's ``_now`` a property
    reading it: the loop sets only ``now`` (in ``step`` and ``run_with_arrivals``), so the
    model's many reads of the clock are attribute reads, not calls.

    ``heap`` is the event heap and ``next_eid`` the key counter of ``NORMAL`` entries, for the
    hot path of a centre: ``heappush(env.heap, (env.now + delay, next_eid(), fn, arg))`` is
    exactly what ``call_after`` does, without a Python call (the caller guarantees
    ``delay >= 0``).
    """

    # ``now`` shadows ``simpy.Environment.now`` (a property) with a slot: a slot read is
    # specialised by the interpreter (a class attribute would defeat that).
    __slots__ = ("now", "heap", "next_eid", "_keys", "_fire_entry")

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)  # (sets ``_now``, hence ``now``)
        self.heap = self._queue
        self._keys = {priority: count(start).__next__ for priority, start in _KEY_START.items()}
        self.next_eid = self._keys[NORMAL]
        self._fire_entry = self._fire  # bound once: every SimPy event's entry calls it

    @property
    def _now(self) -> float:
        """SimPy's clock: ``now`` itself (the loop sets only ``now``)."""
        return self.now

    @_now.setter
    def _now(self, value: float) -> None:
        self.now = value

    def call_after(self, delay: float, fn: Callable[[object], None], arg: object) -> None:
        """Call ``fn(arg)`` ``delay`` seconds from now (after the entries already due then)."""
        if delay < 0:
            raise SimulationError(f"event scheduled {-delay:g} s in the past at t={self._now:g}")
        heappush(self._queue, (self.now + delay, self.next_eid(), fn, arg))

    def schedule(self, event, priority=NORMAL, delay=0.0) -> None:
        """Schedule ``event`` ``delay`` seconds from now; an event in the past is a model bug."""
        if delay < 0:
            raise SimulationError(f"event scheduled {-delay:g} s in the past at t={self._now:g}")
        try:
            key = self._keys[priority]()
        except KeyError:
            raise SimulationError(f"unknown event priority {priority!r}") from None
        heappush(self._queue, (self.now + delay, key, self._fire_entry, event))

    def step(self) -> None:
        """Process the next entry, keeping ``now`` equal to ``_now``."""
        try:
            when, _, fn, arg = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = when
        fn(arg)

    def _fire(self, event) -> None:
        """Run a SimPy event's callbacks: what SimPy's ``step`` does once it has popped it."""
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

        The entries due before an arrival are processed here as ``step`` would process them
        (inlined: one Python call less per event). The cyclic garbage collector is paused for
        the run: the model allocates a few objects per caller and keeps every record, so the
        collector would otherwise traverse the growing record list again and again, finding
        nothing (the model's objects form no cycles on the common path). When the run ends,
        what it allocated and still holds (the records, mostly) joins the oldest generation
        without a traversal (``gc.freeze`` then ``gc.unfreeze``, both a splice of lists, unless
        something else holds objects frozen): left young, the first allocation after the run
        would make the collector traverse every record once (about 7 % of a run's time). Any
        cycle the run did form is collected by the next full collection.
        """
        paused = gc.isenabled()
        gc.disable()
        try:
            self._run_with_arrivals(times, arrive)
        finally:
            if paused:
                if not gc.get_freeze_count():
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()

    def _run_with_arrivals(self, times: Sequence[float], arrive: Callable[[int], None]) -> None:
        queue = self._queue
        # An entry after every other (no arrival is due at infinity) keeps the heap from running
        # empty while arrivals remain, so the loop need not test for that before each entry.
        last = (INF, INF, _sentinel_reached, None)
        heappush(queue, last)
        try:
            for i in range(len(times)):  # (range and a list index: specialised, unlike enumerate)
                t = times[i]
                while queue[0][0] <= t:
                    when, _, fn, arg = heappop(queue)
                    self.now = when
                    fn(arg)
                self.now = t  # never back: times are sorted and events run only up to ``t``
                arrive(i)
        finally:
            queue.remove(last)  # (once per run: then a heap again)
            heapify(queue)
        self.run()


def _sentinel_reached(_arg: None) -> None:
    raise SimulationError("an arrival at infinity reached the end of the event heap")


def _crash(event) -> None:
    """Raise a failed, undefused event's exception, as SimPy's ``step`` does."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    raise exc
