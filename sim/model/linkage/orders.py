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
from typing import TYPE_CHECKING, NamedTuple

from sim.domain.distributions import block_sampler
from sim.domain.lines import HOUR
from sim.scenario.linkage import Orders

if TYPE_CHECKING:
    from sim.domain.streams import Streams
    from sim.model.loop import ModelEnvironment

WORK_ORDER, POLICE_ORDER = "work_order", "police_order"
MAX_REOPEN = 3
URGENCY_RANK = {"emergency": 0, "urgent": 1, "normal": 2}
NAN = math.nan
INF = math.inf


class OrderRecord(NamedTuple):
    """The immutable record of one order (see docs/records.md, ``orders.csv.gz``)."""

    order_id: int
    kind: str
    call_id: int
    linked_order_id: int
    region: str
    line: str
    dispatched_to: str
    category: str
    urgency: str
    created: float
    deadline: float
    signed: float
    closed: float
    on_time: int
    reopened: int
    satisfaction: float


class OrderSystem:
    """Creates orders and runs each through its department desk; ``end``: the end of
    observation (orders still open then are recorded open)."""

    def __init__(self, env: ModelEnvironment, spec: Orders, end: float, streams: Streams) -> None:
        self.env = env
        self.spec = spec
        self.end = end
        self.records: list[OrderRecord] = []
        self._desks: dict[tuple[str, str], _Desk] = {}
        self._next_id = 0
        self.created = 0
        self._streams = streams
        self._regions: dict[str, _RegionDraws] = {}
        self._open: dict[int, _Order] = {}
        self._deadline = {u: spec.deadline_hours.get(u, 120.0) * HOUR for u in URGENCY_RANK}
        self.reopen = spec.reopen

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
        order_id = self._next_id
        self._next_id = order_id + 1
        self.created += 1
        now = self.env.now
        deadline = self._deadline.get(urgency)
        if deadline is None:
            deadline = self.spec.deadline_hours.get(urgency, 120.0) * HOUR
        draws = self._regions.get(region)
        if draws is None:
            draws = self._draws(region)
        desk = self._desks.get((region, department))
        if desk is None:
            desk = self._desk(region, department)
        order = _Order(order_id, kind, call_id, linked, region, line, department, category,
                       urgency, now, now + deadline, desk, draws)
        self._open[order_id] = order
        delay = draws.sign()
        if now + delay <= self.end:  # the next step, unless after the end of observation
            self._push(order, delay, self._signed)
        return order_id

    def _push(self, order: _Order, delay: float, step) -> None:
        """Run ``step(order)`` ``delay`` seconds from now (``env.schedule``'s rule)."""
        self.env.call_after(delay, step, order)

    def link(self, order_id: int, other: int) -> None:
        """Record that two orders handle one matter together (S8's dual handling)."""
        order = self._open.get(order_id)
        if order is not None:
            order.linked_order_id = other

    def _desk(self, region: str, department: str) -> _Desk:
        key = (region, department)
        desk = self._desks.get(key)
        if desk is None:
            desk = self._desks[key] = _Desk(self.spec.desk_capacity)
        return desk

    def _signed(self, order: _Order) -> None:
        now = order.signed = self.env.now
        desk = order.desk
        if desk.busy < desk.capacity:  # ``_to_desk`` and ``_start``, inlined
            desk.busy += 1
            delay = order.duration()
            if now + delay <= self.end:
                self._push(order, delay, self._worked)
        else:
            desk.waiting[order.rank].append(order)

    def _to_desk(self, order: _Order) -> None:
        desk = order.desk
        if desk.busy < desk.capacity:
            self._start(desk, order)
        else:
            desk.waiting[order.rank].append(order)

    def _start(self, desk: _Desk, order: _Order) -> None:
        desk.busy += 1
        delay = order.duration()
        if self.env.now + delay <= self.end:
            self._push(order, delay, self._worked)

    def _worked(self, order: _Order) -> None:
        desk = order.desk
        desk.busy -= 1
        if desk.busy + 1 >= desk.capacity:  # the desk was full: some may be waiting
            for queue in desk.waiting:
                if queue:
                    self._start(desk, queue.popleft())
                    break
        rng = order.draws.rng
        if order.reopened < MAX_REOPEN and rng.random() < self.reopen:
            order.reopened += 1
            self._to_desk(order)  # back to the end of the desk's queue
            return
        # closed now, and maybe surveyed by callback (回访)
        closed = self.env.now
        on_time = closed <= order.deadline
        sat = self.spec.satisfaction
        score = NAN
        if rng.random() < sat.surveyed:
            mean = sat.on_time if on_time else sat.late
            score = float(rng.beta(mean * sat.concentration, (1 - mean) * sat.concentration))
        del self._open[order.order_id]
        self.records.append(_new_record(OrderRecord, (
            order.order_id, order.kind, order.call_id, order.linked_order_id, order.region,
            order.line, order.dispatched_to, order.category, order.urgency, order.created,
            order.deadline, order.signed, closed, int(on_time), order.reopened, score)))

    def finish(self) -> list[OrderRecord]:
        """Record orders still open at the end of observation (closed empty; on_time 0 when
        already overdue, else -1) and return all, by id."""
        for order in list(self._open.values()):
            overdue = 0 if order.deadline < self.end else -1
            self.records.append(order.record(NAN, overdue, NAN))
        self._open.clear()
        return sorted(self.records, key=lambda r: r.order_id)


class _Order:
    """One order in flight: the fields of its record so far, where it is worked and the draws
    of its region."""

    __slots__ = ("order_id", "kind", "call_id", "linked_order_id", "region", "line",
                 "dispatched_to", "category", "urgency", "created", "deadline", "signed",
                 "reopened", "desk", "draws", "rank", "duration")

    def __init__(self, order_id: int, kind: str, call_id: int, linked: int, region: str,
                 line: str, department: str, category: str, urgency: str, created: float,
                 deadline: float, desk: _Desk, draws: _RegionDraws) -> None:
        self.order_id = order_id
        self.kind = kind
        self.call_id = call_id
        self.linked_order_id = linked
        self.region = region
        self.line = line
        self.dispatched_to = department
        self.category = category
        self.urgency = urgency
        self.created = created
        self.deadline = deadline
        self.signed = NAN
        self.reopened = 0
        self.desk = desk
        self.draws = draws
        self.rank = URGENCY_RANK.get(urgency, 2)
        # the processing time's sampler: called when work starts, never before (draw order)
        self.duration = draws.police if kind == POLICE_ORDER else \
            draws.work.get(urgency, draws.work["normal"])

    def record(self, closed: float, on_time: int, score: float) -> OrderRecord:
        """The order's record, ending ``closed`` (NaN: still open)."""
        return _new_record(OrderRecord, (
            self.order_id, self.kind, self.call_id, self.linked_order_id, self.region,
            self.line, self.dispatched_to, self.category, self.urgency, self.created,
            self.deadline, self.signed, closed, on_time, self.reopened, score))


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


_new_record = tuple.__new__  # a record from its fields in order (no NamedTuple ``__new__`` call)


class _Desk:
    """A department desk of one region: orders worked on at once, and those waiting (FIFO)."""

    __slots__ = ("capacity", "busy", "waiting")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.busy = 0
        self.waiting: tuple[deque[_Order], ...] = tuple(deque() for _ in URGENCY_RANK)
