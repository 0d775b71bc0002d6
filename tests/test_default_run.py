"""`hotline run` with no argument: the default scenario runs, writes its files, prints the table."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_hotline_run_with_no_argument(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("run", "-q", "--jobs", "2")
    assert result.exit_code == 0, result.output
    out = tmp_path / "results" / "gansu-baseline"
    for name in ("scenario.resolved.yaml", "kpis.json", "calls.csv.gz", "timeseries.csv"):
        assert (out / name).stat().st_size > 0, name
    doc = json.loads((out / "kpis.json").read_text())
    assert set(doc["lines"]) == {"12345", "110", "119", "120", "122"}
    assert len(doc["regions"]) == 17
    for line in doc["lines"]:
        assert line in result.output
    assert "all 全部" in result.output
