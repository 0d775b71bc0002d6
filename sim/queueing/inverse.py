"""The inverse of the Erlang formulas: the fewest seats that meet a blocking or service-level
target (``servers_for_blocking``, ``servers_for_service_level``, ``seats_for_target``).

The searches evaluate ``sim.queueing.erlang`` at candidate seat counts: each condition is
monotone in the seats, so they start near the offered load, gallop, then bisect.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sim.domain.errors import InputError
from sim.queueing.erlang import (
    _DEFINITIONS,
    ErlangA,
    ErlangC,
    SlDefinition,
    _erlang_a,
    _erlang_c,
    _fraction,
    _number,
    erlang_a,
    erlang_b,
    erlang_c,
)

__all__ = ["MAX_OFFERED", "SeatsNeeded", "seats_for_target", "servers_for_blocking",
           "servers_for_service_level"]

MAX_OFFERED = 1e6
"""The largest offered load (Erlangs) the seat searches accept: they take time linear in the
seats (about 1 s for Erlang C and 5 s for Erlang A at a million Erlangs), and no centre comes
near it (a province's 110 offers a few hundred)."""


def _searchable(offered: float, key: str) -> None:
    if offered > MAX_OFFERED:
        raise InputError(f"offered load {offered:.4g} Erlangs is beyond the {MAX_OFFERED:,.0f} "
                         "the seat search accepts (check the units: rate and talk time in one "
                         "unit)", key=key)


def servers_for_blocking(offered: float, max_p_block: float) -> int:
    """Smallest n with erlang_b(n, offered) <= max_p_block (0 when nothing is offered);
    offered loads above :data:`MAX_OFFERED` are refused."""
    a = _number(offered, "offered")
    _searchable(a, "offered")
    target = _fraction(max_p_block, "max_p_block")
    if a == 0.0:
        return 0
    n, b = 0, 1.0
    while b > target:
        n += 1
        b = a * b / (n + a * b)
    return n


def servers_for_service_level(
    rate: float,
    mean_talk: float,
    t: float,
    target: float,
    mean_patience: float | None = None,
    definition: SlDefinition = "offered",
) -> int:
    """Smallest n whose service level at ``t`` is at least ``target``: Erlang C when
    ``mean_patience`` is None (``definition`` then does not matter), else Erlang A.

    Starts at the offered load and gallops up (or, for Erlang A, down), then bisects.
    Returns 0 when nothing is offered; offered loads above :data:`MAX_OFFERED` are refused.
    """
    lam = _number(rate, "rate")
    talk = _number(mean_talk, "mean_talk", positive=True)
    _searchable(lam * talk, "rate")
    t = _number(t, "t")
    goal = _fraction(target, "target")
    patience = None if mean_patience is None else _number(
        mean_patience, "mean_patience", positive=True, infinite=True)
    if definition not in _DEFINITIONS:
        raise InputError(f"expected one of {_DEFINITIONS}, got {definition!r}", key="definition")
    if lam == 0.0:
        return 0

    def meets(n: int) -> bool:
        b = erlang_b(n, lam * talk)
        if patience is None:
            return _erlang_c(n, lam, talk, b).service_level(t) >= goal
        return _erlang_a(n, lam, talk, patience, b).service_level(t, definition) >= goal

    start = math.floor(lam * talk) + 1 if patience is None else max(1, math.ceil(lam * talk))
    return _smallest(meets, start, 1)


def _smallest(meets: Callable[[int], bool], start: int, floor: int) -> int:
    """Smallest n >= floor with meets(n), given that meets is monotone and true for large n."""
    step = 1
    if meets(start):  # gallop down to a failing n (floor - 1 counts as failing)
        hi = start
        while True:
            lo = max(floor - 1, hi - step)
            if lo < floor or not meets(lo):
                break
            hi, step = lo, 2 * step
    else:  # gallop up to a passing n
        lo = start
        while True:
            hi = lo + step
            if meets(hi):
                break
            lo, step = hi, 2 * step
    while hi - lo > 1:  # lo fails, hi passes
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    return hi


@dataclass(frozen=True)
class SeatsNeeded:
    """The inverse of Erlang C/A: the fewest seats meeting a service level and an occupancy
    cap, with the queue at that many seats and at one fewer (which misses)."""

    seats: int
    at: ErlangC | ErlangA
    one_fewer: ErlangC | ErlangA | None
    binding: Literal["service level", "occupancy"]


def seats_for_target(rate: float, mean_talk: float, t: float, level: float,
                     mean_patience: float | None = None,
                     max_occupancy: float | None = None) -> SeatsNeeded:
    """Fewest seats with service level (answered within ``t`` / offered) ≥ ``level`` and, when
    ``max_occupancy`` is given, occupancy ≤ it: Erlang C without patience, else Erlang A.

    Both conditions are monotone in the seats, so the answer is the larger of the two smallest
    seat counts; ``binding`` says which condition set it. At least one seat is returned.
    """
    n_sl = max(1, servers_for_service_level(rate, mean_talk, t, level, mean_patience))
    cap = None if max_occupancy is None else _number(max_occupancy, "max_occupancy", positive=True)
    if cap is not None and cap > 1:
        raise InputError(f"must be at most 1, got {max_occupancy!r}", key="max_occupancy")

    def queue(n: int) -> ErlangC | ErlangA:
        if mean_patience is None:
            return erlang_c(n, rate, mean_talk)
        return erlang_a(n, rate, mean_talk, mean_patience)

    n_occ = 1
    if cap is not None and rate > 0:
        n_occ = _smallest(lambda n: queue(n).occupancy <= cap,
                          max(1, math.ceil(rate * mean_talk)), 1)
    n = max(n_sl, n_occ)
    return SeatsNeeded(n, queue(n), queue(n - 1) if n > 1 else None,
                       "service level" if n_sl >= n_occ else "occupancy")
