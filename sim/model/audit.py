"""The model's invariants as code: an auditor that tests and ``hotline run --audit`` switch on.

Two halves. While the model runs, ``AuditedCentre`` (a ``Centre`` that checks before it acts)
watches every answer and arrival: the clock never runs back, a seat is taken only from a pool
with a free seat on duty, no caller is answered after their patience ran out, trunks are never
exceeded. When the run ends, ``Auditor.finish`` checks that every seat and trunk was given back,
and ``Auditor.check`` reads the records: every leg recorded exactly once, its parent leg
recorded, its times in order, abandonments at the deadline, redials after the attempt they
repeat, and orders conserved (created = closed + open). Without ``audit`` none of this runs, so
the checks cost nothing on ordinary runs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from sim.model.calls import ABANDONED, ANSWERED, BOT, NOT_JOINED, OWN_SEAT, Call, CallLeg
from sim.model.centre import Centre

if TYPE_CHECKING:
    from sim.model.host import CentreHost
    from sim.model.linkage.orders import OrderSystem
    from sim.scenario.plan import CentrePlan

EPS = 1e-9
MAX_PER_RULE = 20  # violations kept per rule (the count is exact)


class Violation(NamedTuple):
    """One broken invariant: which rule, where, and what was seen."""

    rule: str
    detail: str


class AuditedRun(Protocol):
    """What the auditor reads of a replication (``sim.model.network.Network``)."""

    unique_centres: Sequence[Centre]
    next_call_id: int
    orders: OrderSystem | None


class Auditor:
    """Collects violations for one replication."""

    def __init__(self, net: AuditedRun) -> None:
        self.net = net
        self.violations: list[Violation] = []
        self.counts: Counter[str] = Counter()
        self.last_now = -math.inf

    def flag(self, rule: str, detail: str) -> None:
        """Record a violation of ``rule``."""
        self.counts[rule] += 1
        if self.counts[rule] <= MAX_PER_RULE:
            self.violations.append(Violation(rule, detail))

    def clock(self, now: float) -> None:
        """The clock never runs back."""
        if now < self.last_now - EPS:
            self.flag("clock", f"clock went from {self.last_now:g} back to {now:g}")
        self.last_now = max(self.last_now, now)

    # -- at the end of the run --------------------------------------------------------------
    def finish(self) -> None:
        """Every seat, trunk and bot line is free once the run has ended."""
        for c in self.net.unique_centres:
            held = {"own seats busy": c.own_busy + c.own_leaving,
                    "borrowed seats busy": c.borrowed_busy + c.borrowed_leaving,
                    "callers on a trunk": c.talking, "callers waiting": c.waiting,
                    "bot lines busy": c.bot_busy}
            for what, n in held.items():
                if n:
                    self.flag("released", f"{c.plan.key}: {n} {what} after the run")

    def check(self, records: Iterable[tuple], orders: list) -> list[Violation]:
        """Check the records and orders of the finished run; return every violation found."""
        legs = [CallLeg._make(r) for r in records]
        self._legs(legs)
        for leg in legs:
            self._times(leg)
        self._redials(legs)
        self._orders(orders)
        return list(self.violations) + [
            Violation(rule, f"... and {n - MAX_PER_RULE} more") for rule, n in self.counts.items()
            if n > MAX_PER_RULE]

    def _legs(self, legs: list[CallLeg]) -> None:
        seen: dict[tuple[int, int], CallLeg] = {}
        for leg in legs:
            key = (leg.call_id, leg.leg)
            if key in seen:
                self.flag("one record", f"call {leg.call_id} leg {leg.leg} recorded twice")
            seen[key] = leg
        created = self.net.next_call_id
        ids = {leg.call_id for leg in legs}
        if len(ids) != created:
            self.flag("one record", f"{created} calls created, {len(ids)} with records")
        for leg in legs:
            if leg.leg == 0:
                continue
            parent = seen.get((leg.call_id, leg.parent_leg))
            if parent is None:
                self.flag("parent", f"call {leg.call_id} leg {leg.leg}: parent leg "
                                    f"{leg.parent_leg} has no record")
            elif leg.arrival < parent.arrival - EPS:
                self.flag("order", f"call {leg.call_id} leg {leg.leg} arrives before its parent")
        last = Counter()
        for call_id, n in ((leg.call_id, leg.leg) for leg in legs):
            last[call_id] = max(last[call_id], n)
        for call_id, n in last.items():
            missing = [k for k in range(n + 1) if (call_id, k) not in seen]
            if missing:
                self.flag("one record", f"call {call_id}: legs {missing} have no record")

    def _times(self, leg: CallLeg) -> None:
        where = f"call {leg.call_id} leg {leg.leg}"
        if leg.outcome in (ANSWERED, BOT):
            chain = [("arrival", leg.arrival), ("answered", leg.answered),
                     ("talk_end", leg.talk_end)]
            if leg.outcome == ANSWERED:
                if not math.isnan(leg.hold_end):
                    chain.append(("hold_end", leg.hold_end))
                chain.append(("released", leg.released))
            for (a, x), (b, y) in zip(chain, chain[1:], strict=False):
                if not (x <= y + EPS):
                    self.flag("order", f"{where}: {a} {x:g} after {b} {y:g}")
            if leg.answered > leg.deadline + EPS:  # NaN or inf: the leg could not give up
                self.flag("patience", f"{where} answered at {leg.answered:g} after its "
                                      f"patience ran out at {leg.deadline:g}")
        elif leg.outcome in (ABANDONED, NOT_JOINED) and (
                not math.isfinite(leg.deadline) or abs(leg.ended - leg.deadline) > EPS):
            self.flag("patience", f"{where} gave up at {leg.ended:g}, not at its deadline "
                                  f"{leg.deadline:g}")
        if leg.ended < leg.arrival - EPS:
            self.flag("order", f"{where} ended at {leg.ended:g} before arriving {leg.arrival:g}")

    def _redials(self, legs: list[CallLeg]) -> None:
        ends: dict[int, float] = {}
        for leg in legs:
            if leg.outcome not in (ANSWERED, BOT):
                ends[leg.call_id] = max(ends.get(leg.call_id, -math.inf), leg.ended)
        for leg in legs:
            if leg.leg == 0 and leg.redial_of >= 0:
                before = ends.get(leg.redial_of)
                if before is None or leg.arrival < before - EPS:
                    self.flag("redial", f"call {leg.call_id} redials call {leg.redial_of} at "
                                        f"{leg.arrival:g}, before that attempt ended")

    def _orders(self, orders: list) -> None:
        system = self.net.orders
        if system is None:
            return
        closed = sum(1 for o in orders if not math.isnan(o.closed))
        still = len(orders) - closed
        if system.created != closed + still or len({o.order_id for o in orders}) != len(orders):
            self.flag("orders", f"{system.created} orders created, {closed} closed + {still} "
                                f"open recorded")
        police = Counter(o.call_id for o in orders if o.kind == "police_order")
        for call_id, n in police.items():
            if n > 1:
                self.flag("orders", f"call {call_id} created {n} police orders (one per call)")
        for o in orders:
            if not (o.created <= o.signed + EPS or math.isnan(o.signed)) or \
                    (not math.isnan(o.closed) and not o.signed <= o.closed + EPS):
                self.flag("orders", f"order {o.order_id}: created {o.created:g}, signed "
                                    f"{o.signed:g}, closed {o.closed:g} out of order")


class AuditedCentre(Centre):
    """A centre that checks the invariants before each answer and after each arrival."""

    inline_answer = False  # every answer goes through the checked ``_answer``

    def __init__(self, host: CentreHost, plan: CentrePlan, auditor: Auditor) -> None:
        super().__init__(host, plan)
        self.auditor = auditor

    def _answer(self, call: Call, now: float) -> None:
        auditor = self.auditor
        auditor.clock(now)
        if now > call.deadline + EPS:
            auditor.flag("patience", f"{self.plan.key}: call {call.call_id} leg {call.leg} "
                                     f"answered at {now:g} after its deadline {call.deadline:g}")
        super()._answer(call, now)
        # the pool the seat was taken from had a free seat on duty
        own = call.seat == OWN_SEAT
        busy, seats = (self.own_busy, self.own_seats) if own else \
            (self.borrowed_busy, self.borrowed_seats)
        if busy > seats:
            auditor.flag("seats", f"{self.plan.key} at {now:g}: a {'own' if own else 'remote'} "
                                  f"seat taken with {busy - 1} of {seats} on duty busy")

    def bot_took(self) -> None:
        """After the bot takes a call: trunks still not exceeded."""
        self._trunks()

    def arrive(self, call: Call) -> None:
        """Check the clock, arrive, then check the trunks."""
        self.auditor.clock(self.env.now)
        super().arrive(call)
        self._trunks()

    def _trunks(self) -> None:
        if self.talking + self.waiting + self.bot_busy > self.trunks:
            self.auditor.flag("trunks", f"{self.plan.key} at {self.env.now:g}: "
                                            f"{self.talking + self.waiting + self.bot_busy} "
                                            f"callers on {self.trunks} trunks")
