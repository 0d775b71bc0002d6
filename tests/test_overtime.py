"""Overtime (seat time past the schedule): exact small cases, and all centres at once agreeing
with one centre at a time."""

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
