"""Time series per centre and interval (default 15 minutes), from the records only.

Counts are by arrival interval. ``seats`` is the mean number of seats on duty in the interval,
``busy`` the mean number of seats busy (talk + wrap-up), ``queue`` the mean number of callers
waiting, each an integral over the interval divided by its length. ``orders_open`` is the
backlog: orders owned by the centre's region and line, created and not yet closed at the end of
the interval (an order never closed stays in it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from sim.model.calls import ABANDONED, ANSWERED, BLOCKED
from sim.results.kpis import code_count, rows_by, waits
from sim.results.order_table import as_order_columns
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
    wait = waits(cols)
    bins = np.clip(np.searchsorted(edges, cols["arrival"], side="right") - 1, 0, n_int - 1)
    arrival, outcome = cols["arrival"], cols["outcome"]
    answered, released = cols["answered"], cols["released"]
    width = np.diff(edges)
    by_centre = rows_by(cols["centre"], code_count(plans, cols["centre"]))
    for plan in plans:
        c = plan.index
        rows = by_centre[c]  # the centre's legs, in record order (as a mask would select)
        mine = rows[arrival[rows] < scenario.horizon]
        b = bins[mine]
        o = outcome[mine]
        w = wait[mine]
        ans = o == ANSWERED
        target = plan.target.seconds
        for j, sel in enumerate((None, ans, o == ABANDONED, o == BLOCKED, ans & (w <= target))):
            out[c, :, j] = np.bincount(b if sel is None else b[sel], minlength=n_int)[:n_int]
        out[c, :, 5] = np.bincount(b[ans], weights=w[ans], minlength=n_int)[:n_int]
        own = plan.seats_by_hour.astype(float) if own_by_hour is None else own_by_hour[c]
        out[c, :, 6] = hourly_to_intervals(own, edges)
        if borrowed_by_hour is not None:
            out[c, :, 7] = hourly_to_intervals(borrowed_by_hour[c], edges)
        seat_legs = rows[~np.isnan(released[rows])]
        out[c, :, 8] = _integral(answered[seat_legs], released[seat_legs], edges) / width
        out_c = outcome[rows]
        queued = rows[(out_c == ANSWERED) | (out_c == ABANDONED)]
        left = arrival[queued] + wait[queued]
        out[c, :, 9] = _integral(arrival[queued], left, edges) / width
    _backlog(out, plans, orders, edges)
    return out


def _backlog(out: np.ndarray, plans: Sequence[CentrePlan],
             orders: Sequence | dict[str, np.ndarray], edges: np.ndarray) -> None:
    """Fill ``orders_open``: per centre, orders open at the end of each interval."""
    o = as_order_columns(orders)
    keys: dict[tuple[str, str], int] = {}
    for plan in plans:
        keys.setdefault((plan.region, plan.line), len(keys))
    owner = defaultdict(lambda: len(keys), keys)  # an order of no centre: past the keys
    code = np.fromiter(map(owner.__getitem__, zip(o["region"].tolist(), o["line"].tolist(),
                                                  strict=True)), np.int64, len(o["region"]))
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
