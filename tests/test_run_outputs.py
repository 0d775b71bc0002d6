"""Run directories: the files, their reproducibility, the KPI definitions on known records."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.runner import prepare, run_scenario
from sim.results.records import read_calls

SMALL = {
    "name": "small", "horizon_hours": 3, "replications": 3, "seed": 11,
    "lines": {
        "110": {"talk": {"dist": "lognormal", "mean": 60, "cv": 0.8},
                "wrapup": {"dist": "deterministic", "value": 10},
                "patience": {"dist": "exponential", "mean": 40},
                "redial": {"after_abandon": 0.5, "after_blocked": 0.5}},
        "12345": {"talk": {"dist": "gamma", "mean": 150, "cv": 0.5},
                  "patience": {"dist": "lognormal", "mean": 90, "cv": 1}},
    },
    "centres": {
        "620100/110": {"calls_per_day": 20000, "seats": 12, "trunks": 20},
        "622900/110": {"calls_per_day": 5000, "seats": {"hourly": [2, 4, 3]}},
        "620100/12345": {"calls_per_day": 8000, "seats": {"peak": 12}},
    },
}

FILES = ("scenario.resolved.yaml", "kpis.json", "calls.csv.gz", "timeseries.csv")


def test_same_seed_gives_identical_bytes_serial_and_parallel(write_scenario, tmp_path):
    path = write_scenario(SMALL)
    a = run_scenario(prepare(path), out_dir=tmp_path / "a", jobs=1).directory
    b = run_scenario(prepare(path), out_dir=tmp_path / "b", jobs=2).directory
    c = run_scenario(prepare(path, seed=12), out_dir=tmp_path / "c").directory
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "calls.csv.gz").read_bytes() != (c / "calls.csv.gz").read_bytes()
    assert not list(a.glob(".*partial*")), "no temporary files left behind"


def test_kpis_agree_with_the_records(write_scenario, tmp_path):
    run = run_scenario(prepare(write_scenario(SMALL)), out_dir=tmp_path / "r")
    rows = list(read_calls(run.directory / "calls.csv.gz"))
    doc = json.loads((run.directory / "kpis.json").read_text())
    assert doc["schema"] == "hotline-sim/kpis/1" and doc["replications"] == 3
    for rep in range(3):
        mine = [r for r in rows if r["replication"] == str(rep)]
        overall = {k: v["values"][rep] for k, v in doc["overall"].items()}
        assert overall["offered"] == len(mine)
        for outcome in ("answered", "abandoned", "blocked"):
            assert overall[outcome] == sum(r["outcome"] == outcome for r in mine)
        waits = [float(r["answered"]) - float(r["arrival"]) for r in mine
                 if r["outcome"] == "answered"]
        sl20 = sum(w <= 20 for w in waits) / len(mine)
        assert math.isclose(overall["sl20"], sl20, rel_tol=1e-9)
        assert overall["redials"] == sum(r["attempt"] != "1" for r in mine)
        per_line = sum(doc["lines"][ln]["offered"]["values"][rep] for ln in doc["lines"])
        assert per_line == overall["offered"]
    centre = doc["centres"]["620100/110"]["offered"]
    assert centre["ci95"][0] <= centre["mean"] <= centre["ci95"][1]


def test_timeseries_counts_add_up(write_scenario, tmp_path):
    run = run_scenario(prepare(write_scenario(SMALL)), out_dir=tmp_path / "r")
    lines = (run.directory / "timeseries.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert len(rows) == 3 * 12  # 3 centres x 12 quarter-hours
    offered = sum(float(r["offered"]) for r in rows)
    # timeseries.csv prints 6 significant digits
    assert math.isclose(offered, run.kpis["overall"]["offered"]["mean"], rel_tol=1e-5)
    seats = [float(r["seats"]) for r in rows if r["centre"] == "622900/110"]
    assert seats == [2.0] * 4 + [4.0] * 4 + [3.0] * 4
    busy = [float(r["busy"]) for r in rows]
    assert all(b >= 0 for b in busy)


def test_calls_file_is_a_valid_gzip_with_documented_columns(write_scenario, tmp_path):
    run = run_scenario(prepare(write_scenario(SMALL)), out_dir=tmp_path / "r")
    with gzip.open(run.directory / "calls.csv.gz", "rt") as fh:
        header = fh.readline().strip().split(",")
    from sim.results.records import CALL_COLUMNS
    assert tuple(header) == CALL_COLUMNS
    documented = (Path(__file__).parents[1] / "docs" / "records.md").read_text()
    for column in CALL_COLUMNS:
        assert f"| `{column}` |" in documented, column


def test_occupancy_matches_offered_load_in_a_stationary_queue(write_scenario, tmp_path):
    # Erlang C: with no abandonment, occupancy = offered load / seats.
    data = {"name": "occ", "horizon_hours": 6, "warmup_hours": 1, "replications": 5, "seed": 3,
            "lines": {"110": {"talk": {"dist": "exponential", "mean": 60}}},
            "centres": {"620100/110": {"calls_per_day": 28800, "seats": 25}}}
    run = run_scenario(prepare(write_scenario(data)), out_dir=tmp_path / "r", jobs=2)
    occ = run.kpis["overall"]["occupancy"]
    lo, hi = occ["ci95"]
    assert lo - 0.01 <= 20 / 25 <= hi + 0.01  # busy time of legs straddling the window edges


@pytest.mark.parametrize("dist", [
    {"dist": "exponential", "mean": 60}, {"dist": "lognormal", "mean": 60, "cv": 1.5},
    {"dist": "gamma", "mean": 60, "cv": 0.4}, {"dist": "deterministic", "value": 60},
    {"dist": "empirical", "values": [30, 60, 120], "weights": [0.5, 0.3, 0.2]},
])
def test_distribution_sample_mean_matches_its_mean(dist):
    from pydantic import TypeAdapter

    from sim.domain.distributions import Distribution
    d = TypeAdapter(Distribution).validate_python(dist)
    x = d.sample(np.random.default_rng(5), 200_000)
    se = x.std(ddof=1) / math.sqrt(len(x))
    assert abs(x.mean() - d.mean) <= 4 * se + 1e-12


def test_poisson_arrivals_follow_the_hour_profile():
    from sim.model.arrivals import arrival_times
    from sim.scenario.plan import build_plans
    from sim.scenario.schema import Scenario
    profile = [1.0] * 12 + [3.0] * 12
    scenario = Scenario.model_validate({
        "name": "p", "horizon_hours": 24 * 20,
        "lines": {"110": {"hour_profile": profile}},
        "centres": {"620100/110": {"calls_per_day": 4800, "seats": 1}}})
    times = arrival_times(build_plans(scenario)[0], scenario, np.random.default_rng(9))
    hour = (times // 3600 % 24).astype(int)
    counts = np.bincount(hour, minlength=24)
    expected = 4800 * 20 * np.array(profile) / sum(profile)
    z = (counts - expected) / np.sqrt(expected)
    assert np.all(np.abs(z) < 4.5)
    gaps = np.diff(times[(hour >= 12)])
    gaps = gaps[gaps < 3600]
    assert abs(gaps.std() / gaps.mean() - 1) < 0.05  # exponential gaps: cv = 1
