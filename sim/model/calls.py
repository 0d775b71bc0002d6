"""Calls in flight and their immutable records.

A ``Call`` is the mutable state of one call leg while the model runs. A leg waits on at most
one timer at a time, and the loop's entry of that timer carries the leg itself
(``sim.model.loop``): no event object per timer. When a leg ends, the model hands over its
record packed as float64s in ``CallLeg`` field order (``sim.model.record.PACKED``);
``CallLeg`` is the named, immutable view of that record (``unpack_record``).
"""

from __future__ import annotations

import math

from sim.domain.lines import ORDINARY_CLASS
from sim.model.record import LEG_NAMES, PACKED
from sim.model.record import CallLeg as CallLeg  # re-exported: the layout is declared there

# Outcome of a leg at its centre. ``not_joined``: the receiving leg of a three-way call whose
# platform did not answer within the conference's ring time (the first receiver keeps the call).
ANSWERED, ABANDONED, BLOCKED, BOT, UNFINISHED, NOT_JOINED = range(6)
OUTCOMES = ("answered", "abandoned", "blocked", "bot", "unfinished", "not_joined")

# What the seat did after talking (answered legs).
(RESOLVED, WORK_ORDER, POLICE_ORDER, DUAL_ORDER, GUIDANCE, TRANSFER, DISPATCH,
 SYSTEM_DISPATCH, RETURNED) = range(9)
DISPOSITIONS = ("resolved", "work_order", "police_order", "dual_order", "guidance",
                "transfer", "dispatch", "system_dispatch", "returned")

# How a leg > 0 reached its centre.
NO_MODE, ONE_KEY, THREE_WAY = range(3)
TRANSFER_MODES = ("", "one_key", "three_way")

# Which kind of seat answered.
NO_SEAT, OWN_SEAT, BORROWED_SEAT, BOT_SEAT = range(4)
SEATS = ("", "own", "borrowed", "bot")

# Leg state while in flight.
WAITING, SERVED, GONE = range(3)

VOICE, WEB = range(2)
CHANNELS = ("voice", "web")

NAN = math.nan
_ANSWERING = (ANSWERED, BOT)  # outcomes whose record keeps the leg's disposition


def _record_getter(names: tuple[str, ...], fixed: dict[str, int | str] | None = None):
    """``lambda c: PACKED.pack(c.<name>, ...)`` over ``names``: the packed record read from a
    leg's slots, compiled to bytecode (slot reads are specialised; one C call packs them).

    ``fixed`` gives some fields instead of reading them: an int code, or ``"now"`` (the
    getter's second argument) or ``"nan"`` (NaN; then the getter takes ``c, now, nan``).
    """
    fixed = fixed or {}
    if not all(name.isidentifier() for name in names) or not set(fixed) <= set(names):
        raise ValueError(f"not field names: {names}, {fixed}")
    if not all(type(v) is int or v in ("now", "nan") for v in fixed.values()):
        raise ValueError(f"not a code, 'now' or 'nan': {fixed}")
    items = ", ".join(str(fixed[name]) if name in fixed else f"c.{name}" for name in names)
    args = "c, now, nan" if {"now", "nan"} & set(fixed.values()) else "c"
    return eval(f"lambda {args}: _pack({items})", {"_pack": PACKED.pack})  # noqa: S307


RECORD_OF = _record_getter(LEG_NAMES)
"""A leg's packed record (``sim.model.record.PACKED``): its attributes in ``LEG_FIELDS``
order (``Call.record`` sets the fields of an ended leg first)."""

_UNANSWERED = _record_getter(LEG_NAMES, {"disposition": -1})  # no disposition to keep

RESOLVED_NOW = _record_getter(LEG_NAMES, {
    "released": "now", "ended": "now", "outcome": ANSWERED, "disposition": RESOLVED,
    "hold_end": "nan", "negotiation_end": "nan"})
"""``RESOLVED_NOW(call, now, NAN)``: the packed record of a leg answered, resolved on the call,
released and ended ``now`` with no hold or conference (the common end of a leg,
``sim.model.centre``): ``RECORD_OF`` after ``Call.record(now, now, ANSWERED)`` with the
disposition ``RESOLVED``, without setting those fields on the call."""


class Call:
    """One call leg in flight (mutable; becomes a ``CallLeg`` record when it ends)."""

    # Every record field is a slot (``released``, ``ended``, ``outcome``, ``hold_end`` and
    # ``negotiation_end`` are set when the leg ends), plus the state of a leg in flight.
    __slots__ = (*LEG_NAMES, "origin", "state", "talk_factor", "link", "key", "talk", "wrap",
                 "callbacks")
    # A leg is a SimPy event only where it is scheduled with ``env.schedule`` (a redial, whose
    # ``callbacks`` the caller sets): it always succeeds. The centre's timers of a leg are loop
    # entries of their handler and the leg (``sim.model.loop``), which need none of this.
    _ok = True
    _value = None

    def __init__(self, call_id: int, caller_id: int, attempt: int, centre: int, category: int,
                 arrival: float, deadline: float, priority: int = ORDINARY_CLASS, redial_of: int = -1,
                 incident_id: int = -1, channel: int = VOICE, key: int = 0, talk: float = -1.0,
                 wrap: float = -1.0, talk_factor: float = 1.0) -> None:
        self.call_id = call_id
        self.leg = 0
        self.caller_id = caller_id
        self.attempt = attempt
        self.centre = centre
        self.origin = centre
        self.category = category
        self.channel = channel
        self.priority = priority
        self.incident_id = incident_id
        self.arrival = arrival
        self.deadline = deadline
        self.answered = NAN
        self.talk_end = NAN
        self.state = WAITING
        self.seat = NO_SEAT
        self.transfer_mode = NO_MODE
        self.talk_factor = talk_factor
        self.redial_of = redial_of
        self.disposition = RESOLVED
        self.to_line = -1
        self.link = None
        self.parent_leg = -1
        self.key = key  # the caller's random key for this leg (sim.domain.draws)
        self.talk = talk  # talk and wrap-up drawn ahead (first attempts); -1: draw by key
        self.wrap = wrap

    def record(self, released: float, ended: float, outcome: int) -> bytes:
        """This leg's packed record (``sim.model.record.unpack_record`` gives the tuple in
        ``CallLeg`` field order; ``deadline`` inf where the leg cannot give up, shown empty in
        the columns; ``disposition`` -1 unless answered)."""
        self.released = released
        self.ended = ended
        self.outcome = outcome
        link = self.link
        if link is None:
            self.hold_end = self.negotiation_end = NAN
        else:
            self.hold_end, self.negotiation_end = link.hold_end, link.negotiation_end
        return RECORD_OF(self) if outcome in _ANSWERING else _UNANSWERED(self)
