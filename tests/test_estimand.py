"""The estimand of ratio KPIs: the ratio of totals over replications, not the mean of ratios.

A centre whose day-level busyness varies wildly (gamma factor with variance 0.6) has quiet
replications with few calls, all answered fast, and overloaded ones with many calls and a low
service level. The pooled service level (calls answered within 20 s / calls offered, over all
replications: what a planner means by "the service level") is computed here straight from
``calls.csv.gz``; ``kpis.json`` must report exactly that, while the mean of per-replication
ratios over-weights the quiet replications and lies visibly above it.
"""

from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import pytest

from sim.domain.paths import SCENARIOS_DIR
from sim.experiments.runner import prepare, run_scenario
from sim.results.stats import denominator, kpi_estimate


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("estimand") / "run"
    run_scenario(prepare(SCENARIOS_DIR / "validation" / "mmc-12.yaml",
                         ["horizon_hours=1.5", "warmup_hours=0.25",
                          "lines.110.busyness_variance=0.6"], replications=40), out_dir=out)
    kpis = json.loads((out / "kpis.json").read_text())
    with gzip.open(out / "calls.csv.gz", "rt", encoding="utf-8") as f:
        calls = list(csv.DictReader(f))
    return kpis, calls


def test_volumes_are_very_unequal(run):
    offered = np.array(run[0]["overall"]["offered"]["values"])
    assert offered.max() > 4 * offered.min()


def test_service_level_is_the_pooled_rate_and_the_mean_of_ratios_is_biased(run):
    kpis, calls = run
    legs = [c for c in calls if 0.25 * 3600 <= float(c["arrival"]) < 1.5 * 3600]
    within = sum(c["outcome"] == "answered" and float(c["answered"]) - float(c["arrival"]) <= 20
                 for c in legs)
    pooled = within / len(legs)
    sl = kpis["overall"]["sl20"]
    assert sl["mean"] == pytest.approx(pooled, rel=1e-9)
    lo, hi = sl["ci95"]
    assert lo < pooled < hi
    # The two estimators target different values: their difference D, linearised per
    # replication (r_i − (a_i − R·b_i)/b̄), is more than 3 standard errors from zero.
    r = np.array(sl["values"])
    b = np.array(kpis["overall"]["offered"]["values"], dtype=float)
    d = r - (r * b - pooled * b) / b.mean()
    gap = r.mean() - pooled
    assert gap > 3 * d.std(ddof=1) / np.sqrt(len(d)), (gap, d.std(ddof=1))
    assert gap > 0.05


def test_every_ratio_kpi_has_its_count():
    rep = {"offered": 100, "blocked": 5, "unfinished": 1, "answered": 90, "abandoned": 4,
           "human_offered": 98, "bot": 2, "not_joined": 0, "seat_hours": 12.0, "sl20": 0.8,
           "p_wait": 0.5, "work_order:created": 10, "work_order:on_time_rate": 0.75}
    assert denominator("sl20", rep) == 98  # human legs: the bot's are not the seats' to answer
    assert denominator("abandon_rate", rep) == 98
    assert denominator("bot_rate", rep) == 100
    assert denominator("sl20_excl", rep) is None  # its count is not in the KPIs: mean of ratios
    assert denominator("p_wait", rep) == 92
    assert denominator("occupancy", rep) == 12.0
    assert denominator("mean_wait", rep) == 94
    assert denominator("asa", rep) == 90
    assert denominator("work_order:on_time_rate", rep) is None
    assert denominator("offered", rep) is None
    reps = [{"offered": 10, "sl20": 1.0}, {"offered": 990, "sl20": 0.5}]
    assert kpi_estimate("sl20", reps).value == pytest.approx((10 + 495) / 1000)
    assert kpi_estimate("offered", reps).value == 500
