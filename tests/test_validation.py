"""The whole model against closed forms: Erlang B, C, A and open Jackson networks.

Each case's 99 % interval must contain the analytic value (family-wise, Bonferroni over the
suite) and be narrow enough (3 % of the value for probabilities, 6 % for the mean wait); a
deliberately wrong model must fail. Seeds are fixed in the scenario files before any result
was seen; run lengths come from ``python -m sim.experiments.validation_plan``.
"""

from __future__ import annotations

import pytest

from sim.domain.errors import InputError
from sim.experiments.validation import CASES_FILE, case_scenario, load_suite, run_case
from sim.experiments.validation_network import jackson_values, total_rates
from sim.experiments.validation_plan import WRONG_MODELS, wrong_model
from sim.scenario import load_scenario

SUITE = load_suite()
SINGLE = [c for c in SUITE.cases if c.model != "jackson"]


def _calls_simulated(case) -> float:
    """A case's cost: the calls its planned run simulates (replications × hours × rate)."""
    (centre,) = load_scenario(CASES_FILE.parent / case.scenario).centres.values()
    return case.replications * case.horizon_hours * centre.calls_per_day


# The power test stops at the first miss, so it tries the cheapest cases first (the verdict,
# "the suite misses at least one check", does not depend on the order).
CHEAPEST_FIRST = sorted(SINGLE, key=_calls_simulated)


def test_the_cases_cover_every_model_with_bounds_on_the_headline_kpis():
    by_model: dict[str, list[int]] = {}
    for case in SINGLE:
        (centre,) = load_scenario(CASES_FILE.parent / case.scenario).centres.values()
        by_model.setdefault(case.model, []).append(centre.seats.constant)
    assert SUITE.level == 0.99
    for model, seats in by_model.items():
        assert len(seats) >= 3 and max(seats) >= 100, model
    kpis = {k for case in SUITE.cases for k in case.kpis}
    assert {"block_rate", "p_wait", "mean_wait", "abandon_rate", "sl20"} <= kpis
    assert SUITE.bounds == {"block_rate": 0.03, "p_wait": 0.03, "abandon_rate": 0.03,
                            "mean_wait": 0.06}
    assert {c.scenario for c in SUITE.cases if c.model == "jackson"} == {
        "jackson-ff.yaml", "jackson-fb.yaml"}
    assert SUITE.verdict_level == pytest.approx(1 - 0.01 / SUITE.checks_total)


def test_traffic_equations_feed_forward():
    scn = load_scenario(CASES_FILE.parent / "jackson-ff.yaml")
    rates = {k: v * 60 for k, v in total_rates(scn).items()}
    assert rates == pytest.approx({"620100/110": 8.0, "620100/12345": 4 + 0.3 * 8})


def test_traffic_equations_with_feedback_by_hand():
    # Accuracy a = 0.85 at both lines, e = 0.15, at most 3 transfers. A call that starts at
    # its owner visits the owner 1 + e·a times and the other line e + e·a·e times; one that
    # starts at the wrong line visits the owner a + a·e·a times and the first line 1 + a·e.
    a, e = 0.85, 0.15
    stay_own, stray_other = 1 + e * a, e + e * a * e
    wrong_first, wrong_owner = 1 + a * e, a + a * e * a
    lam_110 = 7 * 0.6 * stay_own + 7 * 0.4 * wrong_first + 5 * 0.8 * stray_other \
        + 5 * 0.2 * wrong_owner
    lam_12345 = 7 * 0.6 * stray_other + 7 * 0.4 * wrong_owner + 5 * 0.8 * stay_own \
        + 5 * 0.2 * wrong_first
    scn = load_scenario(CASES_FILE.parent / "jackson-fb.yaml")
    rates = {k: v * 60 for k, v in total_rates(scn).items()}
    assert rates == pytest.approx({"620100/110": lam_110, "620100/12345": lam_12345})


@pytest.mark.parametrize("override, key", [
    ("linkage.transfer_priority=true", "linkage.transfer_priority"),
    ("linkage.transfer_talk_factor=0.6", "linkage.transfer_talk_factor"),
    ("lines.110.patience={dist: exponential, mean: 60}", "lines.110.patience"),
])
def test_jackson_refuses_a_network_without_product_form(override, key):
    scn = load_scenario(CASES_FILE.parent / "jackson-fb.yaml", [override])
    with pytest.raises(InputError, match="Jackson validation network needs") as err:
        jackson_values(scn)
    assert err.value.key == key


