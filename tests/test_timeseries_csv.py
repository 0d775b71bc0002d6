"""``timeseries.csv`` fields are each value formatted as ``f"{v:.6g}"``, NaN as an empty field."""

from __future__ import annotations

import numpy as np

from sim.experiments.replications import ReplicationSummary
from sim.experiments.runner import prepare, timeseries_csv
from sim.results.timeseries import SERIES, interval_edges
from sim.scenario.plan import build_plans


def test_fields_match_the_reference_formatting():
    scn = prepare("gansu-baseline", ["horizon_hours=3", "drain_hours=0"], replications=1)
    plans, edges = build_plans(scn), interval_edges(scn)
    rng = np.random.default_rng(5)
    shape = (len(plans), len(edges) - 1, len(SERIES))
    series = rng.choice([0.0, 1.0, 1e-7, 123456789.0, -2.5, 1 / 3, np.nan], size=shape)
    series *= rng.choice([1.0, 7.0, 1e3], size=shape)
    text = timeseries_csv(scn, [ReplicationSummary(0, {}, series, b"", 0)])
    rows = text.splitlines()[1:]
    assert len(rows) == shape[0] * shape[1]
    for plan in plans[:5]:
        for j in range(shape[1]):
            fields = rows[plan.index * shape[1] + j].split(",")
            assert fields[0] == plan.key
            expected = ["" if np.isnan(v) else f"{v:.6g}" for v in series[plan.index, j]]
            assert fields[5:] == expected
