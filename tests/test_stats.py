"""Estimators across replications: ratio of totals, control variates, run length from a pilot.

Closed-form truths and coverage checks with binomial tolerances; no seed-specific numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sst

from sim.results.stats import Estimate, control_variate_ci, mean_ci, ratio_ci, replications_needed


def test_ratio_of_totals_by_hand():
    # a = answered within target, b = offered, three replications.
    a, b = [9.0, 40.0, 2.0], [10.0, 50.0, 4.0]
    r = 51 / 64
    d = np.array(a) - r * np.array(b)
    se = d.std(ddof=1) / (math.sqrt(3) * np.mean(b))
    est = ratio_ci(a, b, 0.95)
    assert est.value == pytest.approx(r)
    assert est.half_width == pytest.approx(sst.t.ppf(0.975, 2) * se)
    assert est.n == 3


def test_ratio_edge_cases():
    assert math.isnan(ratio_ci([0, 0], [0, 0]).value)
    one = ratio_ci([3], [4])
    assert one.value == 0.75 and math.isnan(one.low)
    with pytest.raises(ValueError, match="numerators"):
        ratio_ci([1, 2], [3])


def _unequal_volumes(rng, reps):
    """Replications of a small centre whose volume varies wildly: N ~ 1 + Poisson(μ_k) with μ
    either 2 or 200 (a quiet night or a surge), and each call answered in time with a chance
    that falls with the volume, p(N) = 0.95 − 0.4·[μ = 200]."""
    surge = rng.random(reps) < 0.5
    n = 1 + rng.poisson(np.where(surge, 200.0, 2.0))
    p = np.where(surge, 0.55, 0.95)
    return rng.binomial(n, p).astype(float), n.astype(float)


# Pooled (per-call) service level: E[N p] / E[N] with E[N] = 3 (quiet) or 201 (surge).
TRUE_POOLED = (3 * 0.95 + 201 * 0.55) / (3 + 201)
MEAN_OF_RATIOS_LIMIT = (0.95 + 0.55) / 2


def test_mean_of_ratios_is_biased_on_unequal_volumes_and_the_ratio_of_totals_is_not():
    rng = np.random.default_rng(12)
    hits_ratio = hits_mean = 0
    trials = 400
    for _ in range(trials):
        a, b = _unequal_volumes(rng, 20)
        est = ratio_ci(a, b, 0.95)
        hits_ratio += est.low <= TRUE_POOLED <= est.high
        _, lo, hi = mean_ci(a / b, 0.95)
        hits_mean += lo <= TRUE_POOLED <= hi
    # The delta-method interval covers about 95 % (binomial 99.9 % band for 400 trials)...
    assert abs(hits_ratio / trials - 0.95) < 3.3 * math.sqrt(0.95 * 0.05 / trials) + 0.02
    # ...while the mean of ratios centres on 0.75, 19 points away, and almost never covers.
    assert hits_mean / trials < 0.05
    assert MEAN_OF_RATIOS_LIMIT - TRUE_POOLED > 0.15


def test_control_variates_cover_and_shrink_the_interval():
    rng = np.random.default_rng(3)
    trials, n, covered, ratio = 600, 20, 0, []
    for _ in range(trials):
        c1, c2 = rng.normal(10, 2, n), rng.exponential(5, n)
        y = 1.5 + 0.8 * (c1 - 10) - 0.3 * (c2 - 5) + rng.normal(0, 0.5, n)
        est = control_variate_ci(y, [c1, c2], [10, 5], 0.95)
        covered += est.low <= 1.5 <= est.high
        _, lo, hi = mean_ci(y, 0.95)
        ratio.append(est.half_width / ((hi - lo) / 2))
    assert abs(covered / trials - 0.95) < 3.3 * math.sqrt(0.95 * 0.05 / trials)
    # Var(Y) = 0.64·4 + 0.09·25 + 0.25 = 5.06 against 0.25 left after the controls.
    assert np.median(ratio) < 0.35


def test_control_variates_need_enough_replications():
    with pytest.raises(ValueError, match="cannot carry 2 controls"):
        control_variate_ci([1, 2, 3], [[1, 2, 3], [3, 2, 1]], [2, 2])


@pytest.mark.parametrize("extra_df", [0, 2])
def test_replications_needed_is_the_smallest_count_reaching_the_half_width(extra_df):
    level, s, n0 = 0.99, 4.0, 30
    pilot_half = sst.t.ppf(0.995, n0 - 1 - extra_df) * s / math.sqrt(n0)
    pilot = Estimate(10.0, 10 - pilot_half, 10 + pilot_half, n0)
    target = 0.5
    n = replications_needed(pilot, target, level, extra_df=extra_df)

    def half(k):
        return sst.t.ppf(0.995, k - 1 - extra_df) * s / math.sqrt(k)

    assert half(n) <= target < half(n - 1)


def test_replications_needed_rejects_a_pilot_without_interval():
    with pytest.raises(ValueError):
        replications_needed(Estimate(1.0, math.nan, math.nan, 1), 0.1, 0.99)


def test_paired_ratio_difference_is_the_difference_of_the_printed_levels():
    from sim.results.paired import paired_entries
    # base: 1 of 2 and 8 of 8 -> 9/10; variant: 2 of 2 and 6 of 8 -> 8/10. The mean of the
    # per-replication differences would be +0.375; the levels differ by -0.1.
    base = {"values": [0.5, 1.0], "weights": [2, 8]}
    variant = {"values": [1.0, 0.75], "weights": [2, 8]}
    d = paired_entries(base, variant)
    assert d.delta == pytest.approx(-0.1)
    # by hand: u_base = (-0.16, 0.16), u_variant = (0.08, -0.08), d = (0.24, -0.24), s_d/√2 = 0.24
    assert d.half_width == pytest.approx(12.706204736174707 * 0.24)
    assert d.p_value == pytest.approx(2 * sst.t.sf(0.1 / 0.24, 1))


def test_sparse_proportions_get_at_least_the_pooled_wilson_interval_within_0_and_1():
    from sim.results.stats import ratio_ci
    est = ratio_ci([1, 1], [1, 1], proportion=True)  # one call each, both in target
    assert est.value == 1.0 and est.high == 1.0
    assert 0.2 < est.low < 0.5  # Wilson on 2 of 2, not a zero-width interval
    plain = ratio_ci([1, 1], [1, 1])
    assert plain.low == plain.high == 1.0  # what the delta method alone says


def test_max_replications_below_replications_is_refused():
    from click.testing import CliRunner

    from cli import main
    result = CliRunner().invoke(main, ["run", "validation/mmc-12", "-r", "6",
                                       "--max-replications", "3", "--precision", "sl15=0.05"])
    assert result.exit_code == 2 and "below --replications" in result.output


def test_wide_intervals_of_reported_rates_are_warned_not_only_targets():
    from sim.report.tables import sparse_warnings
    entry = {"mean": 0.1, "ci95": [0.01, 0.19], "values": [0.1, 0.1]}  # ±9 points
    narrow = {"mean": 0.9, "ci95": [0.89, 0.91], "values": [0.9, 0.9]}
    doc = {"replications": 10, "targets": [],
           "lines": {"110": {"abandon_rate": entry, "human_answer_rate": narrow}},
           "overall": {"abandon_rate": narrow}}
    (warning,) = sparse_warnings(doc)
    assert "110 abandon_rate ±9.0" in warning and "human_answer_rate" not in warning
