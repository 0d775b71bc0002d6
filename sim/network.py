"""The network of centres for one replication: arrivals, shifts, redials, the event loop.

``simulate`` is the model's entry point: a validated scenario and one replication's seed
sequence in, the replication's immutable records out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.arrivals import arrival_times
from sim.calls import RESOLVED, Call
from sim.centre import Centre
from sim.plan import CentrePlan, build_plans
from sim.scenario.schema import Scenario
from sim.streams import Streams


@dataclass
class ReplicationResult:
    """What one replication produced: its call-leg records and the seats it had on duty."""

    index: int
    records: list[tuple]
    seats_by_hour: np.ndarray  # (centres, hours) own seats on duty
    end_time: float
    extra: dict = field(default_factory=dict)


class ModelEnvironment(simpy.Environment):
    """SimPy's environment, fed a pre-drawn stream of arrivals without an event per arrival.

    First-attempt arrival times are known before the run (drawn in numpy blocks), so instead of
    scheduling each one as an event the loop interleaves them with SimPy's event queue: it steps
    the queue while its next event is due no later than the next arrival (at equal times,
    scheduled events such as a seat freeing come first), then advances the clock to the
    arrival and hands it to the model.
    """

    def run_with_arrivals(self, times: list[float], arrive) -> None:
        """Process ``arrive(i)`` at ``times[i]`` (sorted) among the scheduled events, then run on."""
        queue = self._queue
        step = self.step
        i, n = 0, len(times)
        while i < n:
            t = times[i]
            if queue and queue[0][0] <= t:
                step()
                continue
            self._now = t
            arrive(i)
            i += 1
        self.run()


class _Recurring:
    """A reusable SimPy event for a callback that reschedules itself (arrivals, hour ticks)."""

    __slots__ = ("callbacks", "_value", "fn")
    _ok = True

    def __init__(self, fn) -> None:
        self.fn = fn
        self.callbacks = None
        self._value = None

    def at(self, env: simpy.Environment, time: float) -> None:
        self.callbacks = (self.fn,)
        env.schedule(self, NORMAL, time - env._now)


class Network:
    """All centres of a scenario and the rules between them, for one replication."""

    def __init__(self, scenario: Scenario, seq: np.random.SeedSequence,
                 plans: list[CentrePlan] | None = None) -> None:
        self.scenario = scenario
        self.env = ModelEnvironment()
        self.streams = Streams(seq)
        self.records: list[tuple] = []
        self.category_codes: list[str] = ["-"]
        self.plans = plans if plans is not None else build_plans(scenario)
        self.centres = [Centre(self, plan) for plan in self.plans]
        self.next_call_id = 0
        self.next_caller_id = 0
        self._redial_rng = self.streams("redial")
        self.horizon = scenario.horizon

    # -- hooks the centres call (linkage and coordination extend these) -----------------------
    def after_talk(self, call: Call, centre: Centre, now: float) -> float:
        """Decide what the seat does after talking; return extra seconds the seat stays held."""
        call.disposition = RESOLVED
        return 0.0

    def after_release(self, call: Call, centre: Centre, now: float) -> None:
        """A seat finished a leg (after wrap-up)."""

    def on_abandon(self, call: Call, at: float) -> None:
        """A waiting caller hung up at ``at``: maybe they dial again later."""
        redial = self.centres[call.origin].plan.redial
        if redial.after_abandon > 0:
            self._maybe_redial(call, at, redial.after_abandon, redial)

    def on_blocked(self, call: Call, at: float) -> None:
        """A caller heard the busy signal: maybe they dial again later."""
        redial = self.centres[call.origin].plan.redial
        if redial.after_blocked > 0:
            self._maybe_redial(call, at, redial.after_blocked, redial)

    def _maybe_redial(self, call: Call, at: float, probability: float, redial) -> None:
        rng = self._redial_rng
        if call.attempt >= redial.max_attempts or rng.random() >= probability:
            return
        when = at + float(redial.delay.sample(rng, 1)[0])
        if when >= self.horizon:
            return
        centre = self.centres[call.origin]
        new = self.new_call(call.origin, call.category, when, caller_id=call.caller_id,
                            attempt=call.attempt + 1, redial_of=call.call_id,
                            priority=call.priority if call.leg == 0 else 2)
        new.incident_id = call.incident_id
        new.callbacks = (self._redial_arrives,)
        self.env.schedule(new, NORMAL, when - self.env._now)
        del centre

    def _redial_arrives(self, call: Call) -> None:
        self.centres[call.centre].arrive(call)

    # -- calls --------------------------------------------------------------------------------
    def new_call(self, centre: int, category: int, arrival: float, *, caller_id: int = -1,
                 attempt: int = 1, redial_of: int = -1, priority: int = 2) -> Call:
        """A new call attempt (leg 0) at ``centre``; patience is drawn now."""
        call_id = self.next_call_id
        self.next_call_id += 1
        if caller_id < 0:
            caller_id = self.next_caller_id
            self.next_caller_id += 1
        patience = self.centres[centre].draw_patience()
        return Call(call_id, caller_id, attempt, centre, category, arrival, arrival + patience,
                    priority=priority, redial_of=redial_of)

    # -- the run ------------------------------------------------------------------------------
    def _merged_arrivals(self) -> tuple[np.ndarray, np.ndarray]:
        per_centre = [arrival_times(p, self.scenario, self.streams(f"arrivals:{p.key}"))
                      for p in self.plans]
        times = np.concatenate(per_centre) if per_centre else np.empty(0)
        centres = np.repeat(np.arange(len(per_centre)), [len(t) for t in per_centre])
        order = np.argsort(times, kind="stable")
        return times[order], centres[order]

    def _arrival(self, i: int) -> None:
        centre = self._arr_centres[i]
        self.centres[centre].arrive(self.new_call(centre, 0, self.env._now))

    def _hour_tick(self, _event) -> None:
        hour = int(round(self.env._now / 3600.0))
        for centre in self.centres:
            seats = centre.plan.seats_at(hour)
            if seats != centre.own_seats:
                centre.set_seats(own=seats)
        if hour + 1 < self._hours:
            self._ticker.at(self.env, (hour + 1) * 3600.0)

    def run(self) -> None:
        """Run until every call has ended; callers still waiting then are ``unfinished``."""
        self._hours = max(len(p.seats_by_hour) for p in self.plans)
        self._ticker = _Recurring(self._hour_tick)
        if self._hours > 1:
            self._ticker.at(self.env, 3600.0)
        times, centres = self._merged_arrivals()
        self._arr_centres = centres.tolist()
        self.env.run_with_arrivals(times.tolist(), self._arrival)
        for centre in self.centres:
            centre.drain_unfinished(self.env.now)


def simulate(scenario: Scenario, seq: np.random.SeedSequence, index: int = 0,
             network: Network | None = None) -> ReplicationResult:
    """Run one replication of ``scenario`` seeded by ``seq``; return its records.

    Pass ``network`` to run a network built (or extended) by the caller.
    """
    net = network if network is not None else Network(scenario, seq)
    net.run()
    seats = np.vstack([p.seats_by_hour for p in net.plans]) if net.plans else np.empty((0, 0))
    net.records.sort(key=_record_order)
    return ReplicationResult(index=index, records=net.records, seats_by_hour=seats,
                             end_time=max(net.env.now, scenario.horizon))


def _record_order(record: tuple) -> tuple:
    return (record[0], record[1])


def horizon_hours(scenario: Scenario) -> int:
    """Whole hours in the horizon."""
    return math.ceil(scenario.horizon_hours)
