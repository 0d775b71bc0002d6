"""A KPI over replications as a typed value, and its exact ``kpis.json`` form."""

from __future__ import annotations

import json

from sim.results.stats import KpiSummary, kpi_summary, summarise

REPS = [{"offered": 100, "human_offered": 100, "answered": 90, "abandoned": 10,
         "abandon_rate": 0.1, "asa": 12.0},
        {"offered": 50, "human_offered": 50, "answered": 40, "abandoned": 10,
         "abandon_rate": 0.2, "asa": float("nan")}]


def test_json_form_round_trips_and_keeps_key_order():
    doc = summarise(REPS)
    for name, entry in doc.items():
        typed = KpiSummary.from_json(entry)
        assert json.dumps(typed.to_json()) == json.dumps(entry)
        assert typed == kpi_summary(name, REPS)
    rate = KpiSummary.from_json(doc["abandon_rate"])
    assert rate.mean == round(20 / 150, 10) and rate.weights == (100, 50)
    assert list(doc["abandon_rate"]) == ["mean", "ci95", "values", "weights"]
    assert "weights" not in doc["offered"]


def test_undefined_values_are_none_and_intervals_overlap_when_undefined():
    one = KpiSummary.from_json(summarise(REPS[:1])["offered"])
    assert (one.mean, one.low, one.high, one.half_width) == (100, None, None, None)
    a, b, c = KpiSummary(0.5, 0.4, 0.6), KpiSummary(0.7, 0.61, 0.8), KpiSummary(0.7, 0.55, 0.8)
    assert not a.overlaps(b) and a.overlaps(c) and c.overlaps(a) and one.overlaps(a)
