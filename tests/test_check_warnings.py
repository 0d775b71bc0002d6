"""`hotline check` and `run` warn on inputs whose effects cross lines and say what disaster
blocks reach; the earthquake's incidents are scoped to the affected regions."""

from __future__ import annotations

import numpy as np

from sim.experiments.check import input_warnings
from sim.scenario import load_scenario


def test_trunks_below_seats_and_minimum_above_peak_are_warned(cli):
    result = cli("check", "gansu-baseline", "--set", "centres.622900/110.trunks=1",
                 "--set", "centres.622900/119.seats.minimum=3")
    assert result.exit_code == 0, result.output
    assert "warning: 622900/110: trunks 1 < 4 seats" in result.output
    assert "warning: 622900/119: seats minimum 3 > peak 1" in result.output
    plain = cli("check", "gansu-baseline").output
    assert "trunks" not in plain.split("centres have hours")[1]


def test_overload_and_reach_notes():
    scn = load_scenario("gansu-baseline", ["centres.620100/110.seats.peak=1",
                                           "centres.620100/110.seats.minimum=1"])
    notes = input_warnings(scn)
    assert any("offered load ≥ seats" in n and "620100/110" in n for n in notes)
    flood = load_scenario("flood", ["incidents.119.regions=null"])
    notes = input_warnings(flood)
    assert any(n.startswith("incidents of 119 reach every region") for n in notes)
    assert any(n.startswith("disaster 'Longnan flood' reaches") for n in notes)


def test_run_prints_the_warnings_before_running(cli, write_scenario, tmp_path):
    from tests.report.conftest import STATIONARY

    path = write_scenario({**STATIONARY, "replications": 2, "horizon_hours": 2,
                           "centres": {"620100/110": {"calls_per_day": 12960, "seats": 10,
                                                      "trunks": 4}}})
    result = cli("run", path, "--out", tmp_path / "r", "-q", "--no-report")
    assert "warning: 620100/110: trunks 4 < 10 seats" in result.output


def test_earthquake_incidents_happen_only_in_the_affected_regions():
    from sim.model.incidents import incident_calls
    from sim.scenario.plan import build_plans
    scn = load_scenario("jishishan-earthquake")
    assert set(scn.incidents["119"].regions) == set(scn.disasters[0].regions)
    codes = {"F-FIRE": 0, "F-RESCUE": 1, "M-EMERGENCY": 2}
    plans = {p.key: p for p in build_plans(scn)}
    counts = {k: len(incident_calls(plans[k], scn, codes, np.random.default_rng(1), 0)[0])
              for k in ("622900/119", "620900/119", "620900/120")}
    assert counts["622900/119"] > 0  # Linxia: the epicentre
    assert counts["620900/119"] == counts["620900/120"] == 0  # Jiuquan, 600 km away
