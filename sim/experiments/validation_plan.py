"""Run lengths of the validation cases from pilot runs, and the suite on deliberately wrong models.

``python -m sim.experiments.validation_plan`` runs an independent pilot of every case (its own seed
stream: the scenario seed + ``PILOT_SEED_OFFSET``), estimates each bounded KPI's spread, and
prints the replications that bring its relative half-width to ``MARGIN`` × the bound at the
suite's level (the largest over the case's KPIs). The margin covers the pilot's own sampling
error: a 30-replication standard deviation is within ±25 % of the truth with 95 % confidence,
so the planned count may be up to 1/0.85² = 1.38 times too large, rarely too small.

``wrong_model`` gives the ``--set`` overrides of the power test's three wrong models.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from sim.experiments.precision import run_batch
from sim.experiments.validation import (
    Case,
    Suite,
    analytic_values,
    case_scenario,
    check_names,
    estimate,
    kpi_values,
    load_suite,
    replication_with_talk,
)
from sim.results.stats import Estimate, mean_ci, replications_needed, t_quantile
from sim.scenario import Scenario

PILOT_REPLICATIONS = 30
PILOT_SEED_OFFSET = 1000
MARGIN = 0.85
WRONG_MODELS = ("patience x1.1", "talk x1.05", "one seat fewer")


@dataclass(frozen=True)
class Plan:
    """A case's planned replications per bounded KPI, and the variance the controls kept."""

    needed: dict[str, int]
    variance_kept: dict[str, float]


def plan_case(case: Case, suite: Suite, jobs: int = 1) -> Plan:
    """Replications each bounded KPI of ``case`` needs, from an independent pilot."""
    analytic = analytic_values(case_scenario(case, suite), case.model)
    pilot = case_scenario(case, suite, replications=PILOT_REPLICATIONS,
                          seed_offset=PILOT_SEED_OFFSET)
    summaries = run_batch(pilot, 0, pilot.replications, jobs, worker=replication_with_talk)
    extra_df = 0 if case.model == "jackson" else 2
    needed, kept = {}, {}
    for name in check_names(case, suite):
        bound = suite.bounds.get(name.rpartition(":")[2])
        if bound is None:
            continue
        est = estimate(case, pilot, summaries, name, suite.level)
        needed[name] = replications_needed(est, MARGIN * bound * abs(analytic[name]),
                                           suite.level, extra_df=extra_df, minimum=10)
        kept[name] = _variance_kept(est, summaries, name, suite.level, extra_df)
    return Plan(needed, kept)


def _variance_kept(est: Estimate, summaries, name: str, level: float, extra_df: int) -> float:
    """Residual variance under the controls over the plain variance (1 without controls)."""
    _, low, high = mean_ci(kpi_values(summaries, name), level)
    n = est.n
    plain = (high - low) / 2 / t_quantile(level, n - 1)
    controlled = est.half_width / t_quantile(level, n - 1 - extra_df)
    return (controlled / plain) ** 2


def wrong_model(scenario: Scenario, kind: str) -> list[str]:
    """``--set`` overrides that make a single-centre scenario deliberately wrong."""
    (key, centre), = scenario.centres.items()
    line = key.partition("/")[2]
    spec = scenario.lines[line]
    if kind == "patience x1.1":
        if spec.patience.dist == "none":
            return []
        return [f"lines.{line}.patience.mean={spec.patience.mean * 1.1!r}"]
    if kind == "talk x1.05":
        return [f"lines.{line}.talk.mean={spec.talk.mean * 1.05!r}"]
    if kind == "one seat fewer":
        return [f"centres.{key}.seats={centre.seats.constant - 1}"]
    raise ValueError(f"unknown wrong model {kind!r} (expected one of {', '.join(WRONG_MODELS)})")


def main(argv: list[str]) -> int:
    """Print the planned replications of every case (``--jobs N`` for parallel pilots)."""
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 1
    suite = load_suite()
    for case in suite.cases:
        plan = plan_case(case, suite, jobs)
        worst = max(plan.needed.values(), default=10)
        detail = ", ".join(f"{k} {v} (variance kept {plan.variance_kept[k]:.2f})"
                           for k, v in plan.needed.items())
        print(f"{case.scenario:<16} horizon {case.horizon_hours:g} h: replications {worst:>4}"
              f"  ({detail})", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
