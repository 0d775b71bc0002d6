"""``hotline validate``: the model against Erlang B, C and A and open Jackson networks.

Each case in ``scenarios/validation/cases.yaml`` names a stationary scenario, the closed form
it must reproduce, and its run length (replications × horizon). The run lengths are computed,
not guessed: ``python -m sim.experiments.validation_plan`` runs an independent pilot of each case and
sizes it so every bounded KPI reaches 0.85 × its relative half-width bound (``bounds``: 3 %
for probabilities, 6 % for the mean wait, at the file's ``level``, 99 %). When the planned run
still misses a bound (the pilot's spread is itself uncertain), a second stage adds the
replications the first stage's spread asks for, at most doubling the run (Stein's two-stage
procedure); seeds stay fixed, so the suite is deterministic.

Estimates. Single-centre cases use two control variates whose expectations the scenario fixes
exactly: the number of calls offered in the window (λT) and the mean talk time of answered
calls (the line's mean talk). They leave a third or less of the variance of the waiting
KPIs (``python -m sim.experiments.validation_plan`` prints the fraction per KPI). The controls' means come from the scenario that was simulated, so a model with wrong
inputs (``wrong_model``) is still judged against the right closed form. Network cases use the
plain mean over replications.

Verdict. With m checks in the suite, each one passes when the analytic value lies inside its
interval at level 1 − (1 − level)/m (Bonferroni), so a correct model passes the whole suite
with probability at least ``level``; the printed half-width is the one at ``level`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.domain.errors import InputError
from sim.domain.lines import HOUR
from sim.domain.paths import SCENARIOS_DIR
from sim.experiments.replications import ReplicationSummary, run_batch, run_one
from sim.experiments.validation_network import jackson_values
from sim.model.calls import ANSWERED
from sim.queueing import erlang
from sim.results.stats import Estimate, control_variate_ci, mean_ci, replications_needed
from sim.scenario import Scenario, load_scenario

CASES_FILE = SCENARIOS_DIR / "validation" / "cases.yaml"
MODELS = ("erlang_b", "erlang_c", "erlang_a", "jackson")
SECOND_STAGE_MARGIN = 0.95


@dataclass(frozen=True)
class Case:
    """One validation case: scenario file, closed form, KPIs to check and run length."""

    scenario: str
    model: str
    kpis: tuple[str, ...]
    replications: int
    horizon_hours: float


@dataclass(frozen=True)
class Suite:
    """The cases of a validation file with its confidence level and half-width bounds."""

    level: float
    bounds: dict[str, float]
    cases: tuple[Case, ...]
    directory: Path
    checks_total: int = field(default=0)

    @property
    def verdict_level(self) -> float:
        """Per-check level that keeps the family-wise level (Bonferroni)."""
        return 1 - (1 - self.level) / max(1, self.checks_total)


@dataclass(frozen=True)
class Check:
    """One KPI of one case: estimate, interval at the suite level, verdict interval, bound."""

    scenario: str
    model: str
    kpi: str
    estimate: Estimate
    verdict: Estimate
    analytic: float
    bound: float | None

    @property
    def mean(self) -> float:
        """The simulated estimate."""
        return self.estimate.value

    @property
    def low(self) -> float:
        """Lower end of the interval at the suite's level."""
        return self.estimate.low

    @property
    def high(self) -> float:
        """Upper end of the interval at the suite's level."""
        return self.estimate.high

    @property
    def relative_half_width(self) -> float:
        """Half-width at the suite's level relative to the analytic value."""
        return self.estimate.half_width / abs(self.analytic)

    @property
    def inside(self) -> bool:
        """Whether the analytic value lies inside the verdict (family-wise) interval."""
        return self.verdict.low <= self.analytic <= self.verdict.high

    @property
    def precise(self) -> bool:
        """Whether the relative half-width meets the bound (no bound: always)."""
        return self.bound is None or self.relative_half_width <= self.bound

    @property
    def passed(self) -> bool:
        """Inside its interval and precise enough."""
        return self.inside and self.precise


def require_closed_form(scenario: Scenario, model: str) -> None:
    """Refuse a validation scenario that breaks the assumptions of its closed form (an input
    error naming the key), so a violated assumption is never scored as a model failure."""
    def need(ok: bool, key: str, expected: str) -> None:
        if not ok:
            raise InputError(f"the {model} closed form needs {expected}", source=scenario.name,
                             key=key)
    for key in ("disasters", "outages", "borrowing", "kpi_windows"):
        need(not getattr(scenario, key), key, "none")
    need(not scenario.incidents, "incidents", "none")
    need(scenario.bot is None or not scenario.bot.enabled, "bot", "no bot")
    need(scenario.merge is None, "merge", "no merge")
    for name, line in scenario.lines.items():
        need(line.wrapup.dist == "deterministic" and line.wrapup.mean == 0,
             f"lines.{name}.wrapup", "no wrap-up")
        need(line.redial.after_abandon == 0 and line.redial.after_blocked == 0,
             f"lines.{name}.redial", "no redials")
        need(line.hour_profile is None and line.day_profile is None
             and line.busyness_variance == 0, f"lines.{name}.hour_profile",
             "stationary Poisson arrivals (no profiles, no busyness factor)")
    for key, centre in scenario.centres.items():
        line = scenario.lines[key.partition("/")[2]]
        talk = centre.talk or line.talk
        patience = centre.patience or line.patience
        need(centre.wrapup is None or centre.wrapup.mean == 0, f"centres.{key}.wrapup",
             "no wrap-up")
        need(not centre.arrival_times, f"centres.{key}.arrival_times", "Poisson arrivals")
        if model == "erlang_b":  # insensitive to the talk law; every seat has a trunk
            need(centre.trunks == centre.seats.constant, f"centres.{key}.trunks",
                 "trunks = seats")
        elif model in ("erlang_c", "erlang_a"):
            need(talk.dist == "exponential", f"centres.{key}.talk", "exponential talk")
            need(centre.trunks is None, f"centres.{key}.trunks", "no trunk limit")
            want = "none" if model == "erlang_c" else "exponential"
            need(patience.dist == want, f"centres.{key}.patience", f"{want} patience")


