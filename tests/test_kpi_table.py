"""``kpi_table`` (every group's KPIs at once) gives ``group_kpis``'s numbers to the bit."""

import math

import numpy as np
import pytest

from sim.model.calls import OUTCOMES
from sim.results.kpis import group_kpis, kpi_table, leg_counts, waits


def _legs(rng, n):
    arrival = np.sort(rng.uniform(0, 1000, n))
    outcome = rng.integers(0, len(OUTCOMES), n)
    answered = arrival + np.round(rng.exponential(20, n), 1)  # rounded: waits equal to targets
    return {"arrival": arrival, "answered": answered, "ended": answered + 5.0,
            "outcome": outcome, "attempt": rng.integers(1, 4, n), "leg": rng.integers(0, 2, n)}


@pytest.mark.parametrize("seed", range(6))
def test_every_group_as_group_kpis(seed):
    rng = np.random.default_rng(seed)
    cols = _legs(rng, 3000)
    wait = waits(cols)
    groups = 5
    code = rng.integers(-1, groups + 2, len(wait))  # codes past the groups: in none
    staffed = [0.0, *rng.uniform(1e3, 1e4, groups - 1)]
    busy = rng.uniform(0, 1e3, groups).tolist()
    redial = (cols["attempt"] > 1) & (cols["leg"] == 0)
    sl = (10.0, 20.0, 15.5)
    got = kpi_table(cols["outcome"], wait, redial, code, staffed, busy, sl)
    for g in range(groups):
        want = group_kpis(cols, np.flatnonzero(code == g), wait, staffed[g], sl, busy[g])
        assert list(got[g]) == list(want)
        for name, value in want.items():
            assert type(got[g][name]) is type(value), name
            assert got[g][name] == value or (math.isnan(value) and math.isnan(got[g][name]))


def test_an_empty_group():
    cols = _legs(np.random.default_rng(1), 10)
    wait = waits(cols)
    got = kpi_table(cols["outcome"], wait, np.zeros(10, bool), np.full(10, 1), [0.0], [0.0],
                    (20.0,))
    assert got[0]["offered"] == 0 and math.isnan(got[0]["asa"]) and math.isnan(got[0]["sl20"])


def test_counts_of_groups_of_groups_add_up():
    rng = np.random.default_rng(9)
    cols = _legs(rng, 2000)
    wait = waits(cols)
    redial = (cols["attempt"] > 1) & (cols["leg"] == 0)
    centre = rng.integers(0, 6, 2000)
    line_of = np.array([0, 0, 1, 1, 1, 0])  # six centres in two lines
    by_centre = leg_counts(cols["outcome"], wait, redial, centre, 6, (20.0,))
    summed = np.zeros((2, by_centre.shape[1]), dtype=np.int64)
    np.add.at(summed, line_of, by_centre)
    direct = leg_counts(cols["outcome"], wait, redial, line_of[centre], 2, (20.0,))
    assert (summed == direct).all()
    args = (cols["outcome"], wait, redial, line_of[centre], [1.0, 2.0], [0.5, 0.5], (20.0,))
    assert kpi_table(*args, counts=summed) == kpi_table(*args)


@pytest.mark.parametrize("values", [
    [5.0], [-0.0], [math.inf], [0.0, 1.0], [1.0, 0.0, 3.0], [2.0] * 7, [math.nan, 1.0, 2.0],
    [math.inf, 1.0, 2.0, 3.0], [-math.inf, 0.0] * 5, list(range(11)), [0.1 * k for k in range(23)],
])
def test_percentile_is_numpys_to_the_bit(values):
    from sim.results.kpis import percentile

    for q in (0, 10, 50, 90, 99.5, 100):
        with np.errstate(invalid="ignore"):  # inf - inf, in numpy's interpolation
            want = float(np.percentile(np.array(values), q))
        got = percentile(np.array(values), q)
        assert type(got) is float
        assert (math.isnan(got) and math.isnan(want)) or (
            got == want and math.copysign(1, got) == math.copysign(1, want)), (values, q)


@pytest.mark.parametrize("seed", range(4))
def test_percentile_of_random_waits(seed):
    from sim.results.kpis import percentile

    rng = np.random.default_rng(seed)
    for n in (*range(1, 40), 1001, 4096):
        values = np.round(rng.exponential(20, n), int(rng.integers(0, 4)))  # ties, too
        for q in (90, 37.5):
            assert percentile(values, q) == float(np.percentile(values, q)), (n, q)
