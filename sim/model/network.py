"""The network of centres for one replication: arrivals, shifts, redials, the event loop.

``simulate`` is the model's entry point: a validated scenario and one replication's seed
sequence in, the replication's immutable records out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from heapq import heappush

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.domain.distributions import uniforms
from sim.domain.draws import DEFLECT, PATIENCE, REDIAL, REDIAL_DELAY, leg_key, redial_key, uniform
from sim.domain.errors import SimulationError
from sim.domain.regions import load_regions
from sim.domain.streams import Streams
from sim.domain.taxonomy import OWNERS
from sim.model.audit import AuditedCentre, Auditor
from sim.model.bot import BotStage
from sim.model.calls import ABANDONED, BLOCKED, NAN, NOT_JOINED, VOICE, Call
from sim.model.centre import Centre
from sim.model.coordination import Coordinator
from sim.model.events import Callback
from sim.model.feed import build_feed, minute_grids
from sim.model.linkage.categories import category_table
from sim.model.linkage.orders import OrderSystem
from sim.model.linkage.routing import DiversionRouter, ResolveAll
from sim.model.outages import OutageTable
from sim.scenario.plan import CentrePlan, build_plans
from sim.scenario.schema import Scenario


@dataclass
class ReplicationResult:
    """What one replication produced: its call-leg records and the seats it had on duty."""

    index: int
    records: list[tuple]
    seats_by_hour: np.ndarray  # (centres, hours) own seats on duty
    end_time: float
    orders: list = field(default_factory=list)  # work orders (Order records; linkage runs)
    deflected: int = 0  # calls the linkage deflected before they reached a queue
    seat_events: list = field(default_factory=list)  # lends and releases of remote seats
    rerouted: dict[int, int] = field(default_factory=dict)  # centre -> calls rerouted (outages)
    bot: dict[str, int] = field(default_factory=dict)  # the bot's counts (runs with a bot)
    violations: list = field(default_factory=list)  # the auditor's findings (audit runs only)


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
            self._now = t  # never back: times are sorted and events run only up to ``t``
            arrive(i)
            i += 1
        self.run()


class Network:
    """All centres of a scenario and the rules between them, for one replication."""

    on_hour = None  # optional callable(hour) from the hour tick, for progress bars

    def __init__(self, scenario: Scenario, seq: np.random.SeedSequence,
                 plans: list[CentrePlan] | None = None, audit: bool = False) -> None:
        self.scenario = scenario
        self.env = ModelEnvironment()
        self.streams = Streams(seq)
        self.records: list[tuple] = []
        self.plans = plans if plans is not None else build_plans(scenario)
        self.table = category_table(scenario)
        self.category_codes = list(self.table.codes)
        self.line_names = list(dict.fromkeys([*scenario.lines, *OWNERS[:-1]]))
        self._line_index = {line: i for i, line in enumerate(self.line_names)}
        # A first attempt brings its key, patience, talk and wrap-up from the feed; later legs
        # and redials draw by their key (sim.domain.draws: common random numbers), from the plan of
        # the line dialled (before merged centres share seats, S18).
        self.redials_after_abandon = [p.redial.after_abandon > 0 for p in self.plans]
        self.auditor = Auditor(self) if audit else None
        centre_cls = AuditedCentre if audit else Centre
        self.centres = [centre_cls(self, plan) for plan in self.plans]
        self._merge_centres()
        self.unique_centres = list({id(c): c for c in self.centres}.values())
        self.serving = [c.index for c in self.centres]  # whose seats answer each centre's calls
        self._directory = {(p.region, p.line): p.index for p in self.plans}
        grids = minute_grids(self.plans, scenario)
        self.surge_multiple = grids["multiple"]
        self._patience_grid = grids["patience"]
        self._redial_grid = grids["redial"]
        self.outages = OutageTable(scenario, self.plans)
        self._has_outages = bool(self.outages)
        self._priority = self.table.priority
        self._talk_factor = self.table.talk_factor
        self.next_call_id = 0
        self.next_caller_id = 0
        self.horizon = scenario.horizon
        self.orders: OrderSystem | None = None
        self.router = ResolveAll()
        self.deflected = 0
        self._legs: dict[int, int] = {}  # the last leg number of each transferred call
        self._deflect = self._deflection_filter()
        if scenario.linkage is not None:
            self.orders = OrderSystem(self, scenario.linkage.orders)
            self.router = DiversionRouter(self, scenario.linkage, self.table, self.orders)
        self.bot = BotStage(self, scenario.bot) if scenario.bot and scenario.bot.enabled else None
        self._aid = {}
        if self.bot is not None:
            self._aid = {p.index: scenario.bot.smart_aid_talk_factor for p in self.plans
                         if p.line in scenario.bot.lines}
        self.coordinators = [Coordinator(self, spec) for spec in scenario.borrowing
                             if spec.enabled]

    def _merge_centres(self) -> None:
        """S18 what-if: a merged utility line's calls reach its region's 12345 seats."""
        merge = self.scenario.merge
        if merge is None:
            return
        keys = {p.key: p.index for p in self.plans}
        for p in self.plans:
            if p.line in merge.lines and f"{p.region}/{merge.into}" in keys:
                serving = self.centres[keys[f"{p.region}/{merge.into}"]]
                serving.lines.add(p.line)
                self.centres[p.index] = serving

    # -- hooks the centres call (linkage and coordination extend these) -----------------------
    def after_talk(self, call: Call, centre: Centre, now: float) -> float | None:
        """Decide what the seat does after talking: extra seconds held, or None to keep it."""
        return self.router.after_talk(call, centre, now)

    # -- the directory of centres -------------------------------------------------------------
    def line_index(self, line: str) -> int:
        """The integer id of a line name in records (``to_line``)."""
        return self._line_index[line]

    def centre_for(self, region: str, line: str) -> int | None:
        """The centre serving ``line`` for ``region``: its own, a neighbour's, the province's."""
        index = self._directory.get((region, line))
        if index is not None:
            return index
        regions = load_regions()
        if region in regions.regions:
            for neighbour in regions.get(region).neighbours:
                index = self._directory.get((neighbour, line))
                if index is not None:
                    return index
        return self._directory.get((regions.province.code, line))

    def reachable(self, region: str, line: str) -> int | None:
        """The centre a leg for ``line`` from ``region`` reaches now: the directory's centre, or
        while that one is down its outage fallback (None: no centre can take it)."""
        index = self.centre_for(region, line)
        if index is None or not self._has_outages:
            return index
        return self.outages.route(index, self.env._now)

    def patience(self, centre: int, at: float, key: int) -> float:
        """Patience at ``centre`` of a leg arriving at ``at``, drawn by its ``key`` (disaster
        multiplier applied)."""
        patience = self.plans[centre].patience.quantile(uniform(key, PATIENCE))
        if self._patience_grid:
            grid = self._patience_grid.get(centre)
            if grid is not None:
                patience *= grid[min(int(at // 60), len(grid) - 1)]
        return patience

    def next_leg(self, call: Call, centre: int, mode: int, priority: int,
                 ring: float | None = None, seated: bool = False) -> Call:
        """The call's next leg, arriving now at ``centre`` (a transfer keeps the call's ids).

        ``ring``: a three-way conference leg, which gives up after ``ring`` seconds (the first
        receiver then keeps the call) instead of after the caller's patience. ``seated``: the
        leg takes over a seat at once (a three-way call coming back) and cannot abandon.
        """
        now = self.env._now
        number = self._legs.get(call.call_id, 0) + 1
        key = leg_key(call.key, number)
        if seated:
            deadline = float("inf")
        else:
            deadline = now + (ring if ring is not None else self.patience(centre, now, key))
        leg = Call(call.call_id, call.caller_id, call.attempt, centre, call.category, now,
                   deadline, priority=priority, redial_of=call.redial_of,
                   incident_id=call.incident_id, channel=call.channel)
        leg.key = key
        leg.leg = number
        self._legs[call.call_id] = leg.leg
        leg.parent_leg = call.leg
        leg.origin = call.origin
        leg.transfer_mode = mode
        leg.talk_factor = call.talk_factor
        if call.link is not None:  # the record travels with the call (S3): who was told what
            leg.link = call.link.carried()
        call.to_line = self._line_index[self.plans[centre].line]
        return leg

    def after_release(self, call: Call, centre: Centre, now: float) -> None:
        """A seat finished a leg (after wrap-up)."""

    def on_expire(self, call: Call, at: float) -> None:
        """A waiting leg's time ran out at ``at``: a conference leg was not joined (the first
        receiver keeps the call), else the caller hung up and maybe dials again later."""
        if call.link is not None and call.link.partner is not None:
            self.centres[call.centre].record(call.record(NAN, at, NOT_JOINED))
            self.router.not_joined(call, at)
            return
        self.centres[call.centre].record(call.record(NAN, at, ABANDONED))
        redial = self.plans[call.origin].redial
        if redial.after_abandon > 0:
            self._maybe_redial(call, at, redial.after_abandon, redial)

    def on_blocked(self, call: Call, at: float) -> None:
        """A leg heard the busy signal: a conference leg goes back to the first receiver; a
        caller maybe dials again later."""
        if call.link is not None and call.link.partner is not None:
            self.router.not_joined(call, at)
            return
        redial = self.plans[call.origin].redial
        if redial.after_blocked > 0:
            self._maybe_redial(call, at, redial.after_blocked, redial)

    def _maybe_redial(self, call: Call, at: float, probability: float, redial) -> None:
        grid = self._redial_grid.get(call.origin)
        if grid is not None:
            probability = min(1.0, probability * grid[min(int(at // 60), len(grid) - 1)])
        if call.attempt >= redial.max_attempts or uniform(call.key, REDIAL) >= probability:
            return
        key = redial_key(call.key, call.attempt + 1)
        if self._deflect is not None and self._deflect(call.category, key):
            return
        when = at + redial.delay.quantile(uniform(call.key, REDIAL_DELAY))
        if when >= self.horizon:
            return
        new = self.new_call(call.origin, call.category, when, caller_id=call.caller_id,
                            attempt=call.attempt + 1, redial_of=call.call_id,
                            priority=call.priority if call.leg == 0 else 2, key=key)
        new.incident_id = call.incident_id
        new.callbacks = (self._redial_arrives,)
        self.env.schedule(new, NORMAL, when - self.env._now)

    def _redial_arrives(self, call: Call) -> None:
        self.dial(call)

    # -- calls --------------------------------------------------------------------------------
    def new_call(self, centre: int, category: int, arrival: float, *, caller_id: int,
                 attempt: int, redial_of: int, priority: int, key: int) -> Call:
        """A redial (a new call, leg 0) at ``centre``: its draws come by its ``key``."""
        call_id = self.next_call_id
        self.next_call_id = call_id + 1
        category_priority = min(self._priority[category], priority)
        call = Call(call_id, caller_id, attempt, centre, category, arrival,
                    arrival + self.patience(centre, arrival, key), category_priority, redial_of,
                    -1, VOICE, key)
        call.talk_factor = self._talk_factor[category] * self._aid.get(centre, 1.0) \
            if self._aid else self._talk_factor[category]
        return call

    def dial(self, call: Call) -> None:
        """A first attempt or redial reaches the network: outage routing, the bot, a centre."""
        now = self.env._now
        if self._has_outages:
            target = self.outages.route(call.centre, now)
            if target is None:  # nowhere to go: the caller hears a busy signal
                self.centres[call.centre].record(call.record(NAN, now, BLOCKED))
                self.on_blocked(call, now)
                return
            call.centre = target
        centre = self.centres[call.centre]
        if self.bot is not None and self.bot.takes(call, centre, now):
            return
        centre.arrive(call)

    # -- the run ------------------------------------------------------------------------------
    def _arrival(self, i: int) -> None:
        """Caller ``i`` of the feed makes its first attempt now, with the key, patience, talk
        and wrap-up the feed drew for it (the hot path: kept in one function on purpose)."""
        feed = self._feed
        category, centre = feed.categories[i], feed.centres[i]
        if self._deflect is not None and self._deflect(category, None, centre):
            return
        arrival = self.env._now
        call_id = self.next_call_id
        self.next_call_id = call_id + 1
        caller_id = self.next_caller_id
        self.next_caller_id = caller_id + 1
        patience = feed.patience[i]
        if self._patience_grid:
            grid = self._patience_grid.get(centre)
            if grid is not None:
                patience *= grid[min(int(arrival // 60), len(grid) - 1)]
        call = Call(call_id, caller_id, 1, centre, category, arrival, arrival + patience,
                    self._priority[category], -1, feed.incidents[i], VOICE, feed.keys[i],
                    feed.talk[i], feed.wraps[i])
        call.talk_factor = self._talk_factor[category] * self._aid.get(centre, 1.0) \
            if self._aid else self._talk_factor[category]
        if self._plain_dial:
            self.centres[centre].arrive(call)
        else:
            self.dial(call)

    def _deflection_filter(self):
        """S11: with outage information published, some calls about outages never happen."""
        linkage = self.scenario.linkage
        if linkage is None or not linkage.info_sharing.published:
            return None
        outage = {i for i, c in enumerate(self.table.categories) if c is not None and c.outage}
        share = linkage.info_sharing.deflection
        draws = [uniforms(self.streams(f"deflection:{p.key}")) for p in self.plans]

        def deflect(category: int, key: int | None, centre: int = -1) -> bool:
            """Whether this call never happens: first attempts draw in their centre's feed
            order, redials by their key."""
            if category not in outage:
                return False
            u = draws[centre]() if key is None else uniform(key, DEFLECT)
            if u < share:
                self.deflected += 1
                return True
            return False

        return deflect

    def _hour_tick(self, _event) -> None:
        hour = int(round(self.env._now / 3600.0))
        for centre in self.unique_centres:
            seats = max(0, centre.plan.seats_at(hour) - centre.lent)
            if seats != centre.own_seats:
                centre.set_seats(own=seats)
        if hour + 1 < self._hours:
            self._ticker.at(self.env, (hour + 1) * 3600.0)
        if self.on_hour is not None:
            self.on_hour(hour)

    def run(self) -> None:
        """Run until every call has ended; callers still waiting then are ``unfinished``."""
        self._hours = max(len(p.seats_by_hour) for p in self.plans)
        self._ticker = Callback(self._hour_tick)
        if self._hours > 1:
            self._ticker.at(self.env, 3600.0)
        self._feed = build_feed(self.plans, self.scenario, self.table, self.streams)
        self._plain_dial = not self._has_outages and self.bot is None
        for coordinator in self.coordinators:
            coordinator.start()
        self.env.run_with_arrivals(self._feed.times, self._arrival)
        end = self.horizon + self.scenario.drain_hours * 3600.0  # the end of observation
        for centre in self.unique_centres:
            centre.drain_unfinished(end)
        if self.auditor is not None:
            self.auditor.finish()


def simulate(scenario: Scenario, seq: np.random.SeedSequence, index: int = 0,
             network: Network | None = None, audit: bool = False) -> ReplicationResult:
    """Run one replication of ``scenario`` seeded by ``seq``; return its records.

    Pass ``network`` to run a network built (or extended) by the caller; ``audit`` checks the
    model's invariants as it runs and over its records (``ReplicationResult.violations``).
    """
    net = network if network is not None else Network(scenario, seq, audit=audit)
    net.run()
    seats = np.vstack([p.seats_by_hour for p in net.plans]) if net.plans else np.empty((0, 0))
    net.records.sort()  # by (call_id, leg): unique, so later fields are never compared
    orders = net.orders.finish() if net.orders else []
    violations = net.auditor.check(net.records, orders) if net.auditor else []
    return ReplicationResult(
        index=index, records=net.records, seats_by_hour=seats,
        end_time=max(net.env.now, scenario.horizon), orders=orders, deflected=net.deflected,
        seat_events=[e for c in net.coordinators for e in c.events],
        rerouted=dict(net.outages.rerouted),
        bot={"contained": net.bot.contained, "online": net.bot.online} if net.bot else {},
        violations=violations)
