"""Work orders (工单) and police orders (警单) at department desks (S5, S8, S13, S15).

Each order is signed for (签收) after a delay, queues for its department desk in its region
(``desk_capacity`` orders worked on at once; emergency before urgent before normal, first come
first served within an urgency), is processed for a time drawn by its urgency, closed (办结),
surveyed by callback (回访) and sometimes reopened. Both the queue order and the processing
time follow urgency: a desk that merely served emergencies first would still take a normal
order's two days over a gas leak's repair, and a shorter time alone would leave an emergency
waiting behind hundreds of normal orders.

Orders are followed until the end of observation (the horizon plus ``drain_hours``); one not
closed by then is recorded open (``closed`` empty), and counts as late (``on_time`` 0) if its
deadline has already passed, else as not yet known (-1). Like calls, orders move by callbacks
on the model's loop rather than by a generator process each: each step of an order is an entry
of the loop (``OrderSystem._push``), so a step due at the same time as another entry runs in
the order they were scheduled, as SimPy runs events.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import TYPE_CHECKING

from simpy.events import NORMAL

from sim.domain.distributions import block_sampler
from sim.domain.lines import HOUR
from sim.model.linkage.order_log import ORDER_FIELDS, OrderLog, OrderRecord
from sim.scenario.linkage import Orders

if TYPE_CHECKING:
    import numpy as np

    from sim.domain.streams import Streams
    from sim.model.loop import ModelEnvironment

__all__ = ["MAX_REOPEN", "POLICE_ORDER", "URGENCY_RANK", "WORK_ORDER", "OrderLog", "OrderRecord",
           "OrderSystem"]

WORK_ORDER, POLICE_ORDER = "work_order", "police_order"
MAX_REOPEN = 3
URGENCY_RANK = {"emergency": 0, "urgent": 1, "normal": 2}
NAN = math.nan
INF = math.inf

# An order in flight is a list: its record so far, in ``OrderRecord`` field order, then its
# route. These are the positions its steps read and fill in.
(_LINKED, _DEADLINE, _SIGNED, _CLOSED, _ON_TIME, _REOPENED, _SCORE) = (
    ORDER_FIELDS.index(name) for name in ("linked_order_id", "deadline", "signed", "closed",
                                          "on_time", "reopened", "satisfaction"))
_ROUTE = len(ORDER_FIELDS)


class OrderSystem:
    """Creates orders and runs each through its department desk; ``end``: the end of
    observation (orders still open then are recorded open)."""

    def __init__(self, env: ModelEnvironment, spec: Orders, end: float, streams: Streams) -> None:
        self.env = env
        self.spec = spec
        self.end = end
        self._rows: list[list] = []  # every order by id: its record so far, then its route
        self._desks: dict[tuple[str, str], _Desk] = {}
        self._streams = streams
        self._regions: dict[str, _RegionDraws] = {}
        self._routes: dict[tuple[str, str, str, str], _Route] = {}
        self._deadline = {u: spec.deadline_hours.get(u, 120.0) * HOUR for u in URGENCY_RANK}
        self.reopen = spec.reopen
        # The steps of an order are entries of the loop, pushed as ``env.call_after`` would
        # push them (sim.model.loop: every delay is a duration, never negative), with their
        # handlers bound once.
        self._heap = env.heap
        self._due = env.due
        self._on_signed = self._signed
        self._on_worked = self._worked

    @property
    def created(self) -> int:
        """How many orders were created."""
        return len(self._rows)

    def _draws(self, region: str) -> _RegionDraws:
        """The region's own random streams: what happens to orders in one region never shifts
        the draws of another (common random numbers across variants)."""
        draws = self._regions.get(region)
        if draws is None:
            draws = self._regions[region] = _RegionDraws(self.spec, self._streams, region)
        return draws

    def create(self, kind: str, call_id: int, region: str, line: str, department: str,
               category: str, urgency: str, linked: int = -1) -> int:
        """Create an order now; return its id. ``line`` is the platform that owns it."""
        route = self._routes.get((region, department, kind, urgency))
        if route is None:
            route = self._route(region, department, kind, urgency)
        rows = self._rows
        order_id = len(rows)
        now = self.env.now
        row = [order_id, kind, call_id, linked, region, line, department, category, urgency,
               now, now + route.deadline, NAN, NAN, -1, 0, NAN, route]
        rows.append(row)
        at = now + route.sign()
        if at <= self.end:  # the next step, unless after the end of observation
            due = self._due
            if at in due:
                self.env.tie(at, NORMAL, self._on_signed, row)
            else:
                due[at] = (self._on_signed, row)
                heappush(self._heap, at)
        return order_id

    def _route(self, region: str, department: str, kind: str, urgency: str) -> _Route:
        """Where orders of one kind and urgency for one department of a region are worked."""
        draws = self._draws(region)
        desk = self._desks.get((region, department))
        if desk is None:
            desk = self._desks[(region, department)] = _Desk(self.spec.desk_capacity)
        deadline = self._deadline.get(urgency)
        if deadline is None:
            deadline = self.spec.deadline_hours.get(urgency, 120.0) * HOUR
        # the processing time's sampler: called when work starts, never before (draw order)
        duration = draws.police if kind == POLICE_ORDER else \
            draws.work.get(urgency, draws.work["normal"])
        route = self._routes[(region, department, kind, urgency)] = _Route(
            desk, duration, URGENCY_RANK.get(urgency, 2), draws, deadline)
        return route

    def link(self, order_id: int, other: int) -> None:
        """Record that two orders handle one matter together (S8's dual handling), unless
        ``order_id`` is closed (its record is final) or none (-1)."""
        if order_id >= 0:
            row = self._rows[order_id]
            if row[_CLOSED] != row[_CLOSED]:  # (NaN: still open)
                row[_LINKED] = other

    def order(self, order_id: int) -> OrderRecord:
        """The record of an order so far (open: ``closed`` NaN)."""
        return OrderRecord._make(self._rows[order_id][:_ROUTE])

    def _push(self, row: list, at: float, step: Callable[[list], None]) -> None:
        """Run ``step(row)`` at ``at`` (``env.call_at``'s rule), unless after the end."""
        if at <= self.end:
            due = self._due
            if at in due:
                self.env.tie(at, NORMAL, step, row)
            else:
                due[at] = (step, row)
                heappush(self._heap, at)

    def _signed(self, row: list) -> None:
        now = row[_SIGNED] = self.env.now
        route = row[_ROUTE]
        desk = route.desk
        if desk.busy < desk.capacity:  # ``_to_desk`` and ``_start``, inlined
            desk.busy += 1
            at = now + route.duration()
            if at <= self.end:
                due = self._due
                if at in due:
                    self.env.tie(at, NORMAL, self._on_worked, row)
                else:
                    due[at] = (self._on_worked, row)
                    heappush(self._heap, at)
        else:
            desk.waiting[route.rank].append(row)

    def _to_desk(self, row: list) -> None:
        route = row[_ROUTE]
        desk = route.desk
        if desk.busy < desk.capacity:
            desk.busy += 1
            self._push(row, self.env.now + route.duration(), self._on_worked)
        else:
            desk.waiting[route.rank].append(row)

    def _worked(self, row: list) -> None:
        route = row[_ROUTE]
        desk = route.desk
        desk.busy -= 1
        if desk.busy + 1 >= desk.capacity:  # the desk was full: some may be waiting
            for queue in desk.waiting:
                if queue:
                    nxt = queue.popleft()
                    desk.busy += 1
                    self._push(nxt, self.env.now + nxt[_ROUTE].duration(), self._on_worked)
                    break
        rng = route.rng
        if row[_REOPENED] < MAX_REOPEN and rng.random() < self.reopen:
            row[_REOPENED] += 1
            self._to_desk(row)  # back to the end of the desk's queue
            return
        # closed now, and maybe surveyed by callback (回访)
        closed = row[_CLOSED] = self.env.now
        on_time = closed <= row[_DEADLINE]
        row[_ON_TIME] = 1 if on_time else 0
        sat = self.spec.satisfaction
        if rng.random() < sat.surveyed:
            mean = sat.on_time if on_time else sat.late
            row[_SCORE] = float(rng.beta(mean * sat.concentration,
                                         (1 - mean) * sat.concentration))

    def finish(self) -> OrderLog:
        """Record orders still open at the end of observation (closed empty; on_time 0 when
        already overdue, else -1) and return all, by id."""
        end = self.end
        for row in self._rows:
            if row[_CLOSED] != row[_CLOSED] and row[_DEADLINE] < end:  # open and overdue
                row[_ON_TIME] = 0
        return OrderLog.of_rows(self._rows)


class _Route:
    """Where the orders of one kind and urgency for one department desk of a region go: the
    desk, the processing time's sampler, the rank in the desk's queue, the region's draws
    and the time allowed (seconds)."""

    __slots__ = ("desk", "duration", "rank", "sign", "rng", "deadline")

    def __init__(self, desk: _Desk, duration: Callable[[], float], rank: int,
                 draws: _RegionDraws, deadline: float) -> None:
        self.desk = desk
        self.duration = duration
        self.rank = rank
        self.sign = draws.sign
        self.rng: np.random.Generator = draws.rng
        self.deadline = deadline


class _RegionDraws:
    """One region's order streams: sign-off delay, processing by urgency, police processing,
    and the reopen and survey draws."""

    def __init__(self, spec: Orders, streams, region: str) -> None:
        self.rng = streams(f"orders:{region}")
        self.sign = block_sampler(spec.sign_delay, streams(f"orders:sign:{region}"))
        work = block_sampler(spec.processing, streams(f"orders:work:{region}"))
        self.work = {u: work for u in URGENCY_RANK}
        for urgency, dist in spec.processing_by_urgency.items():
            self.work[urgency] = block_sampler(dist, streams(f"orders:work:{urgency}:{region}"))
        self.police = block_sampler(spec.police_processing, streams(f"orders:police:{region}"))


class _Desk:
    """A department desk of one region: orders worked on at once, and those waiting (FIFO)."""

    __slots__ = ("capacity", "busy", "waiting")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.busy = 0
        self.waiting: tuple[deque[list], ...] = tuple(deque() for _ in URGENCY_RANK)
