"""Routing after the talk: the seed's rules between 12345, 110, 119, 120, 122 and utilities.

Rules, in the order they apply to a call of category ``c`` answered at line ``L``:

1. No owner (S1 exclusions, invalid calls): guidance only, or resolved on the call.
2. Unclear scope at 12345 or 110 (chance ``c.scope_unclear``): three-way call (三方通话, S4)
   with the other platform; both seats are held for the negotiation. If they agree, the owner
   per the list takes it; if not, the platform that first received it keeps it, and where there
   is danger to life, property or public safety 110 dispatches first (S7).
3. The call-taker classifies: right with the line's accuracy, else picks a wrong line (a
   misclassified call goes to the wrong line and must come back: a bounced transfer).
4. Belongs here: handled per the list: resolve, work order, police order, dispatch, guidance,
   or dual (S8: a police order now plus a work order through 12345 to the local government).
5. Belongs to another line: danger reaching a line other than 110 goes to 110 first (S7);
   otherwise the category's mode: one-key transfer carrying the record (一键携号转接, S3: queued
   with priority, shorter talk there), three-way call, or system dispatch of an order (系统派件,
   S5). A line with no centre reachable gets a system-dispatched order. After ``max_hops``
   transfers the current centre keeps the call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.domain.draws import (
    AGREE,
    CLASSIFY,
    GOLDEN,
    M1,
    M2,
    MASK,
    NEGOTIATION,
    SALT,
    SCOPE,
    TO_UNIT,
    WRONG_LINE,
    uniform,
)
from sim.domain.lines import EMERGENCY_CLASS, ORDINARY_CLASS, TRANSFER_CLASS
from sim.domain.taxonomy import NO_OWNER, Category
from sim.model.calls import (
    GUIDANCE,
    ONE_KEY,
    RESOLVED,
    RETURNED,
    SYSTEM_DISPATCH,
    THREE_WAY,
    TRANSFER,
    Call,
)
from sim.model.linkage.categories import CategoryTable
from sim.model.linkage.orders import POLICE_ORDER as POLICE
from sim.model.linkage.orders import WORK_ORDER as WORK
from sim.model.linkage.orders import OrderSystem, Route
from sim.model.linkage.rules import (
    AT_OWNER,
    DISPATCHED,
    DONE,
    DUAL,
    FIRST_RECEIVER,
    POLICE_ORDERED,
    WORK_ORDERED,
    Case,
    Rule,
)
from sim.model.linkage.settled import case_outcome, settled_at_answer
from sim.scenario.linkage import Linkage

if TYPE_CHECKING:
    from sim.model.centre import Centre
    from sim.model.directory import Directory

NextLeg = Callable[..., Call]
"""``sim.model.callers.Callers.next_leg``: a call's next leg, arriving now at a centre."""

HOLD = None
"""``after_talk`` result: the seat stays held until the router releases it."""
DEFAULT_ACCURACY = 0.95
_CLASSIFY_SALT = SALT[CLASSIFY]
class LinkState:
    """Per-call linkage state, created only for calls that need it."""

    __slots__ = ("partner", "agreement", "next_talk", "negotiated", "keep", "police_done",
                 "police_order", "hold_end", "negotiation_end")

    def __init__(self) -> None:
        self.partner: Call | None = None
        self.agreement = 1.0
        self.next_talk = -1.0
        self.negotiated = False
        self.keep = False
        self.police_done = False
        self.police_order = -1  # the call's police order, once there is one
        self.hold_end = math.nan  # first leg: when its seat's hold on the conference ended
        self.negotiation_end = math.nan  # receiving leg: when the negotiation ended

    def carried(self) -> LinkState:
        """The state a next leg of the call inherits: what was negotiated and dispatched."""
        new = LinkState()
        new.negotiated = self.negotiated
        new.police_done = self.police_done
        new.police_order = self.police_order
        return new


def state(call: Call) -> LinkState:
    """The call's link state, created on first use."""
    if call.link is None:
        call.link = LinkState()
    return call.link


class ResolveAll:
    """The default strategy without linkage: every answered call is resolved on the call."""

    def after_talk(self, call: Call, centre: Centre, now: float) -> float | None:
        """Resolve; the seat is free after wrap-up."""
        call.disposition = RESOLVED
        return 0.0


