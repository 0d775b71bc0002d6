"""The KPI document as typed objects: kpis.json is read back into the same bytes, and the
target rows, groups and sections are dataclasses (sim/results/document.py)."""

from __future__ import annotations

import json

import pytest

from sim.results.document import KpiDocument, TargetRow, read
from sim.results.stats import KpiSummary


def test_a_runs_kpis_json_reads_back_to_the_same_bytes(baseline_run):
    path = baseline_run / "kpis.json"
    doc = read(path)
    assert doc.text() == path.read_text(encoding="utf-8")
    assert all(isinstance(t, TargetRow) for t in doc.targets) and doc.targets
    line = next(iter(doc.lines.values()))
    assert isinstance(line["offered"], KpiSummary) and line["offered"].mean > 0
    assert doc.replications == len(line["offered"].values)


def test_sections_and_other_values_keep_their_kind():
    entry = {"mean": 1.0, "ci95": [0.5, 1.5], "values": [0.5, 1.5]}
    raw = {"schema": "s", "scenario": "x", "seed": 1, "start": "2024-01-01T00:00:00",
           "horizon_hours": 24, "warmup_hours": 0, "replications": 2, "kpi_names": ["offered"],
           "overall": {"offered": entry}, "lines": {}, "regions": {}, "centres": {},
           "targets": [{"kind": "line", "name": "110", "kpi": "sl15", "target": 0.9,
                        "mean": 0.8, "ci95": [0.7, 0.95], "met": False}],
           "flows": {"bounced": entry}, "printed": ["a"]}
    doc = KpiDocument.from_json(raw)
    assert doc.sections["flows"]["bounced"] == KpiSummary(1.0, 0.5, 1.5, (0.5, 1.5))
    assert doc.other == {"printed": ["a"]} and doc.windows is None
    assert doc.targets[0].half_width == pytest.approx(0.125) and not doc.targets[0].met
    assert json.dumps(doc.to_json()) == json.dumps(raw)
