"""Overtime: seat time present past the schedule, while seats leaving duty finish their calls.

A centre's seats on duty follow a step function (``sim.results.seats.seat_steps``); a seat whose
duty ends mid-call stays until the call is released. The seat-seconds in the KPI window during
which more seats are busy than on duty count as present (``occupancy``'s denominator).

Between two consecutive distinct times of a centre's events (answers, releases, changes of its
seats, the window's ends) the excess ``busy − on duty`` is constant; the overtime is the sum of
its positive parts times the lengths of those pieces. The sum is exactly rounded
(``math.fsum``), so it does not depend on the order of the pieces (nor on BLAS threads).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def overtime_seconds(starts: np.ndarray, ends: np.ndarray, seat_times: np.ndarray,
                     seat_levels: np.ndarray, lo: float, hi: float) -> float:
    """Seat-seconds in [lo, hi) during which one centre had more seats busy than on duty.

    ``starts`` and ``ends``: when its seats answered and released their calls (NaN: still
    talking at the end); ``seat_levels[k]``: seats on duty from ``seat_times[k]`` on (none
    before the first). The reference for :func:`overtime_by_centre`, one centre at a time.
    """
    starts, ends = np.sort(starts), np.sort(ends)
    if len(starts) == 0 or hi <= lo:
        return 0.0
    edges = np.unique(np.concatenate([[lo, hi], starts, ends, seat_times]))
    edges = edges[(edges >= lo) & (edges <= hi)]
    t = edges[:-1]
    busy = np.searchsorted(starts, t, side="right") - np.searchsorted(ends, t, side="right")
    k = np.searchsorted(seat_times, t, side="right") - 1
    seats = np.where(k >= 0, seat_levels[np.clip(k, 0, None)], 0)
    excess = np.clip(busy - seats, 0, None)
    terms = excess * np.diff(edges)
    return math.fsum(terms[excess > 0].tolist())


def overtime_by_centre(starts: np.ndarray, ends: np.ndarray, centre: np.ndarray,
                       steps: Sequence[tuple[np.ndarray, np.ndarray]], lo: float, hi: float
                       ) -> np.ndarray:
    """:func:`overtime_seconds` of every centre at once: ``starts``, ``ends`` and ``centre``
    (whose seats) for the answered legs of all centres, ``steps[c]`` centre ``c``'s seats on
    duty as (change times, levels). Codes outside ``steps`` are ignored."""
    n = len(steps)
    out = np.zeros(n)
    mine = (centre >= 0) & (centre < n)
    starts, ends, centre = starts[mine], ends[mine], centre[mine]
    if len(starts) == 0 or hi <= lo:
        return out
    busy_centres = np.flatnonzero(np.bincount(centre, minlength=n))
    ended = ~np.isnan(ends)  # a call still on at the end never frees its seat
    seat_times = [steps[c][0] for c in busy_centres]
    seat_count = np.array([len(t) for t in seat_times], dtype=np.int64)
    time = np.concatenate([starts, ends[ended], *seat_times, np.full(len(busy_centres), lo),
                           np.full(len(busy_centres), hi)])
    code = np.concatenate([centre, centre[ended], np.repeat(busy_centres, seat_count),
                           busy_centres, busy_centres])
    change = np.concatenate([np.ones(len(starts), np.int64), np.full(int(ended.sum()), -1),
                             np.zeros(len(time) - len(starts) - int(ended.sum()), np.int64)])
    level = np.full(len(time), np.nan)
    seats_at = len(starts) + int(ended.sum())
    level[seats_at:seats_at + int(seat_count.sum())] = np.concatenate(
        [steps[c][1] for c in busy_centres]) if len(busy_centres) else []
    # by centre, then time: a stable sort by time, then a stable (radix) sort by centre code
    order = np.argsort(time, kind="stable")
    order = order[np.argsort(code[order].astype(np.int32 if n >= 1 << 15 else np.int16),
                             kind="stable")]
    time, level = time[order], level[order]
    code = np.repeat(np.arange(n), np.bincount(code, minlength=n))
    first = np.searchsorted(code, np.arange(n))  # where each centre's events begin
    busy = np.cumsum(change[order])
    # the values after the last event at each distinct time of a centre, inside [lo, hi]
    final = np.ones(len(time), dtype=bool)
    final[:-1] = (time[1:] != time[:-1]) | (code[1:] != code[:-1])
    edge = np.flatnonzero(final & (time >= lo) & (time <= hi))
    last_seat = np.maximum.accumulate(np.where(np.isnan(level), -1, np.arange(len(level))))[edge]
    edge_code = code[edge]
    base = np.concatenate([[0], busy])[first]  # the events of the centres before
    on_duty = np.where(last_seat >= first[edge_code], level[np.maximum(last_seat, 0)], 0)
    excess = np.clip(busy[edge] - base[edge_code] - on_duty, 0, None)[:-1]
    terms = excess * np.diff(time[edge])
    positive = np.flatnonzero((excess > 0) & (edge_code[1:] == edge_code[:-1]))
    by = edge_code[positive]
    for c in np.flatnonzero(np.bincount(by)).tolist():  # the centres with overtime
        out[c] = math.fsum(terms[positive[by == c]].tolist())
    return out
