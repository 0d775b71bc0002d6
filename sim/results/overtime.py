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

from sim.results.kpis import grouped


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
    """:func:`overtime_seconds` of every centre: ``starts``, ``ends`` and ``centre`` (whose
    seats) for the answered legs of all centres, ``steps[c]`` centre ``c``'s seats on duty as
    (change times, levels, the times ascending). Codes outside ``steps`` are ignored.

    The legs are grouped by centre once and each centre's events swept on their own: a
    centre's arrays are small enough to come from the allocator's free memory, where one
    sweep of all centres at once spent about as long in page faults as in arithmetic."""
    n = len(steps)
    out = np.zeros(n)
    if len(centre) and not (centre.min() >= 0 and centre.max() < n):
        mine = (centre >= 0) & (centre < n)
        starts, ends, centre = starts[mine], ends[mine], centre[mine]
    if len(starts) == 0 or hi <= lo:
        return out
    order, bounds = grouped(centre, n)
    starts, ends = starts[order], ends[order]
    for c in np.flatnonzero(np.diff(bounds)).tolist():
        legs = slice(bounds[c], bounds[c + 1])
        out[c] = _centre_overtime(starts[legs], ends[legs], *steps[c], lo, hi)
    return out


def _centre_overtime(starts: np.ndarray, ends: np.ndarray, seat_times: np.ndarray,
                     seat_levels: np.ndarray, lo: float, hi: float) -> float:
    """One centre's overtime in [lo, hi) (``overtime_seconds``, ``seat_times`` ascending), by
    one sweep of its events in time order."""
    ended = ends[~np.isnan(ends)]  # a call still on at the end never frees its seat
    n_start, n_end = len(starts), len(ended)
    calls = n_start + n_end
    # the events: answers (+1 busy), releases (-1), seat changes, the window's ends; the order
    # of events at the same time does not matter, as only the state after the last is read
    time = np.concatenate([starts, ended, seat_times, (lo, hi)])
    order = np.argsort(time)
    time = time[order]
    change = np.zeros(len(time), np.int64)
    change[:n_start] = 1
    change[n_start:calls] = -1
    busy = np.cumsum(change[order])
    seat = order - calls  # a seat change's place among them
    seats_seen = np.cumsum((seat >= 0) & (seat < len(seat_times)))  # seat changes up to each
    # the values after the last event at each distinct time, inside [lo, hi]
    final = np.ones(len(time), dtype=bool)
    final[:-1] = time[1:] != time[:-1]
    edge = np.flatnonzero(final & (time >= lo) & (time <= hi))
    last_seat = seats_seen[edge] - 1
    on_duty = np.where(last_seat >= 0, seat_levels[np.maximum(last_seat, 0)], 0)
    excess = np.clip(busy[edge] - on_duty, 0, None)[:-1]
    terms = excess * np.diff(time[edge])
    return math.fsum(terms[excess > 0].tolist())