class DiversionRouter:
    """The seed's routing rules over the diversion list (see the module docstring).

    ``directory``: where a line's centre is for a region (and the centres by index);
    ``next_leg``: makes the leg a transfer or conference sends on.
    """

    def __init__(self, directory: Directory, next_leg: NextLeg, spec: Linkage,
                 table: CategoryTable, orders: OrderSystem) -> None:
        self.directory = directory
        self.centres = directory.centres
        self.next_leg = next_leg
        self.spec = spec
        self.table = table
        self.orders = orders
        self.negotiation = spec.three_way.negotiation
        default = spec.accuracy.get("default", DEFAULT_ACCURACY)
        self.accuracy = {line: spec.accuracy.get(line, default) for line in directory.line_names}
        self.served_lines = sorted({p.line for p in directory.plans})
        self.rules = [None if c is None else Rule(c, self.served_lines)
                      for c in table.categories]
        self.max_hops = spec.max_hops
        self._platform: dict[str, str] = {}  # line -> its platform's department name
        # by centre index, then category id: the case (made on first use)
        self._cases: list[list[Case | None]] = [[None] * len(self.rules)
                                                for _ in directory.centres]

    # -- the decision ----------------------------------------------------------------------
    def _case(self, centre: Centre, category: int) -> Case:
        case = self._cases[centre.index][category] = Case(self.rules[category], centre,
                                                          self.accuracy)
        return case

    def settled_first(self, centres: np.ndarray, categories: np.ndarray,
                      keys: np.ndarray) -> list[tuple | None]:
        """For first attempts dialling ``centres`` (indexes) about ``categories`` with ``keys``:
        what ``after_talk`` will come to for each where its centre's seats answer it with no
        link state, where that is settled then (None: ask it; ``sim.model.linkage.settled``),
        with the routes of its orders (for ``OrderSystem.open_all``).
        """
        width = len(self.rules)
        # each leg's case, as answering centre * width + category
        of_leg = np.asarray(self.directory.serving, dtype=np.int64)[centres] * width + categories
        present = np.flatnonzero(np.bincount(of_leg))  # the cases of some leg, in order
        position = np.zeros(len(self.centres) * width, dtype=np.int64)
        position[present] = np.arange(len(present))
        outcomes, drawn, scope, accuracy = [], [], [], []
        for pair in present.tolist():
            index, category = divmod(pair, width)
            centre = self.centres[index]
            case = self._cases[index][category]
            if case is None:
                case = self._case(centre, category)
            outcome, by_draws = case_outcome(case, centre, self.directory, self.max_hops)
            if outcome is not None and outcome[2] is not None:  # the orders' routes, found now
                outcome = (*outcome[:2], self._routes(case, centre, outcome[2]))
            outcomes.append(outcome)
            drawn.append(by_draws)
            scope.append(case.scope if self.max_hops > 0 else 0.0)
            accuracy.append(case.accuracy)
        return settled_at_answer(outcomes, drawn, scope, accuracy, position[of_leg], keys)

    def after_talk(self, call: Call, centre: Centre, now: float) -> float | None:
        """Decide what the seat does with the call; ``HOLD`` keeps the seat busy."""
        case = self._cases[centre.index][call.category]
        if case is None:
            case = self._case(centre, call.category)
        link = call.link
        if link is None:
            if case.fixed >= 0:  # no category, or no owner
                call.disposition = case.fixed
                return 0.0
        else:
            rule = case.rule
            if rule is None:
                call.disposition = RESOLVED
                return 0.0
            if link.partner is not None:
                return self._end_negotiation(call, centre, rule.cat, now)
            if link.keep:
                return self._first_receiver(call, centre, rule.cat)
            if rule.no_owner:
                call.disposition = rule.no_owner_disposition
                return 0.0
        rule = case.rule
        if case.police_first:
            self._police_first(call, centre, rule.cat)
        if (case.scope and not (link and link.negotiated) and call.leg < self.max_hops
                and uniform(call.key, SCOPE) < case.scope):
            target = self.directory.reachable(centre.plan.region, case.counterpart)
            if target is not None:
                return self._start_three_way(call, centre, target, self.spec.three_way.agreement)
        x = ((call.key ^ _CLASSIFY_SALT) + GOLDEN) & MASK  # uniform(key, CLASSIFY), inlined
        x = ((x ^ (x >> 30)) * M1) & MASK
        x = ((x ^ (x >> 27)) * M2) & MASK
        if ((x ^ (x >> 31)) >> 11) * TO_UNIT < case.accuracy:  # classified right: the owner
            right = case.right
            if right == DONE:
                call.disposition = case.disposition
                return 0.0
            if right == AT_OWNER:
                return self._at_owner(call, centre, rule.cat)
            if right == FIRST_RECEIVER:
                return self._first_receiver(call, centre, rule.cat)
            perceived = rule.owner
        else:
            perceived = self._wrong(call, rule)
            line, here = centre.plan.line, centre.lines  # (S18: lines merged into these seats)
            if perceived == line or (perceived in here and not rule.danger):
                if rule.owner not in here:
                    return self._first_receiver(call, centre, rule.cat)
                if rule.handling <= DISPATCHED:  # resolved, guidance or dispatch: no order
                    call.disposition = rule.disposition
                    return 0.0
                return self._at_owner(call, centre, rule.cat)
        if call.leg >= self.max_hops:
            return self._first_receiver(call, centre, rule.cat)
        return self._pass_on(call, centre, rule.cat, perceived)

    def _wrong(self, call: Call, rule: Rule) -> str:
        """A misclassification: some other served line than the owner."""
        pool = rule.wrong
        return pool[int(uniform(call.key, WRONG_LINE) * len(pool))] if pool else rule.owner

    def _pass_on(self, call: Call, centre: Centre, cat: Category, perceived: str) -> float | None:
        line = centre.plan.line
        mode = cat.transfer_mode if perceived == cat.owner else "one_key"
        target_line = perceived
        link = call.link
        if cat.danger and line != "110" and perceived != "110" and not (link and link.police_done) \
                and self.directory.reachable(centre.plan.region, "110") is not None:
            target_line, mode = "110", "one_key"  # S7: 110 dispatches first
        target = self.directory.reachable(centre.plan.region, target_line)
        if target is not None and self.centres[target] is centre:  # merged into these seats
            return self._first_receiver(call, centre, cat)
        if target is None or mode == "system_dispatch":
            return self._system_dispatch(call, centre, cat, target_line)
        if mode == "three_way":
            return self._start_three_way(call, centre, target, 1.0)
        return self._one_key(call, centre, target)

    # -- handling where the call stays -------------------------------------------------------
    def _at_owner(self, call: Call, centre: Centre, cat: Category) -> float:
        rule = self.rules[call.category]
        handling = rule.handling
        call.disposition = rule.disposition
        if handling == WORK_ORDERED:
            owner = cat.owner if cat.owner in centre.lines else centre.plan.line
            self._order(WORK, call, centre, cat, owner)
        elif handling == POLICE_ORDERED:
            if not (call.link and call.link.police_done):
                self._order(POLICE, call, centre, cat, "110")
        elif handling == DUAL:  # S8: a police order now and a work order through 12345, linked
            link = call.link
            police = link.police_order if link is not None and link.police_done \
                else self._order(POLICE, call, centre, cat, "110")  # police may be there first
            work = self._order(WORK, call, centre, cat, "12345", linked=police)
            self.orders.link(police, work)
        return 0.0

    def _first_receiver(self, call: Call, centre: Centre, cat: Category) -> float:
        """S7: the platform that first received the call handles it (an order to the owner)."""
        if cat.owner in centre.lines:
            return self._at_owner(call, centre, cat)
        if cat.owner == NO_OWNER:
            call.disposition = GUIDANCE
            return 0.0
        return self._system_dispatch(call, centre, cat, cat.owner)

    def _system_dispatch(self, call: Call, centre: Centre, cat: Category, line: str) -> float:
        call.disposition = SYSTEM_DISPATCH
        call.to_line = self.directory.line_index(line)
        kind = POLICE if line == "110" else WORK
        if not (kind == POLICE and call.link and call.link.police_done):
            self._order(kind, call, centre, cat, line)
        return 0.0

    def _police_first(self, call: Call, centre: Centre, cat: Category) -> None:
        link = state(call)
        if not link.police_done:
            link.police_done = True
            self._order(POLICE, call, centre, cat, "110")

    def _order(self, kind: str, call: Call, centre: Centre, cat: Category, line: str,
               linked: int = -1) -> int:
        case = self._cases[centre.index][call.category]
        if case is None:
            case = self._case(centre, call.category)
        order = self.orders.open(self._route_of(case, kind, centre, line), call.call_id, linked)
        link = call.link
        if kind == POLICE and link is not None:
            # One police order per call, whatever legs follow: a leg that goes on has a link
            # (``_police_first``); a leg ending here (no link: no hold, no conference) needs
            # no note of it, and keeps the centre's common path.
            link.police_done, link.police_order = True, order
        return order

    def _routes(self, case: Case, centre: Centre, orders: tuple[tuple[str, str], ...]
                ) -> tuple[Route, ...]:
        """The routes of ``orders`` (``(kind, line)`` pairs) of a leg of ``case`` at
        ``centre``: those ``_order`` takes for them."""
        return tuple(self._route_of(case, kind, centre, line) for kind, line in orders)

    def _route_of(self, case: Case, kind: str, centre: Centre, line: str) -> Route:
        """The route of an order of ``kind`` for ``line`` of a leg of ``case`` at ``centre``
        (found once per case, kind and line)."""
        routes = case.police_routes if kind == POLICE else case.work_routes
        route = routes.get(line)
        if route is None:
            route = routes[line] = self._route(kind, case.rule, centre, line)
        return route

    def _route(self, kind: str, rule: Rule, centre: Centre, line: str) -> Route:
        """Where an order of ``kind`` of the rule's category, created at ``centre`` for
        ``line``, goes: its department (the platform's own where the category names none)."""
        if kind == POLICE:
            department = rule.police_department
        else:
            department = rule.department
            if not department:
                department = self._platform.get(line)
                if department is None:
                    department = self._platform[line] = f"{line} 平台"
        return self.orders.route(kind, centre.plan.region, line, department, rule.code,
                                 rule.urgency)

    # -- voice transfers -------------------------------------------------------------------
    def _one_key(self, call: Call, centre: Centre, target: int) -> float:
        call.disposition = TRANSFER
        leg = self.next_leg(call, target, ONE_KEY, self._priority(call))
        leg.talk_factor = call.talk_factor * self.spec.transfer_talk_factor
        self.centres[target].arrive(leg)
        return 0.0

    def _start_three_way(self, call: Call, centre: Centre, target: int,
                         agreement: float) -> float | None:
        call.disposition = TRANSFER
        state(call).negotiated = True
        leg = self.next_leg(call, target, THREE_WAY, self._priority(call),
                                ring=self.spec.three_way.ring_seconds)
        link = state(leg)
        link.partner, link.agreement, link.negotiated = call, agreement, True
        link.next_talk = self.negotiation.quantile(uniform(leg.key, NEGOTIATION))
        self.centres[target].arrive(leg)  # may end at once (busy trunks): see not_joined
        return HOLD

    def not_joined(self, leg: Call, at: float) -> None:
        """The other platform did not join the conference (busy trunks, or no seat answered
        within the ring time): the first receiver keeps the call (S7) and its seat is released
        after handling; where there is danger, 110 dispatches first."""
        first = leg.link.partner
        leg.link.partner = None
        first_centre = self.centres[first.centre]
        cat = self.table.categories[first.category]
        state(first).keep = True
        if cat.danger:
            self._police_first(first, first_centre, cat)
        self._first_receiver(first, first_centre, cat)
        first_centre.finish_held(first, at)

    def _end_negotiation(self, leg: Call, centre: Centre, cat: Category,
                         now: float) -> float | None:
        link = leg.link
        first = link.partner
        link.partner = None
        link.negotiation_end = now
        first_centre = self.centres[first.centre]
        agreed = uniform(leg.key, AGREE) < link.agreement
        factor = self.table.talk_factor[leg.category] * self.spec.transfer_talk_factor
        if agreed and cat.owner in centre.lines:
            first_centre.finish_held(first, now)
            leg.talk_factor = factor
            centre.continue_talk(leg, centre.talk_for(leg) * factor)
            return HOLD
        # Back to the first receiver: a leg of its own on the seat that never freed.
        leg.disposition = RETURNED
        back = self.next_leg(leg, first.centre, THREE_WAY, first.priority, seated=True)
        sent = first.link if first.link.police_done else link
        back.link = first.link.carried()
        back.link.negotiated = True
        back.link.police_done, back.link.police_order = sent.police_done, sent.police_order
        if not agreed:
            back.link.keep = True  # S7: the platform that first received it handles it
            if cat.danger:
                self._police_first(back, centre if centre.plan.line == "110" else first_centre,
                                   cat)
        first_centre.hand_over(first, back, now, first_centre.talk_for(back) * factor)
        return 0.0

    def _priority(self, call: Call) -> int:
        if call.priority == EMERGENCY_CLASS:
            return EMERGENCY_CLASS
        return TRANSFER_CLASS if self.spec.transfer_priority else ORDINARY_CLASS
