"""KPIs of one replication, computed from its call-leg records only.

Definitions (each per centre, line, region and overall, over legs arriving in
[warm-up, horizon)):

- ``offered``: legs reaching the centre (first attempts, redials and transfers in), blocked ones too.
- ``answered`` (by a seat), ``bot`` (contained by the bot/IVR), ``abandoned``, ``blocked``
  (busy signal: every trunk in use), ``unfinished`` (still waiting when the run ended).
- wait: answer time − arrival for answered legs; hang-up time − arrival for abandoned ones.
- ``sl{T}``: service level, answered within T seconds / offered.
- ``sl{T}_excl``: answered within T / (answered + abandoned after T) — the variant that does
  not count callers who gave up within T and excludes blocked calls.
- ``p_wait``: share of legs that entered the queue (not blocked) and did not get a seat at once.
- ``mean_wait``: mean wait over answered and abandoned legs (Erlang A's "mean wait");
  ``asa``: mean wait of answered legs; ``p90_wait``: 90th percentile wait of answered legs.
- ``abandon_rate`` = abandoned / offered; ``block_rate`` = blocked / offered;
  ``human_answer_rate`` = answered / offered (the 60 % test of S18).
- ``occupancy``: seat-seconds busy (talk + wrap-up) / seat-seconds on duty.
- ``redials``: attempts after the first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.calls import ABANDONED, ANSWERED, BLOCKED, BOT, UNFINISHED
from sim.plan import CentrePlan
from sim.scenario.schema import Scenario

KPI_NAMES_BASE = (
    "offered", "answered", "bot", "abandoned", "blocked", "unfinished", "redials", "p_wait",
    "mean_wait", "asa", "p90_wait", "abandon_rate", "block_rate", "human_answer_rate",
    "occupancy", "seat_hours",
)


def kpi_names(sl_seconds: Sequence[float]) -> tuple[str, ...]:
    """All KPI names for the given service-level thresholds, in output order."""
    sl = []
    for t in sl_seconds:
        sl += [f"sl{t:g}", f"sl{t:g}_excl"]
    return KPI_NAMES_BASE[:7] + tuple(sl) + KPI_NAMES_BASE[7:]


def _window(cols: dict[str, np.ndarray], scenario: Scenario) -> np.ndarray:
    arrival = cols["arrival"]
    return (arrival >= scenario.warmup_hours * 3600.0) & (arrival < scenario.horizon)


def waits(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Wait of each leg: to the answer, or to the hang-up; NaN for blocked and unfinished."""
    outcome = cols["outcome"]
    w = np.full(len(outcome), np.nan)
    answered = (outcome == ANSWERED) | (outcome == BOT)
    w[answered] = cols["answered"][answered] - cols["arrival"][answered]
    gone = outcome == ABANDONED
    w[gone] = cols["ended"][gone] - cols["arrival"][gone]
    return w


def overlap_seconds(starts: np.ndarray, ends: np.ndarray, lo: float, hi: float) -> float:
    """Total length of the intervals [start, end) inside [lo, hi)."""
    if len(starts) == 0:
        return 0.0
    return float(np.clip(np.minimum(ends, hi) - np.maximum(starts, lo), 0, None).sum())


def staffed_seconds(seats_by_hour: np.ndarray, lo: float, hi: float) -> float:
    """Seat-seconds on duty in [lo, hi) for one centre's hourly seat schedule."""
    edges = np.arange(len(seats_by_hour) + 1) * 3600.0
    inside = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0, None)
    return float(np.dot(seats_by_hour, inside))


def group_kpis(cols: dict[str, np.ndarray], mask: np.ndarray, wait: np.ndarray,
               staffed: float, sl_seconds: Sequence[float]) -> dict[str, float]:
    """KPIs of the legs selected by ``mask`` (see the module docstring for definitions)."""
    outcome = cols["outcome"][mask]
    w = wait[mask]
    offered = len(outcome)
    answered = outcome == ANSWERED
    abandoned = outcome == ABANDONED
    n_ans, n_ab = int(answered.sum()), int(abandoned.sum())
    n_block = int((outcome == BLOCKED).sum())
    entered = offered - n_block - int((outcome == UNFINISHED).sum())
    w_ans = w[answered]
    busy = overlap_seconds(cols["answered"][mask][answered], cols["released"][mask][answered],
                           -math.inf, math.inf)
    out: dict[str, float] = {
        "offered": offered, "answered": n_ans, "bot": int((outcome == BOT).sum()),
        "abandoned": n_ab, "blocked": n_block, "unfinished": offered - entered - n_block,
        "redials": int(((cols["attempt"][mask] > 1) & (cols["leg"][mask] == 0)).sum()),
    }
    for t in sl_seconds:
        within = int((w_ans <= t).sum())
        late_ab = int((w[abandoned] > t).sum())
        out[f"sl{t:g}"] = _ratio(within, offered)
        out[f"sl{t:g}_excl"] = _ratio(within, n_ans + late_ab)
    waited = int((w_ans > 0).sum()) + n_ab
    queued = w[answered | abandoned]
    out.update({
        "p_wait": _ratio(waited, entered),
        "mean_wait": float(queued.mean()) if len(queued) else math.nan,
        "asa": float(w_ans.mean()) if len(w_ans) else math.nan,
        "p90_wait": float(np.percentile(w_ans, 90)) if len(w_ans) else math.nan,
        "abandon_rate": _ratio(n_ab, offered), "block_rate": _ratio(n_block, offered),
        "human_answer_rate": _ratio(n_ans, offered),
        "occupancy": busy / staffed if staffed > 0 else math.nan,
        "seat_hours": staffed / 3600.0,
    })
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def replication_kpis(cols: dict[str, np.ndarray], plans: Sequence[CentrePlan],
                     scenario: Scenario, staffed_by_centre: np.ndarray,
                     ) -> dict[str, dict[str, dict[str, float]]]:
    """KPIs overall and by line, region and centre for one replication.

    ``staffed_by_centre`` holds each centre's seat-seconds on duty within the KPI window.
    Occupancy counts busy time of legs arriving in the window.
    """
    window = _window(cols, scenario)
    wait = waits(cols)
    centre = cols["centre"]
    sl = scenario.service_level_seconds
    result: dict[str, dict[str, dict[str, float]]] = {
        "overall": {}, "lines": {}, "regions": {}, "centres": {}}

    def members(attr: str, value: str) -> list[int]:
        return [p.index for p in plans if getattr(p, attr) == value]

    groups = [("overall", "all", [p.index for p in plans])]
    groups += [("lines", line, members("line", line))
               for line in dict.fromkeys(p.line for p in plans)]
    groups += [("regions", region, members("region", region))
               for region in dict.fromkeys(p.region for p in plans)]
    groups += [("centres", p.key, [p.index]) for p in plans]
    for kind, name, idx in groups:
        mask = window & np.isin(centre, idx)
        kpis = group_kpis(cols, mask, wait, float(staffed_by_centre[idx].sum()), sl)
        if kind == "overall":
            result["overall"] = kpis
        else:
            result[kind][name] = kpis
    return result