def analytic_values(scenario: Scenario, model: str) -> dict[str, float]:
    """The closed-form KPIs of a case's scenario (rates per second, times in seconds)."""
    require_closed_form(scenario, model)
    if model == "jackson":
        return jackson_values(scenario)
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
    raise InputError(f"unknown model {model!r} (expected one of {', '.join(MODELS)})",
                     source=CASES_FILE, key="model")


def _case(raw: dict, i: int, path: Path) -> Case:
    key = f"cases[{i}]"
    missing = [k for k in ("scenario", "model", "kpis", "replications", "horizon_hours")
               if k not in raw]
    if missing:
        raise InputError(f"missing {', '.join(missing)}", source=path, key=key)
    if raw["model"] not in MODELS:
        raise InputError(f"unknown model {raw['model']!r} (expected one of {', '.join(MODELS)})",
                         source=path, key=f"{key}.model")
    return Case(raw["scenario"], raw["model"], tuple(raw["kpis"]), int(raw["replications"]),
                float(raw["horizon_hours"]))


def load_suite(path: Path = CASES_FILE) -> Suite:
    """The validation file: level, bounds and cases (run lengths included)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = tuple(_case(c, i, path) for i, c in enumerate(raw["cases"]))
    suite = Suite(float(raw.get("level", 0.99)), dict(raw.get("bounds", {})), cases, path.parent)
    total = sum(len(check_names(c, suite)) for c in cases)
    return Suite(suite.level, suite.bounds, cases, path.parent, total)


def load_cases(path: Path = CASES_FILE) -> tuple[float, list[Case]]:
    """The confidence level and the cases of a validation file."""
    suite = load_suite(path)
    return suite.level, list(suite.cases)


def case_scenario(case: Case, suite: Suite, overrides: Iterable[str] = (),
                  replications: int | None = None, seed_offset: int = 0) -> Scenario:
    """The case's scenario at its run length, with optional ``--set`` overrides."""
    base = load_scenario(suite.directory / case.scenario)
    sets = [f"replications={replications or case.replications}",
            f"horizon_hours={case.horizon_hours}", f"seed={base.seed + seed_offset}",
            *overrides]
    return load_scenario(suite.directory / case.scenario, sets)


def check_names(case: Case, suite: Suite) -> list[str]:
    """The KPI names a case checks (network cases: one per centre and KPI)."""
    if case.model != "jackson":
        return list(case.kpis)
    centres = load_scenario(suite.directory / case.scenario).centres
    return [f"{key}:{kpi}" for key in centres for kpi in case.kpis]


def kpi_values(summaries: list[ReplicationSummary], name: str) -> list[float]:
    """A checked KPI's value per replication (``CENTRE:kpi`` for a centre's)."""
    centre, _, kpi = name.rpartition(":")
    if centre:
        return [s.kpis.centres[centre][kpi] for s in summaries]
    return [s.kpis.overall[kpi] for s in summaries]


def _controls(scenario: Scenario, summaries: list[ReplicationSummary]
              ) -> tuple[list[list[float]], list[float]]:
    """Offered calls and mean talk of answered calls per replication, and their known means."""
    (key, centre), = scenario.centres.items()
    window = (scenario.horizon_hours - scenario.warmup_hours) * 3600.0
    offered = [s.kpis.overall["offered"] for s in summaries]
    talk = [s.mean_talk for s in summaries]
    mean_talk = (centre.talk or scenario.lines[key.partition("/")[2]].talk).mean
    return [offered, talk], [centre.calls_per_day / 86400.0 * window, mean_talk]


def replication_with_talk(scenario: Scenario, seq, index: int, audit: bool = False,
                          keep: tuple[str, ...] = (),
                          on_hour: Callable[[int, int], None] | None = None,
                          ) -> ReplicationSummary:
    """One replication, summarised as usual, plus the mean talk time of the answered legs
    arriving in the KPI window (``mean_talk``, the second control variate). ``on_hour`` is
    accepted for the process pool's sake and not used."""
    summary = run_one(scenario, seq, index, audit,  # validation writes no record files
                      keep=tuple(dict.fromkeys((*keep, *_TALK_COLUMNS))), files=False)
    cols = summary.columns
    arrival = cols["arrival"]
    sel = ((arrival >= scenario.warmup_hours * HOUR) & (arrival < scenario.horizon)
           & (cols["outcome"] == ANSWERED))
    talk = cols["talk_end"][sel] - cols["answered"][sel]
    summary.mean_talk = float(talk.mean()) if len(talk) else float("nan")
    summary.columns = {name: cols[name] for name in keep}
    return summary


