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
    if len(centre) and not (centre.min() >= 0 and centre.max() < n):
        mine = (centre >= 0) & (centre < n)
        starts, ends, centre = starts[mine], ends[mine], centre[mine]
    if len(starts) == 0 or hi <= lo:
        return out
    busy_centres = np.flatnonzero(np.bincount(centre, minlength=n))
    ended = ~np.isnan(ends)  # a call still on at the end never frees its seat
    seat_times = [steps[c][0] for c in busy_centres]
    seat_count = np.array([len(t) for t in seat_times], dtype=np.int64)
    n_start, n_end, n_seat = len(starts), int(ended.sum()), int(seat_count.sum())
    # the events: answers (+1 busy), releases (-1), seat changes, the window's ends
    time = np.concatenate([starts, ends[ended], *seat_times, np.full(len(busy_centres), lo),
                           np.full(len(busy_centres), hi)])
    small = np.int16 if n < 1 << 15 else np.int32  # numpy sorts 16-bit keys by radix
    code = np.concatenate([centre, centre[ended], np.repeat(busy_centres, seat_count),
                           busy_centres, busy_centres]).astype(small)
    # by centre, then time: the order of events at the same time of a centre does not matter,
    # as only the state after the last of them is read
    order = np.argsort(time)
    order = order[np.argsort(code[order], kind="stable")]
    time = time[order]
    change = np.concatenate([np.ones(n_start, np.int8), np.full(n_end, -1, np.int8),
                             np.zeros(len(time) - n_start - n_end, np.int8)])
    busy = np.cumsum(change[order], dtype=np.int64)
    seat = order - (n_start + n_end)  # a seat change's place among them, in (centre, time) order
    seats_seen = np.cumsum((seat >= 0) & (seat < n_seat))  # seat changes up to each event
    code = np.repeat(np.arange(n), np.bincount(code, minlength=n))
    first = np.searchsorted(code, np.arange(n))  # where each centre's events begin
    # the values after the last event at each distinct time of a centre, inside [lo, hi]
    final = np.ones(len(time), dtype=bool)
    final[:-1] = (time[1:] != time[:-1]) | (code[1:] != code[:-1])
    edge = np.flatnonzero(final & (time >= lo) & (time <= hi))
    edge_code = code[edge]
    base = np.concatenate([[0], busy])[first]  # the events of the centres before
    first_seat = np.zeros(n, dtype=np.int64)  # each centre's first seat change among them
    first_seat[busy_centres] = np.cumsum(seat_count) - seat_count
    last_seat = seats_seen[edge] - 1
    levels = np.concatenate([steps[c][1] for c in busy_centres])
    on_duty = np.where(last_seat >= first_seat[edge_code], levels[np.maximum(last_seat, 0)], 0)
    excess = np.clip(busy[edge] - base[edge_code] - on_duty, 0, None)[:-1]
    terms = excess * np.diff(time[edge])
    positive = np.flatnonzero((excess > 0) & (edge_code[1:] == edge_code[:-1]))
    by = edge_code[positive]
    for c in np.flatnonzero(np.bincount(by)).tolist():  # the centres with overtime
        out[c] = math.fsum(terms[positive[by == c]].tolist())
    return out
