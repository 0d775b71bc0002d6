"""KPIs of one replication, computed from its call-leg records only.

Definitions (each per centre, line, region and overall, over legs arriving in
[warm-up, horizon); docs/kpis.md has them with examples):

- ``offered``: legs reaching the centre (first attempts, redials and transfers in), blocked ones
  too. ``bot``: legs the bot/IVR handled (answered itself or moved online). ``human_offered`` =
  offered − bot: the legs that reach the human queue (or its busy signal).
- Outcomes of the human legs: ``answered`` (by a seat), ``abandoned``, ``blocked`` (busy signal:
  every trunk in use), ``unfinished`` (still waiting when the run ended), ``not_joined`` (a
  three-way conference leg this centre did not answer within the ring time).
- Shares: ``bot_rate`` = bot / offered; ``human_answer_rate`` = answered / human_offered (the
  60 % test of S18), ``abandon_rate``, ``block_rate``, ``unfinished_rate`` and
  ``not_joined_rate`` likewise over human_offered. The five human shares add up to 100 %, and
  bot_rate + (1 − bot_rate) × 100 % = 100 % of offered.
- wait: answer time − arrival for answered legs; hang-up time − arrival for abandoned ones.
- ``sl{T}``: service level, answered within T seconds / human_offered.
- ``sl{T}_excl``: answered within T / (answered + abandoned after T) — the variant that does
  not count callers who gave up within T and excludes blocked calls.
- ``p_wait``: share of human legs that entered the queue (not blocked, not unfinished) and did
  not get a seat at once.
- ``mean_wait``: mean wait over answered and abandoned legs (Erlang A's "mean wait");
  ``asa``: mean wait of answered legs; ``p90_wait``: 90th percentile wait of answered legs.
- ``occupancy``: seat-seconds busy (talk, three-way hold and wrap-up) inside [warm-up, horizon),
  over seat-seconds present: seats on duty, plus seats kept past the end of their duty to finish
  a call. It never exceeds 1.
- ``redials``: attempts after the first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.calls import ABANDONED, ANSWERED, BLOCKED, BOT, NOT_JOINED, OUTCOMES, UNFINISHED
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Scenario

KPI_NAMES_BASE = (
    "offered", "answered", "bot", "abandoned", "blocked", "unfinished", "not_joined",
    "human_offered", "redials", "p_wait", "mean_wait", "asa", "p90_wait", "abandon_rate",
    "block_rate", "unfinished_rate", "not_joined_rate", "human_answer_rate", "bot_rate",
    "occupancy", "seat_hours",
)
_COUNTS = 9  # the count KPIs above, printed before the service levels


def kpi_names(sl_seconds: Sequence[float]) -> tuple[str, ...]:
    """All KPI names for the given service-level thresholds, in output order."""
    sl = []
    for t in sl_seconds:
        sl += [f"sl{t:g}", f"sl{t:g}_excl"]
    return KPI_NAMES_BASE[:_COUNTS] + tuple(sl) + KPI_NAMES_BASE[_COUNTS:]


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


def leg_waits(cols: dict[str, np.ndarray]) -> np.ndarray:
    """``waits(cols)``, or ``cols["wait"]`` when the summary has put it there (it is read by
    the KPIs, each KPI window's and the time series)."""
    return cols["wait"] if "wait" in cols else waits(cols)


def rows_by(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """For each value ``0 … n-1`` of the integer ``keys``, the positions holding it, ascending
    (what a boolean mask ``keys == value`` selects, in the same order, found in one sort)."""
    order, bounds = grouped(keys, n)
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]


def grouped(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the integer ``keys`` by key, ascending within each key, and where each
    key ``0 … n-1`` begins among them (``bounds[k]:bounds[k + 1]``; ``rows_by``'s slices)."""
    if len(keys) and keys.min() >= 0 and keys.max() < 1 << 15:
        keys = keys.astype(np.int16)  # numpy sorts 16-bit keys by radix: ten times faster
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(n + 1))


def code_count(plans: Sequence[CentrePlan], *centres: np.ndarray) -> int:
    """How many centre codes to index by: past every plan's index and every code in the
    columns (``plans`` may be some of the run's centres only)."""
    top = max((p.index for p in plans), default=-1)
    return 1 + max(top, *(int(c.max(initial=-1)) for c in centres))


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


def percentile(values: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (its default, linear method) to the bit, without its
    overhead per call (and without its first call importing ``numpy.ma``); NaN if any value
    is NaN. ``values`` is not empty."""
    n = len(values)
    virtual = (n - 1) * (q / 100)  # numpy's virtual index, in the same operations
    if virtual >= n - 1:  # the largest value, twice; numpy's weight is from index -1
        below = above = n - 1
        gamma = virtual + 1
    else:
        below = math.floor(virtual)
        above, gamma = below + 1, virtual - below
    part = np.partition(values, [below, above, n - 1])
    if math.isnan(part[-1]):  # NaN sorts last
        return math.nan
    a, b = float(part[below]), float(part[above])
    diff = b - a  # numpy's _lerp: from the nearer end
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def group_kpis(cols: dict[str, np.ndarray], mask: np.ndarray, wait: np.ndarray,
               staffed: float, sl_seconds: Sequence[float], busy: float = math.nan,
               ) -> dict[str, float]:
    """KPIs of the legs selected by ``mask``, a boolean mask or the legs' positions in record
    order (see the module docstring for definitions).

    ``busy`` and ``staffed`` are the seat-seconds busy and present in the KPI window.
    """
    outcome = cols["outcome"][mask]
    w = wait[mask]
    offered = len(outcome)
    answered = outcome == ANSWERED
    abandoned = outcome == ABANDONED
    n_ans, n_ab = int(answered.sum()), int(abandoned.sum())
    n_block, n_bot = int((outcome == BLOCKED).sum()), int((outcome == BOT).sum())
    n_unf, n_nj = int((outcome == UNFINISHED).sum()), int((outcome == NOT_JOINED).sum())
    human = offered - n_bot
    entered = human - n_block - n_unf
    w_ans = w[answered]
    out: dict[str, float] = {
        "offered": offered, "answered": n_ans, "bot": n_bot, "abandoned": n_ab,
        "blocked": n_block, "unfinished": n_unf, "not_joined": n_nj, "human_offered": human,
        "redials": int(((cols["attempt"][mask] > 1) & (cols["leg"][mask] == 0)).sum()),
    }
    for t in sl_seconds:
        within = int((w_ans <= t).sum())
        late_ab = int((w[abandoned] > t).sum())
        out[f"sl{t:g}"] = _ratio(within, human)
        out[f"sl{t:g}_excl"] = _ratio(within, n_ans + late_ab)
    waited = int((w_ans > 0).sum()) + n_ab + n_nj
    queued = w[answered | abandoned]
    out.update({
        "p_wait": _ratio(waited, entered),
        "mean_wait": float(queued.mean()) if len(queued) else math.nan,
        "asa": float(w_ans.mean()) if len(w_ans) else math.nan,
        "p90_wait": float(np.percentile(w_ans, 90)) if len(w_ans) else math.nan,
        "abandon_rate": _ratio(n_ab, human), "block_rate": _ratio(n_block, human),
        "unfinished_rate": _ratio(n_unf, human), "not_joined_rate": _ratio(n_nj, human),
        "human_answer_rate": _ratio(n_ans, human), "bot_rate": _ratio(n_bot, offered),
        "occupancy": busy / staffed if staffed > 0 else math.nan,
        "seat_hours": staffed / 3600.0,
    })
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


KpiValues = dict[str, float]
"""One group's KPIs in one replication, by KPI name (names like ``sl15`` are data)."""

SCOPES = ("lines", "regions", "centres")
"""The kinds of named groups of ``ReplicationKpis``, in document order."""


@dataclass(frozen=True)
class ReplicationKpis:
    """One replication's KPIs: the whole network (``overall``) and each line, region and
    centre (name → KPI values), in the order of the centre plans."""

    overall: KpiValues
    lines: dict[str, KpiValues]
    regions: dict[str, KpiValues]
    centres: dict[str, KpiValues]

    def group(self, kind: str) -> dict[str, KpiValues]:
        """The named groups of one kind: ``lines``, ``regions`` or ``centres``."""
        if kind not in SCOPES:
            raise KeyError(kind)
        return getattr(self, kind)

    def scope(self, kind: str, name: str = "") -> KpiValues:
        """The KPIs of one group: ``overall`` (no name), or a line, region or centre."""
        return self.overall if kind == "overall" else self.group(kind)[name]


def leg_counts(outcome: np.ndarray, wait: np.ndarray, redial: np.ndarray, group: np.ndarray,
               n: int, sl_seconds: Sequence[float]) -> np.ndarray:
    """The counts ``kpi_table`` needs, per group ``0 … n - 1`` (a row each; other codes: in
    no group): the legs by outcome (``OUTCOMES`` order), offered, redials, answered after a
    wait, then per threshold answered within it and abandoned after it. Counts add up, so
    a group of groups has the sum of their rows."""
    group = np.where((group >= 0) & (group < n), group, n)
    k = len(OUTCOMES)
    answered, abandoned = outcome == ANSWERED, outcome == ABANDONED

    def count(select: np.ndarray) -> np.ndarray:
        return np.bincount(group[select], minlength=n + 1)[:n]

    by_outcome = np.bincount(group * k + outcome, minlength=(n + 1) * k)[:n * k].reshape(n, k)
    columns = [np.bincount(group, minlength=n + 1)[:n], count(redial),
               count(answered & (wait > 0))]
    columns += [count(answered & (wait <= t)) for t in sl_seconds]
    columns += [count(abandoned & (wait > t)) for t in sl_seconds]
    return np.column_stack([by_outcome, *columns]).astype(np.int64)


def kpi_table(outcome: np.ndarray, wait: np.ndarray, redial: np.ndarray, group: np.ndarray,
              staffed: Sequence[float], busy: Sequence[float], sl_seconds: Sequence[float],
              counts: np.ndarray | None = None) -> list[KpiValues]:
    """``group_kpis`` of several groups at once, from the legs of all (in record order):
    their outcomes, waits (``waits``), whether each is a redial and its group, a code
    ``0 … len(staffed) - 1`` (any other code: in no group). ``staffed`` and ``busy``: each
    group's seat-seconds present and busy in the KPI window; ``counts``: the groups'
    ``leg_counts`` if already known. The numbers are ``group_kpis``'s to the bit: counts are
    counted per group, and each mean and percentile is taken over the group's own waits in
    record order."""
    n = len(staffed)
    group = np.where((group >= 0) & (group < n), group, n)
    k, m = len(OUTCOMES), len(sl_seconds)
    if counts is None:
        counts = leg_counts(outcome, wait, redial, group, n, sl_seconds)
    by_outcome = counts[:, :k].tolist()
    offered, redials, waited = (counts[:, k + j].tolist() for j in range(3))
    within = {t: counts[:, k + 3 + j].tolist() for j, t in enumerate(sl_seconds)}
    late = {t: counts[:, k + 3 + m + j].tolist() for j, t in enumerate(sl_seconds)}
    answered, abandoned = outcome == ANSWERED, outcome == ABANDONED
    queued = np.flatnonzero(answered | abandoned)
    queued_rows = rows_by(group[queued], n)
    sl_names = [(t, f"sl{t:g}", f"sl{t:g}_excl") for t in sl_seconds]
    table = []
    for g, (n_ans, n_ab, n_block, n_bot, n_unf, n_nj) in enumerate(by_outcome):
        human = offered[g] - n_bot
        out: KpiValues = {
            "offered": offered[g], "answered": n_ans, "bot": n_bot, "abandoned": n_ab,
            "blocked": n_block, "unfinished": n_unf, "not_joined": n_nj, "human_offered": human,
            "redials": redials[g],
        }
        for t, name, excl in sl_names:
            out[name] = _ratio(within[t][g], human)
            out[excl] = _ratio(within[t][g], n_ans + late[t][g])
        rows = queued[queued_rows[g]]
        w = wait[rows]  # answered and abandoned legs, in record order
        w_ans = w[outcome[rows] == ANSWERED]
        out.update({
            "p_wait": _ratio(waited[g] + n_ab + n_nj, human - n_block - n_unf),
            "mean_wait": float(w.mean()) if len(w) else math.nan,
            "asa": float(w_ans.mean()) if len(w_ans) else math.nan,
            "p90_wait": percentile(w_ans, 90) if len(w_ans) else math.nan,
            "abandon_rate": _ratio(n_ab, human), "block_rate": _ratio(n_block, human),
            "unfinished_rate": _ratio(n_unf, human), "not_joined_rate": _ratio(n_nj, human),
            "human_answer_rate": _ratio(n_ans, human), "bot_rate": _ratio(n_bot, offered[g]),
            "occupancy": busy[g] / staffed[g] if staffed[g] > 0 else math.nan,
            "seat_hours": staffed[g] / 3600.0,
        })
        table.append(out)
    return table


def replication_kpis(cols: dict[str, np.ndarray], plans: Sequence[CentrePlan],
                     scenario: Scenario, staffed_by_centre: np.ndarray,
                     ) -> ReplicationKpis:
    """KPIs overall and by line, region and centre for one replication.

    ``staffed_by_centre`` holds each centre's seat-seconds present within the KPI window (on
    duty plus overtime, see ``sim.results.overtime``); occupancy counts busy time inside the
    window (of the legs on each group's seats: S18, merged lines' calls busy their host's).
    """
    lo, hi = scenario.warmup_hours * 3600.0, scenario.horizon
    inside = np.flatnonzero(_window(cols, scenario))
    centre, outcome = cols["centre"], cols["outcome"]
    seats = cols.get("seat_centre", centre)
    answered = np.flatnonzero(outcome == ANSWERED)
    overlap = np.clip(np.minimum(cols["released"][answered], hi)
                      - np.maximum(cols["answered"][answered], lo), 0, None)
    wait = leg_waits(cols)[inside]
    redial = ((cols["attempt"] > 1) & (cols["leg"] == 0))[inside]
    n = code_count(plans, centre, seats)
    sl = scenario.service_level_seconds
    legs_outcome, legs_centre = outcome[inside], centre[inside]
    by_centre = leg_counts(legs_outcome, wait, redial, legs_centre, n, sl)
    named: dict[str, dict[str, KpiValues]] = {}
    overall: KpiValues = {}
    for kind, groups in _groups(plans).items():
        code = np.full(n, len(groups), dtype=np.int64)  # a centre of no group: none
        for g, members in enumerate(groups.values()):
            code[members] = g
        counts = np.zeros((len(groups) + 1, by_centre.shape[1]), dtype=np.int64)
        np.add.at(counts, code, by_centre)  # the sum of each group's centres
        busy = [float(overlap[r].sum()) for r in rows_by(code[seats[answered]], len(groups))]
        staffed = [float(staffed_by_centre[members].sum()) for members in groups.values()]
        table = kpi_table(legs_outcome, wait, redial, code[legs_centre], staffed, busy, sl,
                          counts[:-1])
        if kind == "overall":
            overall = table[0]
        else:
            named[kind] = dict(zip(groups, table, strict=True))
    return ReplicationKpis(overall, **named)


def _groups(plans: Sequence[CentrePlan]) -> dict[str, dict[str, list[int]]]:
    """The groups of centres KPIs are reported for: kind → name → centre indices, in plan
    order (``overall`` has one group, ``all``)."""
    out: dict[str, dict[str, list[int]]] = {"overall": {"all": [p.index for p in plans]}}
    for kind, attr in (("lines", "line"), ("regions", "region")):
        out[kind] = {}
        for p in plans:
            out[kind].setdefault(getattr(p, attr), []).append(p.index)
    out["centres"] = {p.key: [p.index] for p in plans}
    return out
