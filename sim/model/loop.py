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

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT

from sim.domain.errors import SimulationError

INF = float("inf")


class ModelEnvironment(simpy.Environment):
    """SimPy's environment, fed a pre-drawn stream of arrivals without an event per arrival.

    First-attempt arrival times are known before the run (drawn in numpy blocks), so instead of
    scheduling each one as an event the loop interleaves them with its event heap: it processes
    the heap while its next entry is due no later than the next arrival (at equal times,
    scheduled events such as a seat freeing come first), then advances the clock to the
    arrival and hands it to the model.

    The heap holds times only (floats compare much faster than tuples), each distinct time
    once; ``due`` maps each to the work due then, ``(fn, arg)``: the loop calls ``fn(arg)``.
    Several entries at one time (rare with continuous times) share a bucket (``tie``), a
    ``(fire_bucket, entries)`` pair that runs one entry each time its time comes up, in SimPy's
    order: by priority, then in the order of scheduling. A time alone in ``due`` with no
    bucket is a ``NORMAL`` entry. The model's own timers are entries of their handler and their
    call (``call_after``); a SimPy event scheduled with ``schedule`` is an entry of ``_fire``,
    which runs its callbacks as SimPy's ``step`` does.

    ``now`` is a plain attribute here, not SimPy's property, and SimPy's ``_now`` a property
    reading it: the loop sets only ``now`` (in ``step`` and ``run_with_arrivals``), so the
    model's many reads of the clock are attribute reads, not calls.

    ``heap`` and ``due`` are public for the hot path of a centre, which does what
    ``call_after`` does without a Python call (the caller guarantees ``delay >= 0``)::

        at = env.now + delay
        if at in due:
            env.tie(at, NORMAL, fn, arg)
        else:
            due[at] = (fn, arg)
            heappush(heap, at)
    """

    # ``now`` shadows ``simpy.Environment.now`` (a property) with a slot: a slot read is
    # specialised by the interpreter (a class attribute would defeat that).
    __slots__ = ("now", "heap", "due", "_fire_entry", "_fire_bucket")

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(initial_time)  # (sets ``_now``, hence ``now``)
        self.heap: list[float] = self._queue  # type: ignore[assignment]
        self.due: dict[float, tuple[Callable[[object], None], object]] = {}
        self._fire_entry = self._fire  # bound once: every SimPy event's entry calls it
        self._fire_bucket = self._bucket  # and every bucket's

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
            raise SimulationError(f"event scheduled {-delay:g} s in the past at t={self.now:g}")
        self.call_at(self.now + delay, fn, arg)

    def call_at(self, at: float, fn: Callable[[object], None], arg: object) -> None:
        """Call ``fn(arg)`` at time ``at`` (not before now; after the entries already due then)."""
        if at < self.now:
            raise SimulationError(f"event scheduled {self.now - at:g} s in the past at "
                                  f"t={self.now:g}")
        if at in self.due:
            self.tie(at, NORMAL, fn, arg)
        else:
            self.due[at] = (fn, arg)
            heappush(self._queue, at)

    def schedule(self, event, priority=NORMAL, delay=0.0) -> None:
        """Schedule ``event`` ``delay`` seconds from now; an event in the past is a model bug."""
        if delay < 0:
            raise SimulationError(f"event scheduled {-delay:g} s in the past at t={self.now:g}")
        if priority not in (URGENT - 1, URGENT, NORMAL):
            raise SimulationError(f"unknown event priority {priority!r}")
        at = self.now + delay
        if at in self.due or priority != NORMAL:
            self.tie(at, priority, self._fire_entry, event)
        else:
            self.due[at] = (self._fire_entry, event)
            heappush(self._queue, at)

    def tie(self, at: float, priority: int, fn: Callable[[object], None], arg: object) -> None:
        """Add an entry at ``at`` to its bucket (made if need be), after the entries of its
        priority and before those of later priorities, as SimPy orders them."""
        head = self.due.get(at)
        if head is None:  # a priority other than NORMAL, alone at its time: a bucket of one
            heappush(self._queue, at)
            bucket = []
            self.due[at] = (self._fire_bucket, bucket)
        elif head[0] is self._fire_bucket:
            bucket = head[1]
        else:  # the NORMAL entry alone at ``at`` starts a bucket
            bucket = [(NORMAL, *head)]
            self.due[at] = (self._fire_bucket, bucket)
        i = len(bucket)
        while i and bucket[i - 1][0] > priority:
            i -= 1
        bucket.insert(i, (priority, fn, arg))

    def _bucket(self, bucket: list[tuple[int, Callable[[object], None], object]]) -> None:
        """Run the first entry of a bucket; the rest wait for their time to come up again."""
        _, fn, arg = bucket.pop(0)
        if bucket:  # back first: what ``fn`` schedules at this time goes in its place
            self.due[self.now] = (self._fire_bucket, bucket)
            heappush(self._queue, self.now)
        fn(arg)

    def peek(self) -> float:
        """The time of the next entry (infinity if there is none)."""
        return self._queue[0] if self._queue else INF

    def step(self) -> None:
        """Process the next entry, keeping ``now`` equal to ``_now``."""
        try:
            when = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        fn, arg = self.due.pop(when)
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
        queue, due = self._queue, self.due
        # An entry after every other (no arrival is due at infinity) keeps the heap from running
        # empty while arrivals remain, so the loop need not test for that before each entry.
        self.call_after(INF, _sentinel_reached, self)
        try:
            for i in range(len(times)):  # (range and a list index: specialised, unlike enumerate)
                t = times[i]
                while queue[0] <= t:
                    when = heappop(queue)
                    fn, arg = due.pop(when)
                    self.now = when
                    fn(arg)
                self.now = t  # never back: times are sorted and events run only up to ``t``
                arrive(i)
        finally:
            self._drop_sentinel()
        self.run()

    def _drop_sentinel(self) -> None:
        head = self.due[INF]
        if head[0] is self._fire_bucket:  # other entries at infinity: only the sentinel goes
            head[1][:] = [e for e in head[1] if e[1] is not _sentinel_reached]
            if head[1]:
                return
        del self.due[INF]
        self._queue.remove(INF)  # (once per run: then a heap again)
        heapify(self._queue)


def _sentinel_reached(_env: ModelEnvironment) -> None:
    raise SimulationError("an arrival at infinity reached the end of the event heap")


def _crash(event) -> None:
    """Raise a failed, undefused event's exception, as SimPy's ``step`` does."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    raise exc
