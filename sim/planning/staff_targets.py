"""Targets and the analytic start of the staffing optimiser (``hotline staff``).

A target is ``SCOPE:KPI>=X`` or ``SCOPE:KPI<=X``; SCOPE is a line (every centre of it) or a
centre key (``620100/110``); KPI is a name of kpis.json whose value improves with more seats:
``sl{T}`` and ``sl{T}_excl`` (any T, in seconds) and ``human_answer_rate`` with ``>=``;
``abandon_rate``, ``p_wait``, ``mean_wait``, ``asa``, ``p90_wait`` and ``occupancy`` with ``<=``.
X is a number or a percentage (``0.9`` or ``90%``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sim.domain.durations import duration_seconds
from sim.domain.errors import InputError
from sim.domain.lines import HOUR, MINUTE
from sim.queueing.erlang import erlang_a
from sim.queueing.inverse import servers_for_service_level
from sim.scenario.plan import CentrePlan

UP_KPIS = {"human_answer_rate"}
DOWN_KPIS = {"abandon_rate", "p_wait", "mean_wait", "asa", "p90_wait", "occupancy"}
_TARGET = re.compile(r"^\s*([^:\s]+)\s*:\s*([a-z0-9_.]+)\s*(>=|<=)\s*([0-9.eE+-]+)\s*(%?)\s*$")
_SL = re.compile(r"^sl(\d+(?:\.\d+)?)(_excl)?$")


@dataclass(frozen=True)
class StaffTarget:
    """One target: where it applies, which KPI, which way and what value."""

    scope: str
    kpi: str
    op: str
    value: float

    def applies_to(self, plan: CentrePlan) -> bool:
        """Whether this target covers the centre."""
        return self.scope in (plan.line, plan.key)

    def meets(self, x: float) -> bool:
        """Whether a KPI value meets the target."""
        return x >= self.value if self.op == ">=" else x <= self.value

    @property
    def sl_seconds(self) -> float | None:
        """T of an ``sl{T}`` KPI, else None."""
        m = _SL.match(self.kpi)
        return float(m.group(1)) if m else None

    def __str__(self) -> str:
        return f"{self.scope}:{self.kpi}{self.op}{self.value:g}"


def parse_target(text: str, lines: set[str], centres: set[str]) -> StaffTarget:
    """Parse ``--target`` text; ``InputError`` naming the argument when it is not valid."""
    m = _TARGET.match(text)
    if not m:
        raise InputError(f"expected LINE:KPI>=X or LINE:KPI<=X (e.g. 110:sl15>=0.9), got {text!r}",
                         key="--target")
    scope, kpi, op, number, pct = m.groups()
    if scope not in lines and scope not in centres:
        raise InputError(f"{scope!r} is neither a line nor a centre of the scenario "
                         f"(lines: {', '.join(sorted(lines))})", key="--target")
    try:
        value = float(number) / (100 if pct else 1)
    except ValueError:
        raise InputError(f"{number!r} is not a number", key="--target") from None
    want = ">=" if _SL.match(kpi) or kpi in UP_KPIS else "<=" if kpi in DOWN_KPIS else None
    if want is None:
        raise InputError(f"{kpi!r} is not a KPI that seats improve (use sl<T>, sl<T>_excl, "
                         f"human_answer_rate, {', '.join(sorted(DOWN_KPIS))})", key="--target")
    if op != want:
        raise InputError(f"{kpi} improves with more seats only as {kpi}{want}X", key="--target")
    is_share = want == ">=" or kpi in ("abandon_rate", "p_wait", "occupancy")
    if value <= 0 or (is_share and value >= 1):
        raise InputError(f"{value:g} is out of range for {kpi}", key="--target")
    return StaffTarget(scope, kpi, op, value)


def parse_interval(text: str) -> int:
    """``60m``, ``2h`` or ``120`` (minutes) → whole hours; seats change hourly at the finest."""
    seconds = duration_seconds(text, bare=MINUTE)
    if seconds is None:
        raise InputError(f"expected e.g. 60m or 2h, got {text!r}", key="--interval")
    if seconds <= 0 or seconds % HOUR:
        raise InputError(f"must be a whole number of hours (seat schedules are hourly), "
                         f"got {text!r}", key="--interval")
    return int(seconds // HOUR)


def _patience(plan: CentrePlan) -> float | None:
    mean = plan.patience.mean
    return None if math.isinf(mean) else float(mean)


def erlang_seats(plan: CentrePlan, rate: float, target: StaffTarget) -> int:
    """Fewest seats meeting ``target`` in steady state at ``rate`` calls per second: Erlang A
    with exponential patience of the centre's mean (Erlang C without patience), handle time =
    talk + wrap-up. KPIs without a closed form start just above the offered load."""
    if rate <= 0:
        return 0
    handle, patience = plan.mean_handle, _patience(plan)
    t = target.sl_seconds
    if t is not None:
        definition = "excl_short_abandons" if target.kpi.endswith("_excl") else "offered"
        return servers_for_service_level(rate, handle, t, target.value, patience, definition)
    load = rate * handle
    metric = _METRICS.get(target.kpi)
    if metric is None:  # p90_wait: simulation decides
        return math.floor(load) + 1
    n = max(1, math.floor(load) + (1 if patience is None else 0))
    limit = n + 20 + int(10 * math.sqrt(load))
    while n < limit and not target.meets(metric(erlang_a(n, rate, handle, patience or math.inf))):
        n += 1
    while n > 1 and target.meets(metric(erlang_a(n - 1, rate, handle, patience or math.inf))):
        n -= 1
    return n


_METRICS = {
    "abandon_rate": lambda r: r.p_abandon, "human_answer_rate": lambda r: 1 - r.p_abandon,
    "p_wait": lambda r: r.p_wait, "mean_wait": lambda r: r.mean_wait,
    "asa": lambda r: r.mean_wait_served, "occupancy": lambda r: r.occupancy,
}
