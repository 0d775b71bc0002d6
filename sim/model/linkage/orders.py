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
deadline has already passed, else as not yet known (-1). Like calls, orders move by callback
events on SimPy's loop rather than by a generator process each.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, NamedTuple

from sim.domain.distributions import block_sampler
from sim.domain.lines import HOUR
from sim.model.events import Callback
from sim.scenario.linkage import Orders

if TYPE_CHECKING:
    from sim.domain.streams import Streams
    from sim.model.loop import ModelEnvironment

WORK_ORDER, POLICE_ORDER = "work_order", "police_order"
MAX_REOPEN = 3
URGENCY_RANK = {"emergency": 0, "urgent": 1, "normal": 2}


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
        self._open: dict[int, dict] = {}

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
        self._next_id += 1
        self.created += 1
        now = self.env.now
        state = {"order_id": order_id, "kind": kind, "call_id": call_id,
                 "linked_order_id": linked, "region": region, "line": line,
                 "dispatched_to": department, "category": category, "urgency": urgency,
                 "created": now,
                 "deadline": now + self.spec.deadline_hours.get(urgency, 120.0) * HOUR,
                 "signed": math.nan, "reopened": 0}
        self._open[order_id] = state
        self._later(self._signed, state, self._draws(region).sign())
        return order_id

    def _later(self, fn, tag, delay: float) -> None:
        """Schedule the order's next step, unless it falls after the end of observation."""
        if self.env.now + delay <= self.end:
            Callback(fn, tag).after(self.env, delay)

    def link(self, order_id: int, other: int) -> None:
        """Record that two orders handle one matter together (S8's dual handling)."""
        if order_id in self._open:
            self._open[order_id]["linked_order_id"] = other

    def _desk(self, region: str, department: str) -> _Desk:
        key = (region, department)
        desk = self._desks.get(key)
        if desk is None:
            desk = self._desks[key] = _Desk(self.spec.desk_capacity)
        return desk

    def _signed(self, event: Callback) -> None:
        state = event.tag
        state["signed"] = self.env.now
        self._to_desk(state)

    def _to_desk(self, state: dict) -> None:
        desk = self._desk(state["region"], state["dispatched_to"])
        if desk.busy < desk.capacity:
            self._start(desk, state)
        else:
            desk.waiting[URGENCY_RANK.get(state["urgency"], 2)].append(state)

    def _start(self, desk: _Desk, state: dict) -> None:
        desk.busy += 1
        draws = self._draws(state["region"])
        if state["kind"] == POLICE_ORDER:
            duration = draws.police()
        else:
            duration = draws.work.get(state["urgency"], draws.work["normal"])()
        self._later(self._worked, (desk, state), duration)

    def _worked(self, event: Callback) -> None:
        desk, state = event.tag
        desk.busy -= 1
        queue = next((q for q in desk.waiting if q), None)
        if queue is not None:
            self._start(desk, queue.popleft())
        if state["reopened"] < MAX_REOPEN and \
                self._draws(state["region"]).rng.random() < self.spec.reopen:
            state["reopened"] += 1
            self._to_desk(state)  # back to the end of the desk's queue
        else:
            self._close(state, self.env.now)

    def _close(self, state: dict, closed: float) -> None:
        on_time = closed <= state["deadline"]
        sat = self.spec.satisfaction
        score = math.nan
        rng = self._draws(state["region"]).rng
        if rng.random() < sat.surveyed:
            mean = sat.on_time if on_time else sat.late
            score = float(rng.beta(mean * sat.concentration, (1 - mean) * sat.concentration))
        del self._open[state["order_id"]]
        self.records.append(self._record(state, closed, int(on_time), score))

    def _record(self, state: dict, closed: float, on_time: int, score: float) -> OrderRecord:
        fields = {k: state[k] for k in OrderRecord._fields if k in state}
        return OrderRecord(**fields, closed=closed, on_time=on_time, satisfaction=score)

    def finish(self) -> list[OrderRecord]:
        """Record orders still open at the end of observation (closed empty; on_time 0 when
        already overdue, else -1) and return all, by id."""
        for state in list(self._open.values()):
            overdue = 0 if state["deadline"] < self.end else -1
            self.records.append(self._record(state, math.nan, overdue, math.nan))
        self._open.clear()
        return sorted(self.records, key=lambda r: r.order_id)


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
        self.waiting: tuple[deque[dict], ...] = tuple(deque() for _ in URGENCY_RANK)
