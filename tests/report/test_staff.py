"""hotline staff: Erlang A on a stationary M/M/c+M centre, the baseline schedule holds."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml

from sim.domain.errors import InputError
from sim.planning.staff_targets import parse_interval, parse_target
from sim.planning.staffing import hourly_list
from sim.queueing.inverse import servers_for_service_level
from sim.scenario import load_scenario

LINES, CENTRES = {"110", "12345"}, {"620100/110"}


def test_parse_targets_and_intervals():
    t = parse_target("110:sl15>=0.90", LINES, CENTRES)
    assert (t.scope, t.kpi, t.op, t.value, t.sl_seconds) == ("110", "sl15", ">=", 0.9, 15.0)
    assert parse_target("620100/110:abandon_rate<=5%", LINES, CENTRES).value == 0.05
    for bad in ("110sl15>=0.9", "119:sl15>=0.9", "110:offered>=3", "110:sl15<=0.9",
                "110:sl15>=1.5", "110:asa>=3", "110:abandon_rate<=0"):
        with pytest.raises(InputError, match="--target"):
            parse_target(bad, LINES, CENTRES)
    assert parse_interval("60m") == 1 and parse_interval("2h") == 2 and parse_interval("180") == 3
    for bad in ("30m", "0h", "abc"):
        with pytest.raises(InputError, match="--interval"):
            parse_interval(bad)


def test_bad_target_exits_2(rcli, stationary):
    result = rcli("staff", stationary, "--target", "999:sl15>=0.9")
    assert result.exit_code == 2 and "--target" in result.output


def test_hourly_list_is_by_clock_hour_when_24_long(write_scenario):
    path = write_scenario({"name": "s", "start": "2024-06-03T06:00:00+08:00", "horizon_hours": 24,
                           "drain_hours": 0, "lines": {"110": {}},
                           "centres": {"620100/110": {"seats": 1}}})
    scn = load_scenario(path)
    per_hour = np.arange(24)
    hourly = hourly_list(per_hour, scn)
    from sim.scenario.plan import build_plans

    staffed = load_scenario(path, [f"centres.620100/110.seats={{hourly: {list(hourly)}}}"])
    assert build_plans(staffed)[0].seats_by_hour[:24].tolist() == per_hour.tolist()


@pytest.mark.slow
def test_stationary_mmcm_gets_the_erlang_a_seat_count(rcli, stationary, tmp_path):
    out = tmp_path / "staff"
    result = rcli("staff", stationary, "--target", "110:sl20>=0.8", "-r", 10, "-j", 2, "--trim",
                  "--out", out, "-q")
    assert result.exit_code == 0, result.output
    erlang = servers_for_service_level(9 / 60, 60, 20, 0.8, 60)
    rows = list(csv.DictReader((out / "staffing.csv").open()))
    judged = [r for r in rows if r["verified"] == "yes"]
    assert len(judged) == 4  # the warm-up hour is not measured
    assert all(int(r["erlang"]) == erlang for r in rows)
    assert all(abs(int(r["required"]) - erlang) <= 1 for r in judged), rows
    for ext in ("png", "svg"):
        assert (out / "plots" / f"staffing.{ext}").stat().st_size > 1000


@pytest.mark.slow
def test_baseline_schedule_meets_the_targets_with_a_new_seed(rcli, tmp_path):
    from sim.domain.paths import DEFAULT_SCENARIO
    from sim.experiments.runner import prepare, run_scenario

    out = tmp_path / "staff"
    targets = {"110": 0.9, "120": 0.9}
    args = [f"--target={line}:sl15>={level}" for line, level in targets.items()]
    result = rcli("staff", DEFAULT_SCENARIO, *args, "--set", "horizon_hours=12", "-r", 5,
                  "-j", 2, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert "required seat-h" in result.output
    override = yaml.safe_load((out / "staffing-override.yaml").read_text())
    assert override["horizon_hours"] == 12 and override["extends"].endswith("gansu-baseline.yaml")
    rerun = run_scenario(prepare(out / "staffing-override.yaml", replications=5, seed=987654),
                         jobs=2, out_dir=tmp_path / "rerun")
    doc = json.loads((rerun.directory / "kpis.json").read_text())
    for line, level in targets.items():
        assert doc["lines"][line]["sl15"]["mean"] >= level, (line, doc["lines"][line]["sl15"])
