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

An order's fields are kept by its id in typed arrays while it runs (no object per order), and
become the columns of the replication's ``OrderLog`` when the run ends.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import TYPE_CHECKING

import numpy as np
from simpy.events import NORMAL

from sim.domain.distributions import beta_sampler, block_sampler, uniforms
from sim.domain.lines import HOUR
from sim.model.linkage.order_log import ORDER_DTYPES, OrderLog, OrderRecord
from sim.scenario.linkage import Orders

if TYPE_CHECKING:
    from sim.domain.streams import Streams
    from sim.model.loop import ModelEnvironment

__all__ = ["MAX_REOPEN", "POLICE_ORDER", "URGENCY_RANK", "WORK_ORDER", "OrderLog", "OrderRecord",
           "OrderSystem", "Route"]

WORK_ORDER, POLICE_ORDER = "work_order", "police_order"
MAX_REOPEN = 3
URGENCY_RANK = {"emergency": 0, "urgent": 1, "normal": 2}
NAN = math.nan
INF = math.inf
_CHUNK = 4096  # orders' room added to the arrays at a time
_ROUTE_FIELDS = ("kind", "region", "line", "dispatched_to", "category", "urgency")


class OrderSystem:
    """Creates orders and runs each through its department desk; ``end``: the end of
    observation (orders still open then are recorded open)."""

    def __init__(self, env: ModelEnvironment, spec: Orders, end: float, streams: Streams) -> None:
        self.env = env
        self.spec = spec
        self.end = end
        self._desks: dict[tuple[str, str], _Desk] = {}
        self._streams = streams
        self._regions: dict[str, _RegionDraws] = {}
        self._routes: dict[tuple[str, str, str, str, str, str], Route] = {}
        self._deadline = {u: spec.deadline_hours.get(u, 120.0) * HOUR for u in URGENCY_RANK}
        self.reopen = spec.reopen
        self.surveyed = spec.satisfaction.surveyed
        # Every order's fields by id, in arrays with room for ``_size`` orders (filled with
        # what an order has before its steps fill them in); the strings are its route's.
        self._n = self._size = 0
        self._call_id, self._linked = array("q"), array("q")
        self._created, self._deadline_at = array("d"), array("d")
        self._signed_at, self._closed_at = array("d"), array("d")
        self._on_time, self._reopened, self._score = array("q"), array("q"), array("d")
        self._route_of: list[Route | None] = []
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
        return self._n

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
        route = self._routes.get((kind, region, line, department, category, urgency))
        if route is None:
            route = self.route(kind, region, line, department, category, urgency)
        return self.open(route, call_id, linked)

    def route(self, kind: str, region: str, line: str, department: str, category: str,
              urgency: str) -> Route:
        """Where orders with these fields go (the same object for the same fields): for
        ``open``, which then needs only what differs between orders."""
        key = (kind, region, line, department, category, urgency)
        route = self._routes.get(key)
        if route is None:
            draws = self._draws(region)
            desk = self._desks.get((region, department))
            if desk is None:
                desk = self._desks[(region, department)] = _Desk(self.spec.desk_capacity)
            deadline = self._deadline.get(urgency)
            if deadline is None:
                deadline = self.spec.deadline_hours.get(urgency, 120.0) * HOUR
            route = self._routes[key] = Route(len(self._routes), key, desk, draws, deadline)
        return route

    def open(self, route: Route, call_id: int, linked: int = -1) -> int:
        """Create an order now along ``route`` (``route``'s fields); return its id."""
        order_id = self._n
        if order_id == self._size:
            self._grow()
        self._n = order_id + 1
        now = self.env.now
        self._call_id[order_id] = call_id
        self._linked[order_id] = linked
        self._created[order_id] = now
        self._deadline_at[order_id] = now + route.deadline
        self._route_of[order_id] = route
        self._push(order_id, now + route.sign(), self._on_signed)
        return order_id

    def open_all(self, routes: tuple[Route, ...], call_id: int) -> None:
        """Open an order now along each of ``routes`` in turn, each after the first linked
        with the one before (S8's dual handling: as ``open`` with ``linked``, then ``link``)."""
        previous = -1
        for route in routes:
            order = self.open(route, call_id, previous)
            if previous >= 0:
                self.link(previous, order)
            previous = order

    def _grow(self) -> None:
        self._size += _CHUNK
        for values, empty in ((self._call_id, 0), (self._linked, -1), (self._created, NAN),
                              (self._deadline_at, NAN), (self._signed_at, NAN),
                              (self._closed_at, NAN), (self._on_time, -1), (self._reopened, 0),
                              (self._score, NAN)):
            values.extend(array(values.typecode, (empty,)) * _CHUNK)
        self._route_of.extend([None] * _CHUNK)

    def link(self, order_id: int, other: int) -> None:
        """Record that two orders handle one matter together (S8's dual handling), unless
        ``order_id`` is closed (its record is final) or none (-1)."""
        if order_id >= 0 and self._closed_at[order_id] != self._closed_at[order_id]:  # NaN: open
            self._linked[order_id] = other

    def order(self, order_id: int) -> OrderRecord:
        """The record of an order so far (open: ``closed`` NaN, ``on_time`` -1)."""
        if not 0 <= order_id < self._n:
            raise IndexError(f"no order {order_id}")
        route = self._route_of[order_id]
        i = order_id
        return OrderRecord(
            i, route.kind, self._call_id[i], self._linked[i], route.region, route.line,
            route.dispatched_to, route.category, route.urgency, self._created[i],
            self._deadline_at[i], self._signed_at[i], self._closed_at[i], self._on_time[i],
            self._reopened[i], self._score[i])

    def _push(self, order_id: int, at: float, step: Callable[[int], None]) -> None:
        """Run ``step(order_id)`` at ``at`` (``env.call_at``'s rule), unless after the end."""
        if at <= self.end:
            due = self._due
            if at in due:
                self.env.tie(at, NORMAL, step, order_id)
            else:
                due[at] = (step, order_id)
                heappush(self._heap, at)

    def _signed(self, order_id: int) -> None:
        self._signed_at[order_id] = self.env.now
        self._to_desk(order_id)

    def _to_desk(self, order_id: int) -> None:
        route = self._route_of[order_id]
        desk = route.desk
        if desk.busy < desk.capacity:
            desk.busy += 1
            self._push(order_id, self.env.now + route.duration(), self._on_worked)
        else:
            desk.waiting[route.rank].append(order_id)

    def _worked(self, order_id: int) -> None:
        route = self._route_of[order_id]
        desk = route.desk
        desk.busy -= 1
        if desk.busy + 1 >= desk.capacity:  # the desk was full: some may be waiting
            for queue in desk.waiting:
                if queue:
                    waiting = queue.popleft()
                    desk.busy += 1
                    self._push(waiting, self.env.now + self._route_of[waiting].duration(),
                               self._on_worked)
                    break
        draws = route.draws
        reopened = self._reopened
        if reopened[order_id] < MAX_REOPEN and draws.reopen() < self.reopen:
            reopened[order_id] += 1
            self._to_desk(order_id)  # back to the end of the desk's queue
            return
        # closed now, and maybe surveyed by callback (回访)
        closed = self._closed_at[order_id] = self.env.now
        if closed <= self._deadline_at[order_id]:
            self._on_time[order_id] = 1
            if draws.survey() < self.surveyed:
                self._score[order_id] = draws.score_on_time()
        else:
            self._on_time[order_id] = 0
            if draws.survey() < self.surveyed:
                self._score[order_id] = draws.score_late()

    def finish(self) -> OrderLog:
        """Record orders still open at the end of observation (closed empty; on_time 0 when
        already overdue, else -1) and return all, by id."""
        n = self._n
        columns: dict[str, np.ndarray] = {"order_id": np.arange(n, dtype=np.int64)}
        routes = sorted(self._routes.values(), key=lambda r: r.index)
        which = np.fromiter((r.index for r in self._route_of[:n]), dtype=np.int64, count=n)
        for name in _ROUTE_FIELDS:
            columns[name] = np.array([getattr(r, name) for r in routes] or [""],
                                     dtype=object)[which]
        for name, values in (("call_id", self._call_id), ("linked_order_id", self._linked),
                             ("created", self._created), ("deadline", self._deadline_at),
                             ("signed", self._signed_at), ("closed", self._closed_at),
                             ("on_time", self._on_time), ("reopened", self._reopened),
                             ("satisfaction", self._score)):
            columns[name] = np.frombuffer(values, dtype=ORDER_DTYPES[name], count=n).copy()
        overdue = np.isnan(columns["closed"]) & (columns["deadline"] < self.end)
        columns["on_time"][overdue] = 0
        return OrderLog({name: columns[name] for name in ORDER_DTYPES})


