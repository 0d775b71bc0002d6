"""Callers: first attempts from the feed, the legs of a call, giving up and dialling again.

``Callers`` is the call factory of a replication. A first attempt brings its key, patience,
talk and wrap-up from the feed; later legs and redials draw by their key (sim.domain.draws:
common random numbers), from the plan of the line dialled (before merged centres share seats,
S18). A caller who hung up or heard a busy signal may dial again later; with outage
information published (S11) some calls about outages never happen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simpy.events import NORMAL

from sim.domain.distributions import uniforms
from sim.domain.draws import DEFLECT, PATIENCE, REDIAL, REDIAL_DELAY, leg_key, redial_key, uniform
from sim.domain.lines import MINUTE, ORDINARY_CLASS
from sim.model.calls import ABANDONED, BLOCKED, NAN, NOT_JOINED, VOICE, Call

INF = float("inf")

if TYPE_CHECKING:
    import numpy as np

    from sim.domain.streams import Streams
    from sim.model.bot import BotStage
    from sim.model.directory import Directory
    from sim.model.feed import Feed
    from sim.model.linkage.categories import CategoryTable
    from sim.model.linkage.routing import DiversionRouter, ResolveAll
    from sim.scenario.plan import CentrePlan
    from sim.scenario.schema import Scenario


class Callers:
    """Every call of one replication: its ids, its legs, and what follows when one ends.

    ``grids``: per centre index, per minute, the disaster's patience and redial multipliers
    (``sim.model.feed.minute_grids``); ``aid``: per centre index, the bot's smart-aid talk
    factor (S19). ``bot`` and ``router`` are set by the network once they exist.
    """

    def __init__(self, scenario: Scenario, plans: list[CentrePlan], table: CategoryTable,
                 directory: Directory, record: Callable[[tuple], None], streams: Streams,
                 grids: dict[str, dict[int, np.ndarray]], aid: dict[int, float]) -> None:
        self.env = directory.env
        self.plans = plans
        self.directory = directory
        self.centres = directory.centres
        self.record = record
        self.horizon = scenario.horizon
        self._patience_grid = grids["patience"]
        self._redial_grid = grids["redial"]
        self._priority = table.priority
        self._talk_factor = table.talk_factor
        self._aid = aid
        self.next_call_id = 0
        self.next_caller_id = 0
        self.deflected = 0
        self._legs: dict[int, int] = {}  # the last leg number of each transferred call
        self._deflect = self._deflection_filter(scenario, table, streams)
        self.bot: BotStage | None = None
        self.router: DiversionRouter | ResolveAll | None = None
        self.feed: Feed | None = None
        self._on_redial = (self._redial_arrives,)  # a redial's callbacks, built once
        self.plain_dial = False  # set for the run: no outages and no bot between feed and centre
        # each centre's line as a record's ``to_line`` (a leg sent there)
        self._to_line = [directory.line_index(p.line) for p in plans]

    # -- draws --------------------------------------------------------------------------------
    def patience(self, centre: int, at: float, key: int) -> float:
        """Patience at ``centre`` of a leg arriving at ``at``, drawn by its ``key`` (disaster
        multiplier applied)."""
        patience = self.plans[centre].patience.quantile(uniform(key, PATIENCE))
        if self._patience_grid:
            grid = self._patience_grid.get(centre)
            if grid is not None:
                patience *= grid[min(int(at // MINUTE), len(grid) - 1)]
        return patience

    def _deflection_filter(self, scenario: Scenario, table: CategoryTable, streams: Streams):
        """S11: with outage information published, some calls about outages never happen."""
        linkage = scenario.linkage
        if linkage is None or not linkage.info_sharing.published:
            return None
        outage = {i for i, c in enumerate(table.categories) if c is not None and c.outage}
        share = linkage.info_sharing.deflection
        draws = [uniforms(streams(f"deflection:{p.key}")) for p in self.plans]

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

    # -- first attempts -----------------------------------------------------------------------
    def first_attempt(self, i: int) -> None:
        """Caller ``i`` of the feed makes its first attempt now, with the key, patience, talk
        and wrap-up the feed drew for it (the hot path: kept in one function on purpose)."""
        feed = self.feed
        category, centre = feed.categories[i], feed.centres[i]
        if self._deflect is not None and self._deflect(category, None, centre):
            return
        arrival = feed.times[i]  # the clock (the loop set it to this arrival)
        call_id = self.next_call_id
        self.next_call_id = call_id + 1
        caller_id = self.next_caller_id
        self.next_caller_id = caller_id + 1
        patience = feed.patience[i]
        if self._patience_grid:
            grid = self._patience_grid.get(centre)
            if grid is not None:
                patience *= grid[min(int(arrival // MINUTE), len(grid) - 1)]
        talk_factor = self._talk_factor[category]
        if self._aid:
            talk_factor *= self._aid.get(centre, 1.0)
        if self.plain_dial:
            target = self.centres[centre]
            if target.at_once:  # (it may answer without a Call: sim.model.centre)
                target.arrive_first(call_id, caller_id, centre, category,
                                    self._priority[category], feed.incidents[i], feed.keys[i],
                                    arrival, arrival + patience, feed.talk[i], feed.wraps[i],
                                    talk_factor)
                return
            settled = feed.settled
            if settled is not None and target.settles:
                outcome = settled[i]
                if outcome is not None:  # (routing settled: it may answer without a Call too)
                    target.arrive_settled(call_id, caller_id, centre, category,
                                          self._priority[category], feed.incidents[i],
                                          feed.keys[i], arrival, arrival + patience,
                                          feed.talk[i], feed.wraps[i], talk_factor, outcome)
                    return
        call = Call(call_id, caller_id, 1, centre, category, arrival, arrival + patience,
                    self._priority[category], -1, feed.incidents[i], VOICE, feed.keys[i],
                    feed.talk[i], feed.wraps[i], talk_factor)
        if self.plain_dial:
            target.arrive(call)
        else:
            self.dial(call)

    def dial(self, call: Call) -> None:
        """A first attempt or redial reaches the network: outage routing, the bot, a centre."""
        now = self.env.now
        if self.directory.has_outages:
            target = self.directory.outages.route(call.centre, now)
            if target is None:  # nowhere to go: the caller hears a busy signal
                self.centres[call.centre].record(call.record(NAN, now, BLOCKED))
                self.on_blocked(call, now)
                return
            call.centre = target
        centre = self.centres[call.centre]
        if self.bot is not None and self.bot.takes(call, centre, now):
            return
        centre.arrive(call)

    # -- later legs ---------------------------------------------------------------------------
    def next_leg(self, call: Call, centre: int, mode: int, priority: int,
                 ring: float | None = None, seated: bool = False) -> Call:
        """The call's next leg, arriving now at ``centre`` (a transfer keeps the call's ids).

        ``ring``: a three-way conference leg, which gives up after ``ring`` seconds (the first
        receiver then keeps the call) instead of after the caller's patience. ``seated``: the
        leg takes over a seat at once (a three-way call coming back) and cannot abandon.
        """
        now = self.env.now
        call_id = call.call_id
        number = self._legs.get(call_id, 0) + 1
        self._legs[call_id] = number
        key = leg_key(call.key, number)
        if seated:
            deadline = INF
        elif ring is not None:
            deadline = now + ring
        else:
            deadline = now + self.patience(centre, now, key)
        leg = Call(call_id, call.caller_id, call.attempt, centre, call.category, now, deadline,
                   priority, call.redial_of, call.incident_id, call.channel, key)
        leg.leg = number
        leg.parent_leg = call.leg
        leg.origin = call.origin
        leg.transfer_mode = mode
        leg.talk_factor = call.talk_factor
        if call.link is not None:  # the record travels with the call (S3): who was told what
            leg.link = call.link.carried()
        call.to_line = self._to_line[centre]
        return leg

    # -- when a leg ends without a seat -------------------------------------------------------
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

    # -- redials ------------------------------------------------------------------------------
    def _maybe_redial(self, call: Call, at: float, probability: float, redial) -> None:
        grid = self._redial_grid.get(call.origin)
        if grid is not None:
            probability = min(1.0, probability * grid[min(int(at // MINUTE), len(grid) - 1)])
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
                            priority=call.priority if call.leg == 0 else ORDINARY_CLASS,
                            key=key)
        new.incident_id = call.incident_id
        new.callbacks = self._on_redial
        self.env.schedule(new, NORMAL, when - self.env.now)

    def _redial_arrives(self, call: Call) -> None:
        self.dial(call)

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
