"""The built-in scenarios: each loads and runs; the earthquake's borrowing acceptance."""

from __future__ import annotations

import pytest

from sim.catalogue import builtin_scenarios
from sim.runner import run_scenario
from sim.scenario import load_scenario
from sim.variants import overlap, run_variants

NAMES = [name for name, _ in builtin_scenarios() if not name.startswith("validation/")]


@pytest.mark.parametrize("name", NAMES)
def test_builtin_scenario_loads_with_a_header_comment(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    from sim.scenario import resolve_path
    head = resolve_path(name).read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("#") and len(head) > 30, "say what question the scenario answers"


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n != "gansu-baseline"])
def test_builtin_scenario_runs_a_short_replication(name, tmp_path):
    run = run_scenario(name, ["horizon_hours=8", "replications=1"], out_dir=tmp_path)
    assert run.kpis["overall"]["offered"]["mean"] > 0
    assert (tmp_path / "calls.csv.gz").stat().st_size > 0


@pytest.mark.slow
def test_jishishan_borrowing_raises_linxia_110_service_level_in_the_first_6_hours(tmp_path):
    # The scenario's own variants, on its first 24 hours (the 6-hour window starts at 23:59),
    # 10 replications with the same seed.
    common = ["horizon_hours=24", "replications=10"]
    on = run_scenario("jishishan-earthquake", common, jobs=2, out_dir=tmp_path / "on")
    off = run_variants("jishishan-earthquake", [*common, "variants={no-borrowing: "
                       "[borrowing.0.enabled=false, borrowing.1.enabled=false]}"],
                       tmp_path / "on", jobs=2)["no-borrowing"]
    with_b = on.kpis["windows"]["first-6h"]["622900/110"]["sl15"]
    without = off.kpis["windows"]["first-6h"]["622900/110"]["sl15"]
    assert with_b["mean"] > without["mean"]
    assert not overlap(with_b, without), (with_b, without)
    # No donor lends while it is below its own target ...
    assert on.kpis["borrowing"]["lent_below_target"]["mean"] == 0
    # ... and no donor's service level over the period falls below its target because of it.
    for key, kpi in on.kpis["borrowing"].items():
        if key.endswith(":lent_seat_hours") and kpi["mean"]:
            centre = key.split(":")[0]
            target = on.scenario.lines[centre.split("/")[1]].target
            sl = f"sl{target.seconds:g}"
            lender = on.kpis["centres"][centre][sl]["mean"]
            alone = off.kpis["centres"][centre][sl]["mean"]
            assert lender >= target.level or lender >= alone - 0.01, (centre, lender, alone)
