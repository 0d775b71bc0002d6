"""Rosters (排班): the seats each hour needs, turned into shifts with the fewest agent-hours.

The staffing optimiser (``hotline staff``) says how many seats every centre needs in every hour
(S20: seats "set scientifically from call volume"). Agents work shifts, not hours: a shift has an
allowed length and start, and a break off the seat somewhere in its middle. The roster is the
classic shift-scheduling set-covering problem (Dantzig 1954), solved per centre as an integer
programme by HiGHS through :func:`scipy.optimize.milp`:

    minimise   Σ_j length_j · x_j            (paid agent-hours)
    subject to Σ_j a_tj · x_j ≥ required_t   for every hour t  (a_tj = 1 when shift j is on a
               x_j ∈ {0, 1, 2, ...}                             seat in hour t, not on break)

When the planning period is whole days, shifts wrap around it (a night shift that starts at
22:00 on the last day covers the first hours of the period, as the same roster repeats every
day). A period that is not whole days (a 12-hour horizon) does not repeat, so nothing wraps: a
shift running past the period's end covers nothing beyond it, its hours there are still paid, and
no FTE is given (weekly hours need a period that repeats). The LP relaxation of the same
problem is a lower bound on any roster's agent-hours; the report gives the gap to it.

Shrinkage (leave, training, sickness: the share of paid hours an agent is not available for
rostering) turns weekly agent-hours into full-time equivalents: FTE = agent-hours per week /
(contract hours × (1 − shrinkage)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.domain.errors import InputError


@dataclass(frozen=True)
class ShiftRules:
    """Allowed shifts: lengths (hours), start hours of the day, and the break."""

    lengths: tuple[int, ...] = (8, 10, 12)
    start_hours: tuple[int, ...] = tuple(range(24))
    break_hours: int = 1  # off the seat, paid, in shifts of at least ``break_from`` hours
    break_from: int = 6
    break_margin: int = 3  # no break in a shift's first or last ``break_margin`` hours
    shrinkage: float = 0.3
    contract_hours: float = 40.0  # per week and FTE

    def __post_init__(self) -> None:
        if not self.lengths or any(n < 1 or n > 24 for n in self.lengths):
            raise InputError(f"shift lengths must be 1 to 24 hours, got {self.lengths}",
                             key="--shift")
        if not self.start_hours or any(not 0 <= h < 24 for h in self.start_hours):
            raise InputError(f"start hours must be 0 to 23, got {self.start_hours}",
                             key="--starts")
        if not 0 <= self.shrinkage < 1:
            raise InputError(f"must be in [0, 1), got {self.shrinkage}", key="--shrinkage")
        if self.break_hours < 0 or self.break_margin < 0:
            raise InputError("break hours and margin must not be negative", key="--break")

    def break_offsets(self, length: int) -> list[int | None]:
        """Where a shift of ``length`` hours may take its break (hours after its start)."""
        if self.break_hours == 0 or length < self.break_from:
            return [None]
        first, last = self.break_margin, length - self.break_margin - self.break_hours
        if last < first:
            raise InputError(f"a {length} h shift has no room for a {self.break_hours} h break "
                             f"{self.break_margin} h from either end", key="--break")
        return list(range(first, last + 1))


@dataclass(frozen=True)
class Shift:
    """One shift pattern: start (hours from the period start), length, break offset."""

    start: int
    length: int
    break_at: int | None

    def on_seat(self, period: int, break_hours: int, wrap: bool = True) -> list[int]:
        """Hours of the period this shift has an agent on a seat: modulo ``period`` when the
        period repeats (``wrap``), else only those before the period's end."""
        off = set() if self.break_at is None else set(range(self.break_at,
                                                            self.break_at + break_hours))
        hours = (self.start + k for k in range(self.length) if k not in off)
        return [h % period for h in hours] if wrap else [h for h in hours if h < period]


def wraps(period: int) -> bool:
    """Whether a roster over ``period`` hours repeats (whole days), so shifts wrap around it."""
    return period > 0 and period % 24 == 0


@dataclass(frozen=True)
class CentreRoster:
    """A centre's roster: shifts and agents on each, coverage against the requirement."""

    key: str
    required: np.ndarray
    shifts: tuple[tuple[Shift, int], ...]  # (pattern, agents), agents > 0
    coverage: np.ndarray
    agent_hours: float
    lp_bound: float

    @property
    def gap(self) -> float:
        """Relative excess of the roster's agent-hours over the LP lower bound."""
        return 0.0 if self.lp_bound <= 0 else self.agent_hours / self.lp_bound - 1.0

    def fte(self, rules: ShiftRules) -> float | None:
        """Full-time equivalents: weekly agent-hours over available hours per FTE; ``None``
        when the period is not whole days (it does not repeat, so has no weekly hours)."""
        if not wraps(len(self.required)):
            return None
        weekly = self.agent_hours * 168.0 / len(self.required)
        return weekly / (rules.contract_hours * (1.0 - rules.shrinkage))


def patterns(period: int, first_clock_hour: int, rules: ShiftRules) -> list[Shift]:
    """Every allowed shift in a period of ``period`` hours starting at ``first_clock_hour``."""
    starts = [t for t in range(period) if (first_clock_hour + t) % 24 in rules.start_hours]
    return [Shift(s, n, b) for s in starts for n in rules.lengths
            for b in rules.break_offsets(n) if n <= period]


def _matrix(shifts: Sequence[Shift], period: int, break_hours: int):
    from scipy.sparse import csc_array

    rows, cols = [], []
    for j, s in enumerate(shifts):
        hours = s.on_seat(period, break_hours, wraps(period))
        rows += hours
        cols += [j] * len(hours)
    return csc_array((np.ones(len(rows)), (rows, cols)), shape=(period, len(shifts)))


def solve_centre(key: str, required: np.ndarray, first_clock_hour: int, rules: ShiftRules,
                 time_limit: float = 5.0) -> CentreRoster:
    """The fewest agent-hours covering ``required`` seats in every hour (integer programme)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    req = np.asarray(required, dtype=float)
    period = len(req)
    if req.max(initial=0) <= 0:
        return CentreRoster(key, req, (), np.zeros(period), 0.0, 0.0)
    shifts = patterns(period, first_clock_hour, rules)
    if not shifts:
        raise InputError("no allowed shift fits the planning period", key="--shift")
    a = _matrix(shifts, period, rules.break_hours)
    cost = np.asarray([s.length for s in shifts], dtype=float)
    cover = LinearConstraint(a, lb=req, ub=np.inf)
    lp = milp(cost, constraints=cover, bounds=Bounds(0, np.inf))
    ip = milp(cost, constraints=cover, integrality=np.ones(len(shifts)), bounds=Bounds(0, np.inf),
              options={"time_limit": time_limit, "mip_rel_gap": 5e-3})
    if ip.x is None or lp.x is None:
        raise InputError(f"{key}: no roster covers the requirement with these shifts "
                         f"({ip.message})", key="--shift")
    x = np.round(ip.x).astype(np.int64)
    used = tuple((shifts[j], int(x[j])) for j in np.flatnonzero(x))
    return CentreRoster(key, req, used, a @ x, float(cost @ x), float(lp.fun))


def roster_all(required: dict[str, np.ndarray], first_clock_hour: int, rules: ShiftRules,
               time_limit: float = 5.0) -> list[CentreRoster]:
    """A roster per centre (centres are independent: each has its own agents)."""
    return [solve_centre(key, req, first_clock_hour, rules, time_limit)
            for key, req in required.items()]