class Route:
    """Where the orders with the same fields but their call go (``OrderSystem.route``): the
    desk of their department in their region, the processing time's sampler, their rank in
    the desk's queue, the region's draws and the time allowed (seconds)."""

    __slots__ = ("index", "kind", "region", "line", "dispatched_to", "category", "urgency",
                 "desk", "duration", "rank", "sign", "draws", "deadline")

    def __init__(self, index: int, key: tuple[str, str, str, str, str, str], desk: _Desk,
                 draws: _RegionDraws, deadline: float) -> None:
        self.index = index
        self.kind, self.region, self.line, self.dispatched_to, self.category, self.urgency = key
        self.desk = desk
        # the processing time's sampler: called when work starts, never before (draw order)
        self.duration: Callable[[], float] = draws.police if self.kind == POLICE_ORDER else \
            draws.work.get(self.urgency, draws.work["normal"])
        self.rank = URGENCY_RANK.get(self.urgency, 2)
        self.sign = draws.sign
        self.draws = draws
        self.deadline = deadline


class _RegionDraws:
    """One region's order streams, each drawn in numpy blocks: sign-off delay, processing by
    urgency, police processing, the reopen and survey uniforms and the survey's scores (Beta,
    by whether the order closed on time)."""

    def __init__(self, spec: Orders, streams, region: str) -> None:
        self.sign = block_sampler(spec.sign_delay, streams(f"orders:sign:{region}"))
        work = block_sampler(spec.processing, streams(f"orders:work:{region}"))
        self.work = {u: work for u in URGENCY_RANK}
        for urgency, dist in spec.processing_by_urgency.items():
            self.work[urgency] = block_sampler(dist, streams(f"orders:work:{urgency}:{region}"))
        self.police = block_sampler(spec.police_processing, streams(f"orders:police:{region}"))
        self.reopen = uniforms(streams(f"orders:reopen:{region}"))
        self.survey = uniforms(streams(f"orders:survey:{region}"))
        sat = spec.satisfaction
        self.score_on_time, self.score_late = (
            beta_sampler(mean * sat.concentration, (1 - mean) * sat.concentration,
                         streams(f"orders:score:{name}:{region}"))
            for name, mean in (("on_time", sat.on_time), ("late", sat.late)))


class _Desk:
    """A department desk of one region: orders worked on at once, and those waiting (FIFO)."""

    __slots__ = ("capacity", "busy", "waiting")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.busy = 0
        self.waiting: tuple[deque[int], ...] = tuple(deque() for _ in URGENCY_RANK)
