"""What the router reads of a category, looked up once: per scenario (``Rule``) and per centre
(``Case``), so that a leg's decision after its talk is mostly a few attribute reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.domain.taxonomy import NO_OWNER, Category
from sim.model.calls import DISPATCH, DUAL_ORDER, GUIDANCE, POLICE_ORDER, RESOLVED, WORK_ORDER

if TYPE_CHECKING:
    from sim.model.centre import Centre
    from sim.model.linkage.orders import Route

COUNTERPART = {"12345": "110", "110": "12345"}
"""The other platform of a three-way call about unclear scope (S4)."""

# How the owner handles a call (``Category.handling``), as small ints for the hot path.
RESOLVE, GUIDE, DISPATCHED, WORK_ORDERED, POLICE_ORDERED, DUAL = range(6)
_HANDLING = {"resolve": RESOLVE, "guidance": GUIDE, "dispatch": DISPATCHED,
             "work_order": WORK_ORDERED, "police_order": POLICE_ORDERED, "dual": DUAL}


class Rule:
    """What the router reads of one category on every answered leg, looked up once per
    scenario: the category and its flags, how its owner handles it, the departments its orders
    go to, and the lines a misclassification can pick."""

    __slots__ = ("cat", "owner", "no_owner", "no_owner_disposition", "danger", "scope_unclear",
                 "handling", "disposition", "department", "police_department", "code",
                 "urgency", "wrong")

    def __init__(self, cat: Category, served_lines: list[str]) -> None:
        self.cat = cat
        self.owner = cat.owner
        self.no_owner = cat.owner == NO_OWNER
        self.no_owner_disposition = GUIDANCE if cat.out_of_scope and cat.kind == "out_of_scope" \
            else RESOLVED
        self.danger = cat.danger
        self.scope_unclear = cat.scope_unclear
        self.handling = _HANDLING.get(cat.handling, DUAL)
        self.disposition = (RESOLVED, GUIDANCE, DISPATCH, WORK_ORDER, POLICE_ORDER,
                            DUAL_ORDER)[self.handling]
        self.department = cat.department
        self.police_department = cat.department if cat.owner == "110" and cat.department \
            else "属地派出所"
        self.code = cat.code
        self.urgency = cat.urgency
        self.wrong = [ln for ln in served_lines if ln != cat.owner]


# What a leg answered by its category's owner (classified right) comes to (``Case.right``).
DONE, AT_OWNER, FIRST_RECEIVER, PASS_ON = range(4)


class Case:
    """What the router knows before a leg of one category at one centre: the rules that apply
    there (S7's police first, S4's unclear scope), the line's accuracy, and where a leg
    classified right goes. Made once per centre and category (``DiversionRouter._case``)."""

    __slots__ = ("rule", "fixed", "police_first", "scope", "counterpart", "accuracy", "right",
                 "disposition", "police_routes", "work_routes")

    def __init__(self, rule: Rule | None, centre: Centre, accuracy: dict[str, float]) -> None:
        self.rule = rule
        # the disposition of a leg without link state, whatever it is classified as (-1: none)
        self.fixed = RESOLVED if rule is None else \
            rule.no_owner_disposition if rule.no_owner else -1
        line = centre.plan.line
        self.police_first = rule is not None and rule.danger and line == "110" and \
            rule.owner != "110"
        self.scope = rule.scope_unclear if rule is not None and line in COUNTERPART else 0.0
        self.counterpart = COUNTERPART.get(line)
        self.accuracy = accuracy[line]
        self.right = PASS_ON
        self.disposition = -1
        # where its orders go, by the line they are for (``DiversionRouter._order``)
        self.police_routes: dict[str, Route] = {}
        self.work_routes: dict[str, Route] = {}
        if rule is not None and not rule.no_owner:
            owner, here = rule.owner, centre.lines
            if owner == line or (owner in here and not rule.danger):  # it stays here
                if owner not in here:
                    self.right = FIRST_RECEIVER
                elif rule.handling <= DISPATCHED:  # resolved, guidance or dispatch: no order
                    self.right, self.disposition = DONE, rule.disposition
                else:
                    self.right = AT_OWNER
