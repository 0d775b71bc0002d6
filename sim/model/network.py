"""The network of centres for one replication: the wiring of the model's parts, and the run.

``simulate`` is the model's entry point: a validated scenario and one replication's seed
sequence in, the replication's immutable records out. ``Network`` builds the parts, each a
module of its own: the event loop (``sim.model.loop``), the directory of centres
(``sim.model.directory``), the callers (``sim.model.callers``: first attempts, legs, redials),
the centres (``sim.model.centre``), the hour tick (``sim.model.shifts``), linkage
(``sim.model.linkage``), the bot (``sim.model.bot``) and seat borrowing
(``sim.model.coordination``). It is also each centre's host (``sim.model.host.CentreHost``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.domain.lines import HOUR
from sim.domain.streams import Streams
from sim.model.audit import AuditedCentre, Auditor
from sim.model.bot import BotStage
from sim.model.callers import Callers
from sim.model.calls import Call
from sim.model.centre import Centre
from sim.model.coordination import Coordinator
from sim.model.directory import Directory
from sim.model.feed import build_feed, minute_grids
from sim.model.linkage.categories import category_table
from sim.model.linkage.orders import OrderSystem
from sim.model.linkage.routing import DiversionRouter, ResolveAll
from sim.model.loop import ModelEnvironment
from sim.model.record_log import RecordLog
from sim.model.shifts import HourTick
from sim.scenario.plan import CentrePlan, build_plans
from sim.scenario.schema import Scenario

__all__ = ["ModelEnvironment", "Network", "ReplicationResult", "simulate"]


@dataclass
class ReplicationResult:
    """What one replication produced: its call-leg records and the seats it had on duty."""

    index: int
    records: RecordLog  # sorted by (call_id, leg); tuples when iterated, numpy via columns()
    seats_by_hour: np.ndarray  # (centres, hours) own seats on duty
    end_time: float
    orders: list = field(default_factory=list)  # work orders (Order records; linkage runs)
    deflected: int = 0  # calls the linkage deflected before they reached a queue
    seat_events: list = field(default_factory=list)  # lends and releases of remote seats
    rerouted: dict[int, int] = field(default_factory=dict)  # centre -> calls rerouted (outages)
    bot: dict[str, int] = field(default_factory=dict)  # the bot's counts (runs with a bot)
    violations: list = field(default_factory=list)  # the auditor's findings (audit runs only)


class Network:
    """All centres of a scenario and the rules between them, for one replication."""

    on_hour = None  # optional callable(hour) from the hour tick, for progress bars

    def __init__(self, scenario: Scenario, seq: np.random.SeedSequence,
                 plans: list[CentrePlan] | None = None, audit: bool = False) -> None:
        self.scenario = scenario
        self.env = ModelEnvironment()
        self.streams = Streams(seq)
        self.records = RecordLog()
        self.record = self.records.append  # the record sink of every centre (a list's append)
        self.plans = plans if plans is not None else build_plans(scenario)
        self.table = category_table(scenario)
        self.category_codes = list(self.table.codes)
        self.horizon = scenario.horizon
        self.end = self.horizon + scenario.drain_hours * HOUR  # the end of observation
        # What a centre reads by the index of the centre a leg dialled (CentreHost).
        self.talk = [p.talk for p in self.plans]
        self.wrapup = [p.wrapup for p in self.plans]
        self.redial_watch = [p.redial.after_abandon > 0 for p in self.plans]
        self.resolves_all = scenario.linkage is None  # the router will be ResolveAll

        self.directory = Directory(scenario, self.plans, self.env)
        self.line_names = self.directory.line_names
        self.outages = self.directory.outages
        grids = minute_grids(self.plans, scenario)
        self.surge_multiple = grids["multiple"]
        bot = scenario.bot if scenario.bot and scenario.bot.enabled else None
        aid = {p.index: bot.smart_aid_talk_factor for p in self.plans
               if p.line in bot.lines} if bot is not None else {}
        self.callers = Callers(scenario, self.plans, self.table, self.directory, self.record,
                               self.streams, grids, aid)

        self.auditor = Auditor(self) if audit else None
        if self.auditor is not None:
            centres = [AuditedCentre(self, plan, self.auditor) for plan in self.plans]
        else:
            centres = [Centre(self, plan) for plan in self.plans]
        self.directory.attach(centres)
        self.centres = self.directory.centres
        self.unique_centres = self.directory.unique_centres
        self.serving = self.directory.serving

        self.orders: OrderSystem | None = None
        self.router: DiversionRouter | ResolveAll = ResolveAll()
        if scenario.linkage is not None:
            self.orders = OrderSystem(self.env, scenario.linkage.orders, self.end, self.streams)
            self.router = DiversionRouter(self.directory, self.callers.next_leg,
                                          scenario.linkage, self.table, self.orders)
        self.callers.router = self.router
        self.after_talk = self.router.after_talk  # the router's own method: one call less
        if self.orders is not None:
            self.open_orders = self.orders.open_all  # (CentreHost: legs settled at answer)
        self.bot = BotStage(self.env, bot, self.table, self.surge_multiple, self.orders) \
            if bot is not None else None
        self.callers.bot = self.bot
        self.coordinators = [Coordinator(self.env, spec, self.centres, scenario, self.end)
                             for spec in scenario.borrowing if spec.enabled]

    # -- counters kept by the callers -----------------------------------------------------------
    @property
    def next_call_id(self) -> int:
        """How many calls were created (the next call's id)."""
        return self.callers.next_call_id

    @next_call_id.setter
    def next_call_id(self, value: int) -> None:
        self.callers.next_call_id = value

    @property
    def deflected(self) -> int:
        """Calls that never happened thanks to published outage information (S11)."""
        return self.callers.deflected

    # -- what the centres delegate (sim.model.host.CentreHost) ----------------------------------
    def after_talk(self, call: Call, centre: Centre, now: float) -> float | None:
        """Decide what the seat does after talking: extra seconds held, or None to keep it.

        (The router decides: ``__init__`` binds ``self.after_talk`` to its method directly.)
        """
        return self.router.after_talk(call, centre, now)

    def on_blocked(self, call: Call, at: float) -> None:
        """A leg heard the busy signal (the callers decide on a redial)."""
        self.callers.on_blocked(call, at)

    def on_expire(self, call: Call, at: float) -> None:
        """A waiting leg's time ran out (the callers record it and decide what follows)."""
        self.callers.on_expire(call, at)

    def _hour_done(self, hour: int) -> None:
        """Each hour: pack the hour's records into a numpy block, then tell ``on_hour``."""
        self.records.flush()
        if self.on_hour is not None:
            self.on_hour(hour)

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> None:
        """Run until every call has ended; callers still waiting then are ``unfinished``."""
        hours = max(len(p.seats_by_hour) for p in self.plans)
        HourTick(self.env, self.unique_centres, hours, self._hour_done).start()
        callers = self.callers
        callers.plain_dial = not self.directory.has_outages and self.bot is None
        # Where first attempts reach their centre directly, the router tells ahead what those
        # answered at once come to if that is settled then (a centre then skips their ``Call``).
        settle = self.router.settled_first if callers.plain_dial and not self.resolves_all \
            and self.auditor is None else None
        callers.feed = build_feed(self.plans, self.scenario, self.table, self.streams, settle)
        for coordinator in self.coordinators:
            coordinator.start()
        self.env.run_with_arrivals(callers.feed.times, callers.first_attempt)
        callers.feed = None  # every first attempt is made: free the feed (~160 bytes a caller)
        for centre in self.unique_centres:
            centre.drain_unfinished(self.end)
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
    net.records.seal()  # one table, sorted by (call_id, leg)
    orders = net.orders.finish() if net.orders else []
    violations = net.auditor.check(net.records, orders) if net.auditor else []
    return ReplicationResult(
        index=index, records=net.records, seats_by_hour=seats,
        end_time=max(net.env.now, scenario.horizon), orders=orders, deflected=net.deflected,
        seat_events=[e for c in net.coordinators for e in c.events],
        rerouted=dict(net.outages.rerouted),
        bot={"contained": net.bot.contained, "online": net.bot.online} if net.bot else {},
        violations=violations)
