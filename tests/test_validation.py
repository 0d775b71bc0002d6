"""The whole model against Erlang B, C and A: 99 % CIs over replications must contain the
closed-form values (seeds fixed in the scenario files before any result was seen)."""

from __future__ import annotations

import pytest

from sim.validation import CASES_FILE, load_cases, run_case

LEVEL, CASES = load_cases()


def test_the_cases_cover_three_parameter_sets_per_model_one_with_100_servers():
    import yaml
    by_model: dict[str, list[int]] = {}
    for case in CASES:
        raw = yaml.safe_load((CASES_FILE.parent / case["scenario"]).read_text())
        seats = raw["centres"]["620100/110"]["seats"]
        by_model.setdefault(case["model"], []).append(seats)
    assert LEVEL == 0.99
    for model, seats in by_model.items():
        assert len(seats) >= 3 and max(seats) >= 100, model
    kpis = {k for case in CASES for k in case["kpis"]}
    assert {"block_rate", "p_wait", "mean_wait", "abandon_rate", "sl20"} <= kpis


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c["scenario"].removesuffix(".yaml") for c in CASES])
def test_simulation_ci_contains_the_analytic_value(case):
    for check in run_case(case, LEVEL, jobs=2):
        assert check.inside, (
            f"{check.scenario} {check.kpi}: analytic {check.analytic:.6g} outside "
            f"[{check.low:.6g}, {check.high:.6g}] (sim mean {check.mean:.6g})")
