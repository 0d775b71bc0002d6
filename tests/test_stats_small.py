"""The small-n path of ``mean_ci`` and ``ratio_ci`` (Python sums of a run's few replications)
gives numpy's floats to the bit: checked against the numpy formulas on random values."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.results import stats
from sim.results.stats import Estimate, mean_ci, ratio_ci, t_quantile, wilson

NUMBERS = st.one_of(
    st.floats(-1e6, 1e6), st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e-300, 1e-300), st.integers(-10**6, 10**6), st.sampled_from([0, 0.0, -0.0, 1e16]))
COUNTS = st.one_of(st.integers(0, 5000), st.sampled_from([0, 0.0, -0.0]), st.floats(0, 1e4),
                   st.floats(allow_nan=True, allow_infinity=True))


def numpy_mean_ci(values, level=0.95):
    """``mean_ci`` as numpy computes it (the formula before the small-n path)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = t_quantile(level, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def numpy_ratio_ci(numerators, denominators, level=0.95, proportion=False):
    """``ratio_ci`` as numpy computes it (the formula before the small-n path)."""
    a = np.asarray(numerators, dtype=float)
    b = np.asarray(denominators, dtype=float)
    n = len(a)
    if n == 0 or b.sum() == 0:
        return Estimate(math.nan, math.nan, math.nan, n)
    r = float(a.sum() / b.sum())
    if n < 2:
        return Estimate(r, math.nan, math.nan, n)
    d = a - r * b
    se = float(d.std(ddof=1)) / (math.sqrt(n) * float(b.mean()))
    half = t_quantile(level, n - 1) * se
    low, high = r - half, r + half
    if proportion:
        w_low, w_high = wilson(float(a.sum()), float(b.sum()), level)
        low, high = max(0.0, min(low, w_low)), min(1.0, max(high, w_high))
    return Estimate(r, low, high, n)


def bits(values) -> list[str]:
    """Floats compared to the bit (NaN equal to NaN, -0.0 unlike 0.0)."""
    return [float(v).hex() if not math.isnan(v) else "nan" for v in values]


def outcome(f, *args, **kwargs):
    """What ``f`` returns, or the type of what it raises."""
    with np.errstate(all="ignore"):
        try:
            return f(*args, **kwargs)
        except (ZeroDivisionError, FloatingPointError, ValueError) as exc:
            return type(exc)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(NUMBERS, st.none()), max_size=12),
       st.sampled_from([0.9, 0.95, 0.99]))
def test_mean_ci_matches_numpy_to_the_bit(values, level):
    assert bits(outcome(mean_ci, values, level)) == bits(outcome(numpy_mean_ci, values, level))


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 12).flatmap(lambda n: st.tuples(st.lists(NUMBERS, min_size=n, max_size=n),
                                                      st.lists(COUNTS, min_size=n, max_size=n))),
       st.booleans())
def test_ratio_ci_matches_numpy_to_the_bit(pair, proportion):
    numerators, denominators = pair
    got = outcome(ratio_ci, numerators, denominators, proportion=proportion)
    want = outcome(numpy_ratio_ci, numerators, denominators, proportion=proportion)
    if isinstance(want, type):
        assert got is want
    else:
        assert got.n == want.n
        assert bits([got.value, got.low, got.high]) == bits([want.value, want.low, want.high])


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n),
    st.lists(st.integers(1, 10**4), min_size=n, max_size=n))))
def test_kpi_ratios_take_the_python_path_and_match(pair):
    rates, counts = pair  # as kpi_estimate passes them: value × count over the counts
    numerators = [v * c for v, c in zip(rates, counts, strict=True)]
    assert stats._plain_floats(numerators) is not None
    got, want = ratio_ci(numerators, counts), numpy_ratio_ci(numerators, counts)
    assert bits([got.value, got.low, got.high]) == bits([want.value, want.low, want.high])


def test_sums_are_sequential_from_zero_like_numpy():
    # (1e16 + 1) + 1 rounds twice back to 1e16; a pairwise or first-element-first sum
    # would keep the 2
    for values in ([1e16, 1.0, 1.0], [1.0, 1e16, 1.0, 1.0], [-0.0], [-0.0, -0.0]):
        assert bits([stats._sum(values)]) == bits([np.add.reduce(np.array(values))])


def test_numpy_scalars_and_long_lists_take_numpy_path():
    assert stats._plain_floats([np.float64(1.0)]) is None
    assert stats._plain_floats([True]) is None
    assert stats._plain_floats([1.0] * stats._SEQUENTIAL) is None
    values = [0.1 * k for k in range(20)]
    assert bits(mean_ci(values)) == bits(numpy_mean_ci(values))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-10**10, 10**10).map(float), st.floats(allow_nan=True),
                 st.sampled_from([-0.0, 0.0, 9999999999.0, -9999999999.0, 1e10, 12345678901.0])))
def test_clean_keeps_ten_digits_as_before(x):
    want = None if math.isnan(x) else float(f"{x:.10g}")
    got = stats._clean(x)
    assert (got is None) == (want is None)
    if want is not None:
        assert type(got) is float and got.hex() == want.hex()
