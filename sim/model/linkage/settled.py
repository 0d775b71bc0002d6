"""What a first leg comes to, known before it is answered: the routing settled at answer.

A first attempt reaching its centre directly (no outages, no bot) has no link state, and
``DiversionRouter.after_talk`` decides such a leg from its ``Case`` (its answering centre and
category, fixed for the run), the directory (fixed without outages) and two draws by its key
(S4's unclear scope, the classification: sim.domain.draws, the same whenever they are made).
Where that decision ends the leg at its centre, with nothing to do after the talk but open
orders, the whole record is known when it is answered (``Centre.arrive_settled``), and the
only work left for the talk's end is to open those orders (``OrderSystem.open_all``), then,
as every leg, to free the trunk and the seat after wrap-up.

An ``Outcome`` is ``(disposition, to_line, orders)``: the record's disposition and
``to_line`` (-1: none), and the orders opened when the talk ends, in order, as
``(kind, line)`` pairs (each after the first linked with the one before it: S8's dual
handling), or None. (``DiversionRouter.settled_first`` hands them to the centres with each
pair's ``Route`` instead.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.domain.draws import CLASSIFY, SCOPE, uniform_array
from sim.model.calls import SYSTEM_DISPATCH
from sim.model.linkage.orders import POLICE_ORDER as POLICE
from sim.model.linkage.orders import WORK_ORDER as WORK
from sim.model.linkage.rules import AT_OWNER, DONE, DUAL, PASS_ON, POLICE_ORDERED, WORK_ORDERED

if TYPE_CHECKING:
    from sim.model.centre import Centre
    from sim.model.directory import Directory
    from sim.model.linkage.rules import Case

Outcome = tuple[int, int, "tuple[tuple[str, str], ...] | None"]


def case_outcome(case: Case, centre: Centre, directory: Directory,
                 max_hops: int) -> tuple[Outcome | None, bool]:
    """What ``after_talk`` comes to for a first leg without link state at ``centre`` (its
    answering centre) of ``case``: the outcome, and whether it holds only for a leg its draws
    classify right with no three-way call (False: for every leg); None where the leg may do
    more (a hold, a transfer, S7's police first) or ``after_talk`` is to be asked."""
    if case.fixed >= 0:  # no category, or no owner: whatever the draws
        return (case.fixed, -1, None), False
    if case.police_first:
        return None, False
    rule = case.rule
    if case.right == DONE:
        return (case.disposition, -1, None), True
    if case.right == AT_OWNER:  # handled here: its orders (``_at_owner``)
        if rule.handling == WORK_ORDERED:
            owner = rule.owner if rule.owner in centre.lines else centre.plan.line
            return (rule.disposition, -1, ((WORK, owner),)), True
        if rule.handling == POLICE_ORDERED:
            return (rule.disposition, -1, ((POLICE, "110"),)), True
        if rule.handling == DUAL:
            return (rule.disposition, -1, ((POLICE, "110"), (WORK, "12345"))), True
        return (rule.disposition, -1, None), True
    if case.right == PASS_ON and max_hops > 0:  # ``_pass_on`` of a leg classified right
        cat, line, region = rule.cat, centre.plan.line, centre.plan.region
        target_line, mode = cat.owner, cat.transfer_mode
        if cat.danger and line != "110" and cat.owner != "110" and \
                directory.reachable(region, "110") is not None:
            target_line, mode = "110", "one_key"  # S7: 110 dispatches first
        target = directory.reachable(region, target_line)
        if target is not None and directory.centres[target] is centre:
            return None, False  # merged into these seats: the first receiver (rare)
        if target is None or mode == "system_dispatch":  # ``_system_dispatch``
            kind = POLICE if target_line == "110" else WORK
            return (SYSTEM_DISPATCH, directory.line_index(target_line),
                    ((kind, target_line),)), True
    return None, False


def settled_at_answer(outcomes: Sequence[Outcome | None], drawn: Sequence[bool],
                      scope: Sequence[float], accuracy: Sequence[float], which: np.ndarray,
                      keys: np.ndarray) -> list[Outcome | None]:
    """Per leg, its outcome (None: ask ``after_talk``), from the cases' (``case_outcome``).

    ``which[i]`` indexes leg ``i``'s case in the other sequences; ``scope`` is the case's S4
    share (0 where a first leg cannot start a three-way call: ``max_hops`` 0) and
    ``accuracy`` its line's; ``keys``: the legs' keys. A ``drawn`` outcome holds for a leg
    whose classification draw is right, unless its scope draw would start a three-way call
    (left to ``after_talk``, which may find no centre for it and go on: so this never
    settles a leg ``after_talk`` would handle otherwise).
    """
    n = len(outcomes)
    table = np.empty(n + 1, dtype=object)  # (slot n: None, for legs not settled)
    for i, outcome in enumerate(outcomes):  # (one by one: numpy would unpack the tuples)
        table[i] = outcome
    drawn_, scope_ = np.asarray(drawn, dtype=bool)[which], np.asarray(scope, float)[which]
    open_scope = (scope_ > 0) & (uniform_array(keys, SCOPE) < scope_)  # a three-way call
    right = uniform_array(keys, CLASSIFY) < np.asarray(accuracy, float)[which]  # the owner
    keep = ~drawn_ | (right & ~open_scope)
    return table[np.where(keep, which, n)].tolist()
