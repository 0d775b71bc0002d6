"""Seats over time from the borrowing log: own seats lent away, borrowed seats at work.

The coordinator logs every lend, arrival and release (``SeatEvent``); these functions turn the
log into per-hour averages for the time series and into the borrowing KPIs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.model.coordination import SeatEvent
from sim.scenario.plan import CentrePlan


def _step_changes(events: Sequence[SeatEvent], n_centres: int
                  ) -> tuple[list[list[tuple[float, int]]], list[list[tuple[float, int]]]]:
    """Per centre, (time, change) of seats lent away and of borrowed seats answering."""
    lent: list[list[tuple[float, int]]] = [[] for _ in range(n_centres)]
    borrowed: list[list[tuple[float, int]]] = [[] for _ in range(n_centres)]
    for e in events:
        if e.kind == "lend" and e.donor >= 0:
            lent[e.donor].append((e.t, e.seats))
        elif e.kind == "arrive":
            borrowed[e.recipient].append((e.t, e.seats))
        elif e.kind in ("release", "recall"):
            if e.donor >= 0:
                lent[e.donor].append((e.t, -e.seats))
            if e.answering:
                borrowed[e.recipient].append((e.t, -e.seats))
    return lent, borrowed


def hourly_mean(changes: list[tuple[float, int]], hours: int) -> np.ndarray:
    """Mean level per hour of a step function starting at 0 with the given changes."""
    edges = np.arange(hours + 1) * 3600.0
    if not changes:
        return np.zeros(hours)
    times = np.array([t for t, _ in changes])
    level = np.cumsum([d for _, d in changes])
    grid = np.concatenate([edges, times])
    grid.sort()
    idx = np.searchsorted(times, grid[:-1], side="right") - 1
    values = np.where(idx >= 0, level[np.clip(idx, 0, None)], 0)
    cum = np.concatenate([[0.0], np.cumsum(values * np.diff(grid))])
    at_edges = np.interp(edges, grid, cum)
    return np.diff(at_edges) / 3600.0


def seat_timelines(events: Sequence[SeatEvent], plans: Sequence[CentrePlan], hours: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(own seats on duty, borrowed seats answering), per centre and hour."""
    lent, borrowed = _step_changes(events, len(plans))
    own = np.vstack([p.seats_by_hour[:hours].astype(float) - hourly_mean(lent[p.index], hours)
                     for p in plans])
    lent_in = np.vstack([hourly_mean(borrowed[p.index], hours) for p in plans])
    return own, lent_in


def borrowing_kpis(events: Sequence[SeatEvent], plans: Sequence[CentrePlan], hours: int
                   ) -> dict[str, float]:
    """Borrowed and lent seat-hours per centre, time to first request and to release (hours)."""
    _, borrowed = seat_timelines(events, plans, hours)
    lent, _ = _step_changes(events, len(plans))
    out: dict[str, float] = {"borrowed_seat_hours": float(borrowed.sum()),
                             "requests": sum(e.kind == "lend" for e in events)}
    for p in plans:
        got = float(borrowed[p.index].sum())
        gave = float(hourly_mean(lent[p.index], hours).sum())
        if got or gave:
            out[f"{p.key}:borrowed_seat_hours"] = got
            out[f"{p.key}:lent_seat_hours"] = gave
        mine = [e for e in events if e.recipient == p.index]
        if mine:
            first = min(e.t for e in mine if e.kind == "lend")
            out[f"{p.key}:first_request_hours"] = first / 3600.0
            releases = [e.t for e in mine if e.kind == "release"]
            out[f"{p.key}:released_after_hours"] = (max(releases) - first) / 3600.0 \
                if releases else math.nan
    return out


def lending_below_target(events: Sequence[SeatEvent], plans: Sequence[CentrePlan]) -> int:
    """How many times a donor lent while its service level was under its own target."""
    return sum(1 for e in events if e.kind == "lend" and e.donor >= 0
               and e.donor_sl < plans[e.donor].target.level)


def seat_steps(events: Sequence[SeatEvent], plans: Sequence[CentrePlan]
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per centre, the exact step function of seats on duty: (change times, levels from then).

    Own seats follow the hourly schedule less the seats lent away (never below 0, as the model
    sets them); borrowed seats count from their arrival until they are sent home.
    """
    lent, borrowed = _step_changes(events, len(plans))
    out = []
    for p in plans:
        hours = np.arange(len(p.seats_by_hour)) * 3600.0
        changes = lent[p.index] + borrowed[p.index]
        times = _distinct(np.concatenate([hours, [t for t, _ in changes]])) if changes else hours
        hour = np.minimum(np.floor_divide(times, 3600).astype(np.int64), len(p.seats_by_hour) - 1)
        own = np.asarray(p.seats_by_hour)[hour]
        levels = np.maximum(0, own - _level(lent[p.index], times)) \
            + _level(borrowed[p.index], times)
        out.append((times, levels.astype(float)))
    return out


def _distinct(times: np.ndarray) -> np.ndarray:
    """The distinct ``times``, ascending: ``np.unique`` for values without NaN (which, in numpy
    2, imports ``numpy.ma`` on first use: 15 ms of a replication's summary)."""
    times = np.sort(times)
    return times[np.concatenate([[True], times[1:] != times[:-1]])]


def _level(changes: list[tuple[float, int]], times: np.ndarray) -> np.ndarray:
    """At each of ``times``, the sum of the changes made until then (inclusive)."""
    if not changes:
        return np.zeros(len(times), dtype=np.int64)
    at = np.array([t for t, _ in changes])
    order = np.argsort(at, kind="stable")
    total = np.concatenate([[0], np.cumsum(np.array([d for _, d in changes],
                                                    dtype=np.int64)[order])])
    return total[np.searchsorted(at[order], times, side="right")]
