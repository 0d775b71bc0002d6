"""The staffing optimiser (``hotline staff``): the fewest seats per interval and centre that meet
the targets.

1. Start: per centre and interval, Erlang A (or C) on the interval's expected offered load
   (``sim.scenario.plan.expected_calls_by_hour``), the most seats any target of the centre asks for.
2. Refine: simulate the candidate schedule (all replications, the scenario's seed, so that
   iterations share their arrivals); per centre and interval compute each target KPI in every
   replication from the call records; where the 95 % CI's worse end misses the target add seats,
   with ``trim``, where it meets it try one seat fewer (never below a count seen failing). Stop when
   nothing changes (the last simulation met every target) or after ``max_iterations``.
An interval expecting fewer than ``MIN_CALLS`` calls is too thin to judge on its own (its KPI in
one replication is a ratio of a few calls): a centre's thin intervals are judged together, and
when they miss, the worst quarter of them get a seat.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.model.record import TIME_FIELDS
from sim.planning.staff_targets import StaffTarget, erlang_seats
from sim.results.kpis import group_kpis, waits
from sim.results.stats import mean_ci
from sim.scenario.plan import CentrePlan, build_plans, expected_calls_by_hour
from sim.scenario.schema import Scenario, Seats

MIN_CALLS = 50
# The record columns the optimiser judges on, kept in memory by each replication.
STAFF_COLUMNS = ("centre", "arrival", "answered", "released", "ended", "outcome", "attempt", "leg")


@dataclass
class Cell:
    """One centre in one interval of ``hours`` hours."""

    centre: int
    block: int
    erlang: int
    seats: int
    failing: int = -1  # most seats seen failing
    best: int | None = None  # fewest seats seen passing
    judged: bool = False  # enough calls expected to judge it on its own
    kpis: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    passed: bool | None = None


@dataclass
class StaffResult:
    """The schedule found, how it was found, and the current schedule it replaces."""

    scenario: Scenario
    plans: list[CentrePlan]
    targets: list[StaffTarget]
    hours: int  # interval length
    cells: list[Cell]
    iterations: int
    converged: bool

    def required_by_hour(self, centre: int) -> np.ndarray:
        """Required seats for each hour of the horizon of one centre."""
        n = self.scenario.horizon_whole_hours
        out = np.zeros(n, dtype=np.int64)
        for c in self.cells:
            if c.centre == centre:
                out[c.block * self.hours:(c.block + 1) * self.hours] = c.seats
        return out

    @property
    def centres(self) -> list[int]:
        """Indices of the centres with a target."""
        return list(dict.fromkeys(c.centre for c in self.cells))


def centre_targets(plan: CentrePlan, targets: Sequence[StaffTarget]) -> list[StaffTarget]:
    """The targets that apply to a centre."""
    return [t for t in targets if t.applies_to(plan)]


def start_cells(scn: Scenario, plans: Sequence[CentrePlan], targets: Sequence[StaffTarget],
                hours: int, min_seats: int) -> list[Cell]:
    """Erlang A/C seats per targeted centre and interval."""
    cells = []
    for plan in plans:
        mine = centre_targets(plan, targets)
        if not mine:
            continue
        calls = expected_calls_by_hour(plan, scn)
        seconds = np.minimum(3600.0, scn.horizon - 3600.0 * np.arange(len(calls)))
        for b in range(math.ceil(len(calls) / hours)):
            span = slice(b * hours, (b + 1) * hours)
            rate = float(calls[span].sum() / seconds[span].sum())
            n = max([min_seats] + [erlang_seats(plan, rate, t) for t in mine])
            in_window = (b + 1) * hours > scn.warmup_hours
            cells.append(Cell(plan.index, b, n, n,
                              judged=in_window and calls[span].sum() >= MIN_CALLS))
    return cells


def with_schedule(scn: Scenario, plans: Sequence[CentrePlan], seats: dict[int, np.ndarray],
                  ) -> Scenario:
    """The scenario with the given hourly seats (from the start) for some centres."""
    centres = dict(scn.centres)
    for index, per_hour in seats.items():
        key = plans[index].key
        centres[key] = centres[key].model_copy(
            update={"seats": Seats(hourly=hourly_list(per_hour, scn))})
    return scn.model_copy(update={"centres": centres})


def hourly_list(per_hour: np.ndarray, scn: Scenario) -> tuple[int, ...]:
    """A ``seats.hourly`` list for hourly seats from the start, covering horizon and drain.

    The schema reads 24 values by hour of the day, 168 from the start, any other length from
    the start; the drain keeps the last value.
    """
    total = max(math.ceil(scn.horizon_hours + scn.drain_hours), len(per_hour))
    full = np.concatenate([per_hour, np.full(total - len(per_hour), per_hour[-1])])
    if total == 24:
        full = np.roll(full, scn.start.hour)  # index = clock hour
    return tuple(int(x) for x in full)


def interval_kpis(scn: Scenario, plans: Sequence[CentrePlan], cells: Sequence[Cell],
                  targets: Sequence[StaffTarget], hours: int, summaries,
                  ) -> dict[int, dict[str, tuple]]:
    """Set each cell's KPIs (mean, CI low, CI high over replications) from the call records;
    return each centre's KPIs over its thin (not judged) cells together."""
    sl = sorted({t.sl_seconds for t in targets if t.sl_seconds is not None})
    names = {t.kpi for t in targets}
    per_rep: dict[tuple[int, int], list[dict[str, float]]] = {}
    by_centre: dict[int, list[Cell]] = {}
    for c in cells:
        by_centre.setdefault(c.centre, []).append(c)
    for s in summaries:
        cols = _columns(s.columns)
        lo, hi = scn.warmup_hours * 3600.0, scn.horizon
        inside = (cols["arrival"] >= lo) & (cols["arrival"] < hi)
        for centre, mine in by_centre.items():
            sub = {k: v[inside & (cols["centre"] == centre)] for k, v in cols.items()}
            block = (sub["arrival"] // (3600.0 * hours)).astype(np.int64)
            wait = waits(sub)
            thin, staffed = np.zeros(len(block), dtype=bool), 0.0
            for c in mine:
                mask = block == c.block
                width = min(hi, (c.block + 1) * hours * 3600.0) - max(lo, c.block * hours * 3600.0)
                k = group_kpis(sub, mask, wait, c.seats * max(width, 0.0), sl)
                per_rep.setdefault((c.centre, c.block), []).append(k)
                if not c.judged:
                    thin |= mask
                    staffed += c.seats * max(width, 0.0)
            per_rep.setdefault((centre, -1), []).append(group_kpis(sub, thin, wait, staffed, sl))
    for c in cells:
        c.kpis = _summary(per_rep.get((c.centre, c.block), []), names)
    return {centre: _summary(per_rep.get((centre, -1), []), names) for centre in by_centre}


def _summary(reps: list[dict[str, float]], names: set[str]) -> dict[str, tuple]:
    return {n: mean_ci([r[n] for r in reps]) for n in names}


def _columns(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The optimiser's columns of one replication, times at the millisecond ``calls.csv.gz``
    prints (so a schedule does not depend on whether the records were read back or not)."""
    return {name: np.asarray(np.char.mod("%.3f", cols[name]), dtype=float)
            if name in TIME_FIELDS else cols[name] for name in STAFF_COLUMNS}


def judge(kpis: dict[str, tuple], targets: Sequence[StaffTarget]) -> tuple[bool, int]:
    """Whether KPIs meet all the targets at the CI's worse end; seats to add if not."""
    add = 0
    for t in targets:
        mean, lo, hi = kpis[t.kpi]
        worse = (lo if t.op == ">=" else hi) if not math.isnan(lo) else mean
        if math.isnan(worse) or t.meets(worse):
            continue
        gap = abs(worse - t.value) / (t.value if t.op == "<=" else 1.0)
        add = max(add, 1 + min(2, int(gap / 0.05)))
    return add == 0, add


def step(cells: Sequence[Cell], pools: dict[int, dict[str, tuple]], plans: Sequence[CentrePlan],
         targets: Sequence[StaffTarget], min_seats: int, trim: bool) -> bool:
    """Update every cell after a simulation; True when any seat count changed."""
    changed = _step_thin(cells, pools, plans, targets)
    for c in (c for c in cells if c.judged):
        ok, add = judge(c.kpis, centre_targets(plans[c.centre], targets))
        c.passed = ok
        if ok and c.judged:
            c.best = c.seats if c.best is None else min(c.best, c.seats)
        if not ok:
            c.failing = max(c.failing, c.seats)
            c.seats += add
            if c.best is not None and c.best > c.failing:
                c.seats = min(c.seats, c.best)
            changed = True
        elif trim and c.seats - 1 > max(c.failing, min_seats - 1):
            c.seats -= 1
            changed = True
    return changed


def _step_thin(cells: Sequence[Cell], pools: dict[int, dict[str, tuple]],
               plans: Sequence[CentrePlan], targets: Sequence[StaffTarget]) -> bool:
    """Judge each centre's thin cells together; when they miss, the worst quarter get a seat."""
    changed = False
    for centre, kpis in pools.items():
        mine = centre_targets(plans[centre], targets)
        thin = [c for c in cells if c.centre == centre and not c.judged]
        ok, _ = judge(kpis, mine) if thin else (True, 0)
        for c in thin:
            c.passed = ok
        if not ok:
            for worst in sorted(thin, key=lambda c: _margin(c.kpis, mine))[:max(1, len(thin) // 4)]:
                worst.seats += 1
            changed = True
    return changed


def _margin(kpis: dict[str, tuple], targets: Sequence[StaffTarget]) -> float:
    """The smallest relative margin of the mean over the targets (NaN counts as no data: inf)."""
    margins = [(kpis[t.kpi][0] - t.value) * (1 if t.op == ">=" else -1) / t.value
               for t in targets]
    margins = [m for m in margins if not math.isnan(m)]
    return min(margins) if margins else math.inf


def optimise(scn: Scenario, targets: Sequence[StaffTarget], *, hours: int = 1, jobs: int = 1,
             min_seats: int = 1, max_iterations: int = 8, trim: bool = False,
             on_done: Callable[[object], None] | None = None,
             on_iteration: Callable[[int, int], None] | None = None) -> StaffResult:
    """Find the schedule (see the module docstring); ``scn`` carries replications and seed."""
    from sim.experiments.replications import run_replications

    plans = build_plans(scn)
    cells = start_cells(scn, plans, targets, hours, min_seats)
    result = StaffResult(scn, plans, list(targets), hours, cells, 0, False)
    for it in range(1, max_iterations + 1):
        seats = {i: result.required_by_hour(i) for i in result.centres}
        summaries = run_replications(with_schedule(scn, plans, seats), jobs=jobs, on_done=on_done,
                                     keep=STAFF_COLUMNS)
        pools = interval_kpis(scn, plans, cells, targets, hours, summaries)
        before = [c.seats for c in cells]
        changed = step(cells, pools, plans, targets, min_seats, trim and it < max_iterations)
        result.iterations = it
        if on_iteration:
            on_iteration(it, sum(1 for c, b in zip(cells, before, strict=True) if c.seats != b))
        if not changed:
            result.converged = True
            break
    return result