_TALK_COLUMNS = ("arrival", "outcome", "answered", "talk_end")


def estimate(case: Case, scenario: Scenario, summaries: list[ReplicationSummary], name: str,
             level: float) -> Estimate:
    """The case's estimator of one KPI at ``level``."""
    values = kpi_values(summaries, name)
    if case.model == "jackson":
        mean, low, high = mean_ci(values, level)
        return Estimate(mean, low, high, len(values))
    controls, means = _controls(scenario, summaries)
    return control_variate_ci(values, controls, means, level)


def run_case(case: Case, suite: Suite, jobs: int = 1, overrides: Iterable[str] = (),
             stop_at_miss: bool = False,
             on_done: Callable[[ReplicationSummary], None] | None = None) -> list[Check]:
    """Run one case (optionally a wrong model through ``overrides``); one ``Check`` per KPI.

    The analytic values always come from the case's own scenario, without the overrides.
    ``on_done`` is called as each replication completes.
    """
    analytic = analytic_values(case_scenario(case, suite), case.model)
    scenario = case_scenario(case, suite, overrides)
    summaries = run_batch(scenario, 0, scenario.replications, jobs, on_done,
                          worker=replication_with_talk)
    checks = _checks(case, suite, scenario, summaries, analytic, stop_at_miss)
    more = _second_stage(case, suite, checks, len(summaries))
    if more:
        summaries += run_batch(scenario, len(summaries), len(summaries) + more, jobs, on_done,
                               worker=replication_with_talk)
        checks = _checks(case, suite, scenario, summaries, analytic, stop_at_miss)
    return checks


def _second_stage(case: Case, suite: Suite, checks: list[Check], n: int) -> int:
    """Replications to add when the planned run missed a half-width bound (Stein's second
    stage: the count the first stage's own spread asks for, at most as many again)."""
    extra_df = 0 if case.model == "jackson" else 2
    need = n
    for c in checks:
        if not c.precise:
            target = SECOND_STAGE_MARGIN * c.bound * abs(c.analytic)
            need = max(need, replications_needed(c.estimate, target, suite.level, extra_df))
    return min(need, 2 * n) - n


def _checks(case: Case, suite: Suite, scenario: Scenario, summaries: list[ReplicationSummary],
            analytic: dict[str, float], stop_at_miss: bool) -> list[Check]:
    checks = []
    for name in check_names(case, suite):
        kpi = name.rpartition(":")[2]
        checks.append(Check(scenario.name, case.model, name,
                            estimate(case, scenario, summaries, name, suite.level),
                            estimate(case, scenario, summaries, name, suite.verdict_level),
                            analytic[name], suite.bounds.get(kpi)))
        if stop_at_miss and not checks[-1].inside:
            break
    return checks


def validate(jobs: int = 1, on_check: Callable[[Check], None] | None = None,
             path: Path = CASES_FILE,
             on_done: Callable[[ReplicationSummary], None] | None = None) -> list[Check]:
    """Run every case; return all checks (the caller decides the exit code)."""
    suite = load_suite(path)
    checks: list[Check] = []
    for case in suite.cases:
        for check in run_case(case, suite, jobs, on_done=on_done):
            checks.append(check)
            if on_check:
                on_check(check)
    return checks


def planned_replications(path: Path = CASES_FILE) -> int:
    """Replications the planned runs of every case add up to (the progress bar's total; a
    second stage may add some)."""
    return sum(case.replications for case in load_suite(path).cases)


HEADER = (f"{'case':<10} {'model':<8} {'KPI':<22} {'simulated':>10} {'99 % CI':>23} "
          f"{'±rel':>6} {'bound':>5}  {'analytic':>10}  verdict")


def format_check(check: Check) -> str:
    """One line of the validation table: estimate, CI, relative half-width vs bound, verdict."""
    verdict = "inside" if check.inside else "MISS"
    bound = f"{check.bound:.0%}" if check.bound is not None else "-"
    flag = "" if check.precise else " (too wide)"
    return (f"{check.scenario:<10} {check.model:<8} {check.kpi:<22} {check.mean:>10.5f} "
            f"[{check.low:>10.5f}, {check.high:>10.5f}] {check.relative_half_width:>6.2%} "
            f"{bound:>5}  {check.analytic:>10.5f}  {verdict}{flag}")


def summary_line(checks: list[Check]) -> str:
    """The closing line: how many checks are inside their interval and precise enough."""
    inside = sum(c.inside for c in checks)
    precise = sum(c.precise for c in checks)
    return (f"{inside} of {len(checks)} analytic values inside their interval (family-wise "
            f"99 %); {precise} of {len(checks)} within their half-width bound.")
