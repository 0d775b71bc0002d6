"""Overtime (seat time past the schedule): exact small cases, and all centres at once agreeing
with one centre at a time."""

import math
from collections.abc import Sequence

import numpy as np
import pytest

from sim.results.overtime import overtime_by_centre, overtime_seconds


def test_one_seat_kept_past_its_duty():
    # one seat on duty until t=100, none after; a call from 90 to 130 keeps it 30 s more
    steps = (np.array([0.0, 100.0]), np.array([1.0, 0.0]))
    starts, ends = np.array([90.0, 10.0]), np.array([130.0, 20.0])
    assert overtime_seconds(starts, ends, *steps, 0.0, 1000.0) == 30.0
    assert overtime_seconds(starts, ends, *steps, 0.0, 120.0) == 20.0  # cut at the window's end
    assert overtime_seconds(starts, ends, *steps, 105.0, 1000.0) == 25.0
    # two calls at once on one seat: 10 s of two busy, one on duty
    assert overtime_seconds(np.array([0.0, 5.0]), np.array([20.0, 15.0]), np.array([0.0]),
                            np.array([1.0]), 0.0, 100.0) == 10.0
    # a call never released (NaN) holds the seat to the window's end
    assert overtime_seconds(np.array([90.0]), np.array([np.nan]), *steps, 0.0, 200.0) == 100.0


def _random_case(rng, n_centres, legs):
    lo, hi = 3600.0, 4 * 3600.0
    centre = rng.integers(-1, n_centres + 1, legs)  # codes outside the centres are ignored
    starts = np.round(rng.uniform(0, 5 * 3600, legs), 0)  # rounded: many equal times
    ends = starts + np.round(rng.exponential(400, legs), 0)
    ends[rng.random(legs) < 0.02] = np.nan
    steps = []
    for _ in range(n_centres):
        hours = np.arange(6) * 3600.0
        extra = np.round(rng.uniform(0, 6 * 3600, rng.integers(0, 5)), 0)
        times = np.unique(np.concatenate([hours, extra]))
        steps.append((times, rng.integers(0, 4, len(times)).astype(float)))
    return starts, ends, centre, steps, lo, hi


@pytest.mark.parametrize("seed", range(8))
def test_all_centres_at_once_equal_one_at_a_time(seed):
    rng = np.random.default_rng(seed)
    starts, ends, centre, steps, lo, hi = _random_case(rng, 5, 400)
    got = overtime_by_centre(starts, ends, centre, steps, lo, hi)
    want = [overtime_seconds(starts[centre == c], ends[centre == c], *steps[c], lo, hi)
            for c in range(len(steps))]
    assert got.tolist() == want
    assert sum(want) > 0  # the case exercises overtime


def test_no_calls_or_an_empty_window():
    steps = [(np.array([0.0]), np.array([1.0]))] * 2
    empty = np.empty(0)
    assert overtime_by_centre(empty, empty, np.empty(0, np.int64), steps, 0, 10).tolist() == [0, 0]
    one = np.array([1.0])
    assert overtime_by_centre(one, one + 5, np.array([0]), steps, 10, 10).tolist() == [0, 0]


def all_centres_at_once(starts: np.ndarray, ends: np.ndarray, centre: np.ndarray,
                       steps: Sequence[tuple[np.ndarray, np.ndarray]], lo: float, hi: float
                       ) -> np.ndarray:
    """The sweep of every centre's events at once that ``overtime_by_centre`` used before
    (one sort by centre and time of all legs): the reference its per-centre sweeps match."""
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


@pytest.mark.parametrize("seed", range(6))
def test_per_centre_sweeps_equal_the_sweep_of_all_centres_at_once(seed):
    rng = np.random.default_rng(100 + seed)
    starts, ends, centre, steps, lo, hi = _random_case(rng, 12, 3000)
    got = overtime_by_centre(starts, ends, centre, steps, lo, hi)
    want = all_centres_at_once(starts, ends, centre, steps, lo, hi)
    assert got.tolist() == want.tolist()
    assert (want > 0).sum() >= 2  # several centres have overtime
