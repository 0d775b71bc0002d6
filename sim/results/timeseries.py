"""Time series per centre and interval (default 15 minutes), from the records only.

Counts are by arrival interval. ``seats`` is the mean number of seats on duty in the interval,
``busy`` the mean number of seats busy (talk + wrap-up), ``queue`` the mean number of callers
waiting, each an integral over the interval divided by its length. ``orders_open`` is the
backlog: orders owned by the centre's region and line, created and not yet closed at the end of
the interval (an order never closed stays in it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.model.calls import ABANDONED, ANSWERED, BLOCKED
from sim.results.kpis import code_count, grouped, leg_waits, rows_by
from sim.results.order_table import as_order_columns, name_codes
from sim.scenario.plan import CentrePlan
from sim.scenario.schema import Scenario

SERIES = ("offered", "answered", "abandoned", "blocked", "answered_in_target", "wait_sum",
          "seats", "borrowed", "busy", "queue", "orders_open")


def interval_edges(scenario: Scenario) -> np.ndarray:
    """Interval boundaries in seconds from the start, covering the horizon."""
    step = scenario.interval_minutes * 60.0
    n = math.ceil(scenario.horizon / step)
    return np.arange(n + 1) * step


def _integral(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per bin, the integral of (number of open intervals [start, end)) over the bin."""
    if len(starts) == 0:
        return np.zeros(len(edges) - 1)

    def cum(x: np.ndarray) -> np.ndarray:  # Σ min(edge, x_i)
        x = np.sort(x)
        prefix = np.concatenate([[0.0], np.cumsum(x)])
        k = np.searchsorted(x, edges, side="left")
        return prefix[k] + edges * (len(x) - k)

    total = cum(ends) - cum(starts)
    return np.diff(total)


def hourly_to_intervals(per_hour: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean of an hourly step function over each interval."""
    hour_edges = np.arange(len(per_hour) + 1) * 3600.0
    cum = np.concatenate([[0.0], np.cumsum(per_hour * 3600.0)])
    at = np.interp(np.clip(edges, 0, hour_edges[-1]), hour_edges, cum)
    return np.diff(at) / np.diff(edges)


def replication_series(cols: dict[str, np.ndarray], plans: Sequence[CentrePlan],
                       scenario: Scenario, own_by_hour: np.ndarray | None = None,
                       borrowed_by_hour: np.ndarray | None = None,
                       orders: Sequence | dict[str, np.ndarray] = ()) -> np.ndarray:
    """Array (centres, intervals, len(SERIES)) for one replication."""
    edges = interval_edges(scenario)
    n_int = len(edges) - 1
    out = np.zeros((len(plans), n_int, len(SERIES)))
    n = code_count(plans, cols["centre"])
    # the legs by centre, in record order within each: a centre's legs are a slice
    order, bounds = grouped(cols["centre"], n)
    code = cols["centre"][order]
    arrival, outcome = cols["arrival"][order], cols["outcome"][order]
    answered, released = cols["answered"][order], cols["released"][order]
    wait = leg_waits(cols)[order]
    _counts(out, plans, code, arrival, outcome, wait, edges, scenario.horizon, n)
    width = np.diff(edges)
    seat_legs = ~np.isnan(released)
    queued = (outcome == ANSWERED) | (outcome == ABANDONED)
    left = arrival + wait  # when a queued caller left the queue
    for plan in plans:
        c = plan.index
        legs = slice(bounds[c], bounds[c + 1])
        own = plan.seats_by_hour.astype(float) if own_by_hour is None else own_by_hour[c]
        out[c, :, 6] = hourly_to_intervals(own, edges)
        if borrowed_by_hour is not None:
            out[c, :, 7] = hourly_to_intervals(borrowed_by_hour[c], edges)
        seat = seat_legs[legs]
        out[c, :, 8] = _integral(answered[legs][seat], released[legs][seat], edges) / width
        q = queued[legs]
        out[c, :, 9] = _integral(arrival[legs][q], left[legs][q], edges) / width
    _backlog(out, plans, orders, edges)
    return out


def _counts(out: np.ndarray, plans: Sequence[CentrePlan], code: np.ndarray,
            arrival: np.ndarray, outcome: np.ndarray, wait: np.ndarray, edges: np.ndarray,
            horizon: float, n: int) -> None:
    """Fill the counts by arrival interval (offered … answered_in_target) and ``wait_sum``
    of every centre at once, from the legs with their centre ``code`` (any order: each
    interval's wait_sum adds its legs in the order given)."""
    n_int = len(edges) - 1
    bins = np.clip(np.searchsorted(edges, arrival, side="right") - 1, 0, n_int - 1)
    cell = code * n_int + bins  # (centre, interval)
    inside = (arrival < horizon) & (code >= 0)
    answered = inside & (outcome == ANSWERED)
    target = np.full(n, np.nan)  # a centre of no plan: never in target (nor printed)
    target[[p.index for p in plans]] = [p.target.seconds for p in plans]
    selections = (inside, answered, inside & (outcome == ABANDONED),
                  inside & (outcome == BLOCKED), answered & (wait <= target[code]))
    rows = [p.index for p in plans]
    for j, sel in enumerate(selections):
        out[:, :, j] = np.bincount(cell[sel], minlength=n * n_int).reshape(n, n_int)[rows]
    out[:, :, 5] = np.bincount(cell[answered], weights=wait[answered],
                               minlength=n * n_int).reshape(n, n_int)[rows]


def _backlog(out: np.ndarray, plans: Sequence[CentrePlan],
             orders: Sequence | dict[str, np.ndarray], edges: np.ndarray) -> None:
    """Fill ``orders_open``: per centre, orders open at the end of each interval."""
    o = as_order_columns(orders)
    keys: dict[tuple[str, str], int] = {}
    for plan in plans:
        keys.setdefault((plan.region, plan.line), len(keys))
    region, regions = name_codes(o["region"])
    line, lines = name_codes(o["line"])
    owner = np.array([keys.get((r, li), len(keys))  # an order of no centre: past the keys
                      for r in regions for li in lines], dtype=np.int64)
    code = owner[region * len(lines) + line] if len(owner) else np.zeros(0, np.int64)
    mine = rows_by(code, len(keys))
    column = SERIES.index("orders_open")
    ends = edges[1:]
    for plan in plans:
        rows = mine[keys[(plan.region, plan.line)]]
        if not len(rows):
            continue
        created = np.sort(o["created"][rows])
        closed = o["closed"][rows]
        closed = np.sort(np.where(np.isnan(closed), math.inf, closed))
        out[plan.index, :, column] = (np.searchsorted(created, ends, side="right")
                                      - np.searchsorted(closed, ends, side="right"))
