"""``hotline validate``: the model against Erlang B, C and A.

Each case in ``scenarios/validation/cases.yaml`` names a single-centre stationary scenario and
the closed form it must reproduce. The simulated KPI's mean over independent replications (the
warm-up discarded) gets a Student-t confidence interval at the cases' level (99 %); the case
passes when the analytic value lies inside it. Seeds are fixed in the scenario files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from sim import erlang
from sim.errors import InputError
from sim.paths import SCENARIOS_DIR
from sim.replications import run_replications
from sim.scenario import Scenario, load_scenario
from sim.stats import mean_ci

CASES_FILE = SCENARIOS_DIR / "validation" / "cases.yaml"


@dataclass(frozen=True)
class Check:
    """One KPI of one case: simulated mean and CI, the analytic value, and the verdict."""

    scenario: str
    model: str
    kpi: str
    mean: float
    low: float
    high: float
    analytic: float

    @property
    def inside(self) -> bool:
        """Whether the analytic value lies inside the confidence interval."""
        return self.low <= self.analytic <= self.high


def analytic_values(scenario: Scenario, model: str) -> dict[str, float]:
    """The closed-form KPIs of a single-centre scenario (rates per second, times in seconds)."""
    (key, centre), = scenario.centres.items()
    line = scenario.lines[key.partition("/")[2]]
    n = centre.seats.constant
    if n is None:
        raise InputError("validation needs constant seats", source=scenario.name, key="seats")
    rate = centre.calls_per_day / 86400.0
    talk = line.talk.mean
    if model == "erlang_b":
        return {"block_rate": erlang.erlang_b(n, rate * talk)}
    if model == "erlang_c":
        c = erlang.erlang_c(n, rate, talk)
        return {"p_wait": c.p_wait, "mean_wait": c.mean_wait, **{
            f"sl{t:g}": c.service_level(t) for t in scenario.service_level_seconds}}
    if model == "erlang_a":
        a = erlang.erlang_a(n, rate, talk, line.patience.mean)
        return {"p_wait": a.p_wait, "abandon_rate": a.p_abandon, "mean_wait": a.mean_wait, **{
            f"sl{t:g}": a.p_answered_within(t) for t in scenario.service_level_seconds}}
    raise InputError(f"unknown model {model!r} (expected erlang_b, erlang_c or erlang_a)",
                     source=CASES_FILE, key="model")


def load_cases(path: Path = CASES_FILE) -> tuple[float, list[dict]]:
    """The confidence level and the cases of a validation file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return float(raw.get("level", 0.99)), list(raw["cases"])


def run_case(case: dict, level: float, jobs: int = 1,
             directory: Path = CASES_FILE.parent, **follow) -> list[Check]:
    """Run one validation case; one ``Check`` per KPI it names. ``follow`` holds the
    ``on_done``/``on_progress`` callbacks of ``run_replications``."""
    scenario = load_scenario(directory / case["scenario"])
    analytic = analytic_values(scenario, case["model"])
    summaries = run_replications(scenario, jobs=jobs, **follow)
    checks = []
    for kpi in case["kpis"]:
        mean, lo, hi = mean_ci([s.kpis["overall"][kpi] for s in summaries], level)
        checks.append(Check(scenario.name, case["model"], kpi, mean, lo, hi, analytic[kpi]))
    return checks


def validate(jobs: int = 1, on_check: Callable[[Check], None] | None = None,
             path: Path = CASES_FILE, **follow) -> list[Check]:
    """Run every case; return all checks (the caller decides the exit code). ``follow`` holds
    the ``on_done``/``on_progress`` callbacks of ``run_replications``."""
    level, cases = load_cases(path)
    checks: list[Check] = []
    for case in cases:
        for check in run_case(case, level, jobs, path.parent, **follow):
            checks.append(check)
            if on_check:
                on_check(check)
    return checks


def planned_replications(path: Path = CASES_FILE) -> int:
    """Replications that ``validate`` will run over every case (the progress bar's total)."""
    _, cases = load_cases(path)
    return sum(load_scenario(path.parent / case["scenario"]).replications for case in cases)


def format_check(check: Check) -> str:
    """One line of the validation table."""
    verdict = "inside" if check.inside else "MISS"
    return (f"{check.scenario:<10} {check.model:<9} {check.kpi:<13} sim {check.mean:>10.5f} "
            f"[{check.low:>10.5f}, {check.high:>10.5f}]  analytic {check.analytic:>10.5f}  {verdict}")
