"""The built-in scenarios: each loads and runs; the earthquake's borrowing acceptance."""

from __future__ import annotations

import pytest

from sim.experiments.runner import prepare, run_scenario
from sim.experiments.variants import run_declared_variants
from sim.results.stats import KpiSummary
from sim.scenario import load_scenario
from sim.scenario.catalogue import builtin_scenarios

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
    run = run_scenario(prepare(name, ["horizon_hours=8", "replications=1"]), out_dir=tmp_path)
    assert run.kpis["overall"]["offered"]["mean"] > 0
    assert (tmp_path / "calls.csv.gz").stat().st_size > 0


@pytest.mark.slow
def test_jishishan_borrowing_raises_linxia_110_service_level_in_the_first_6_hours(tmp_path):
    # The scenario's own variants, on its first 24 hours (the 6-hour window starts at 23:59),
    # 10 replications with the same seed.
    common = ["horizon_hours=24", "replications=10"]
    on = run_scenario(prepare("jishishan-earthquake", common), jobs=2, out_dir=tmp_path / "on")
    off = run_declared_variants(prepare("jishishan-earthquake", [*common, "variants={"
                                        "no-borrowing: [borrowing.0.enabled=false, "
                                        "borrowing.1.enabled=false]}"]),
                                tmp_path / "on", jobs=2)["no-borrowing"]
    with_b = on.kpis["windows"]["first-6h"]["622900/110"]["sl15"]
    without = off.kpis["windows"]["first-6h"]["622900/110"]["sl15"]
    assert with_b["mean"] > without["mean"]
    assert not KpiSummary.from_json(with_b).overlaps(KpiSummary.from_json(without)), (
        with_b, without)
    # No donor lends while it is below its own target: recomputed from the records, not from
    # the coordinator's own counters ...
    assert _loans_from_donors_below_target(tmp_path / "on", on.scenario) == []
    # ... and no donor's service level over the period falls below its target because of it.
    for key, kpi in on.kpis["borrowing"].items():
        if key.endswith(":lent_seat_hours") and kpi["mean"]:
            centre = key.split(":")[0]
            target = on.scenario.lines[centre.split("/")[1]].target
            sl = f"sl{target.seconds:g}"
            lender = on.kpis["centres"][centre][sl]["mean"]
            alone = off.kpis["centres"][centre][sl]["mean"]
            assert lender >= target.level or lender >= alone - 0.01, (centre, lender, alone)


def _loans_from_donors_below_target(run_dir, scenario) -> list[tuple]:
    """Loans whose donor, by its call records, was under its target over the coordinator's
    window at the moment of lending, or had callers waiting."""
    from collections import defaultdict

    from sim.results.records import read_calls

    loans = [r for r in read_calls(run_dir / "borrowing.csv.gz")
             if r["kind"] == "lend" and r["donor"] != "pool"]
    assert loans, "the scenario should borrow"
    donors = {r["donor"] for r in loans}
    legs = defaultdict(list)
    for r in read_calls(run_dir / "calls.csv.gz"):
        key = f"{r['region']}/{r['line']}"
        if key in donors and r["outcome"] != "bot":
            answered = float(r["answered"]) if r["answered"] else None
            left = answered if answered is not None else float(r["ended"])
            legs[(r["replication"], key)].append((float(r["arrival"]), answered, left))
    window = {b.line: b.window_minutes * 60.0 for b in scenario.borrowing}
    bad = []
    for loan in loans:
        t, donor = float(loan["t"]), loan["donor"]
        line = donor.split("/")[1]
        target = scenario.lines[line].target
        mine = legs[(loan["replication"], donor)]
        offered = sum(1 for a, _, _ in mine if t - window[line] < a <= t)
        in_target = sum(1 for a, ans, _ in mine if ans is not None
                        and t - window[line] < ans <= t and ans - a <= target.seconds)
        waiting = sum(1 for a, _, left in mine if a <= t < left)
        level = in_target / offered if offered else 1.0
        if level < target.level or waiting:
            bad.append((loan["replication"], t, donor, level, waiting))
    return bad
