"""The right answer to one inject, from the diversion list (分流转办事项清单, S6) and the seed.

The rules follow the seed's §二(二) items 2-4:

- the line dialled owns the category (or no line does) → handle it there with the category's
  ``handling``: resolve, work order (工单), police order (警单), dual handling (S8: police order
  plus work order), dispatch (119/120/122/utility crews) or guidance (S1 exclusions);
- another line owns it → pass it on by the category's ``transfer_mode``: one-key transfer
  (一键携号转接, S3), three-way call (三方通话, S4) or system dispatch (系统派件, S5);
  harassment at 12345 goes to 110 this way (S9);
- an ambiguous inject (the category's ``scope_unclear`` drawn) → three-way call; after it the
  owner from the list takes the matter (S4, S7);
- danger to life, property or public safety → someone dispatches before anything else (S7):
  the owner when it is an emergency line with its own crews (110, 119, 120, 122), else 110.

Priority is the category's urgency. The target handling time is the mean talk time of the line
dialled times the category's ``talk_factor`` times :data:`URGENCY_FACTOR`, rounded to 5 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.domain.lines import EMERGENCY_LINES, GOVERNMENT_LINE, POLICE_LINE
from sim.domain.taxonomy import NO_OWNER, Category

HANDLINGS = ("resolve", "work_order", "police_order", "dual_order", "dispatch", "guidance",
             "one_key_transfer", "three_way_call", "system_dispatch")
"""What a call-taker may decide: handle here (first six) or pass on (last three)."""
TRANSFER_HANDLING = {"one_key": "one_key_transfer", "three_way": "three_way_call",
                     "system_dispatch": "system_dispatch"}
AT_OWNER_HANDLING = {"resolve": "resolve", "work_order": "work_order",
                     "police_order": "police_order", "dual": "dual_order",
                     "dispatch": "dispatch", "guidance": "guidance"}
HANDLING_ALIASES = {"one_key": "one_key_transfer", "three_way": "three_way_call",
                    "dual": "dual_order", "transfer": "one_key_transfer"}
"""Spellings a response file may use for a handling (normalised to :data:`HANDLINGS`)."""
"""Lines with their own crews to dispatch (police, fire, ambulance, traffic police)."""
URGENCY_FACTOR = {"emergency": 0.5, "urgent": 0.75, "normal": 1.0}
"""Share of the mean talk time within which a decision is due: emergencies decide fast."""
MIN_TARGET_S = 15
MAX_TARGET_S = 600


@dataclass(frozen=True)
class Answer:
    """The hidden answer to one inject."""

    category: str
    category_zh: str
    category_en: str
    owner: str
    handling: str
    target_line: str
    first_dispatch: str
    priority: str
    target_s: int
    rule: str


def first_dispatch(category: Category, ambiguous: bool) -> str:
    """The line that must dispatch first (S7), or ``""`` when the category has no danger."""
    if not category.danger:
        return ""
    if not ambiguous and category.owner in EMERGENCY_LINES:
        return category.owner
    return POLICE_LINE


def routing(category: Category, line: str, ambiguous: bool) -> tuple[str, str, str]:
    """(handling, target line, rule) for ``category`` dialled at ``line``."""
    owner = line if category.owner == NO_OWNER else category.owner
    if ambiguous:
        return "three_way_call", owner, "S4 scope unclear: three-way call, then the owner"
    if category.owner in (line, NO_OWNER):
        handling = AT_OWNER_HANDLING[category.handling]
        if category.violent_dispute:
            return handling, line, "S8 possible violence: police order plus work order"
        if category.kind == "invalid":
            return handling, line, "invalid call (无效呼叫): close it here"
        if category.out_of_scope:
            return handling, line, "S1 not in any line's scope: guidance"
        return handling, line, f"S6 owned here: {handling}"
    mode = category.transfer_mode or "one_key"
    handling = TRANSFER_HANDLING[mode]
    if category.harassment and line == GOVERNMENT_LINE:
        return handling, owner, "S9 harassment or threat at 12345: to 110"
    return handling, owner, f"S3/S5 owned by {owner}: {handling}"


def target_seconds(category: Category, talk_mean: float) -> int:
    """Target time to decision: line talk mean x talk factor x urgency factor, to 5 s."""
    raw = talk_mean * category.talk_factor * URGENCY_FACTOR[category.urgency]
    return int(min(MAX_TARGET_S, max(MIN_TARGET_S, 5 * round(raw / 5))))


def answer_for(category: Category, line: str, ambiguous: bool, talk_mean: float) -> Answer:
    """The full answer to an inject of ``category`` dialled at ``line``."""
    handling, target_line, rule = routing(category, line, ambiguous)
    dispatch_first = first_dispatch(category, ambiguous)
    if dispatch_first:
        rule += f"; S7 danger: {dispatch_first} dispatches first"
    return Answer(
        category=category.code, category_zh=category.zh, category_en=category.en,
        owner=category.owner, handling=handling, target_line=target_line,
        first_dispatch=dispatch_first, priority=category.urgency,
        target_s=target_seconds(category, talk_mean), rule=rule,
    )


def normalise_handling(value: str) -> str | None:
    """A response's handling in :data:`HANDLINGS` form, or ``None`` when it is not one."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    key = HANDLING_ALIASES.get(key, key)
    return key if key in HANDLINGS else None