@pytest.mark.slow
@pytest.mark.parametrize("case", SUITE.cases, ids=[c.scenario.removesuffix(".yaml")
                                                   for c in SUITE.cases])
def test_every_case_is_inside_its_interval_and_precise_enough(case):
    for check in run_case(case, SUITE, jobs=2):
        assert check.inside, (
            f"{check.scenario} {check.kpi}: analytic {check.analytic:.6g} outside "
            f"[{check.verdict.low:.6g}, {check.verdict.high:.6g}] (sim {check.mean:.6g})")
        assert check.precise, (
            f"{check.scenario} {check.kpi}: ±{check.relative_half_width:.2%} > {check.bound:.0%}")


@pytest.mark.slow
@pytest.mark.parametrize("kind", WRONG_MODELS)
def test_the_suite_fails_a_deliberately_wrong_model(kind):
    """Power: the suite, run case by case on the wrong model, misses at least one check.

    Cases the change does not touch (patience where nobody abandons) are skipped; the run
    stops at the first miss and the cheapest cases come first, so a powerful suite costs one
    or two small cases here.
    """
    for case in CHEAPEST_FIRST:
        overrides = wrong_model(case_scenario(case, SUITE), kind)
        if not overrides:
            continue
        if any(not c.inside for c in run_case(case, SUITE, jobs=2, overrides=overrides,
                                               stop_at_miss=True)):
            return
    pytest.fail(f"the validation suite passes a model with {kind}")


def test_a_case_without_its_run_length_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "cases.yaml"
    bad.write_text("level: 0.99\ncases:\n  - {scenario: mmc-12.yaml, model: erlang_c, "
                   "kpis: [p_wait]}\n")
    with pytest.raises(InputError, match="missing replications, horizon_hours") as err:
        load_suite(bad)
    assert err.value.key == "cases[0]"
    bad.write_text("cases:\n  - {scenario: x.yaml, model: erlang_z, kpis: [p_wait], "
                   "replications: 2, horizon_hours: 2}\n")
    with pytest.raises(InputError, match="unknown model 'erlang_z'"):
        load_suite(bad)


def test_the_table_prints_the_relative_half_width_and_flags_a_wide_one():
    from sim.experiments.validation import Check, format_check, summary_line
    from sim.results.stats import Estimate

    narrow = Check("mmc-12", "erlang_c", "p_wait", Estimate(0.45, 0.44, 0.46, 60),
                   Estimate(0.45, 0.435, 0.465, 60), 0.449, 0.03)
    wide = Check("mmc-12", "erlang_c", "mean_wait", Estimate(13.5, 12.5, 14.5, 60),
                 Estimate(13.5, 12.0, 15.0, 60), 13.48, 0.06)
    assert "2.23%" in format_check(narrow) and "inside" in format_check(narrow)
    assert narrow.passed and not wide.passed and wide.inside
    assert format_check(wide).endswith("inside (too wide)")
    assert summary_line([narrow, wide]).startswith("2 of 2 analytic values inside")
    assert "1 of 2 within their half-width bound" in summary_line([narrow, wide])


def test_the_plan_sizes_a_case_from_its_pilot_and_the_controls_help():
    from sim.experiments.validation import Case
    from sim.experiments.validation_plan import plan_case

    case = Case("mmc-12.yaml", "erlang_c", ("p_wait", "mean_wait", "sl20"), 10, 2.0)
    plan = plan_case(case, SUITE, jobs=1)
    assert set(plan.needed) == {"p_wait", "mean_wait"}  # sl20 has no bound
    # 2-hour replications are far noisier than the suite's 13-hour ones: many more needed.
    assert plan.needed["mean_wait"] > 60
    # Offered calls and mean talk explain much of the spread of the mean wait.
    assert 0 < plan.variance_kept["mean_wait"] < 0.9


@pytest.mark.parametrize("override, key", [
    ("lines.110.wrapup={dist: exponential, mean: 20}", "lines.110.wrapup"),
    ("lines.110.talk={dist: lognormal, mean: 60, cv: 0.5}", "centres.620100/110.talk"),
    ("lines.110.redial.after_abandon=0.5", "lines.110.redial"),
])
def test_a_broken_assumption_is_refused_not_scored(override, key):
    from sim.domain.errors import InputError
    from sim.experiments.validation import analytic_values
    from sim.scenario import load_scenario
    scenario = load_scenario("validation/mmc-12", [override])
    with pytest.raises(InputError) as info:
        analytic_values(scenario, "erlang_c")
    assert info.value.key == key
