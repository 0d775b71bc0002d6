"""Run length by precision: replications are added until every named half-width is met.

``--precision KPI=HALFWIDTH`` names a KPI of ``kpis.json`` and the largest 95 % half-width
wanted for it, in the KPI's own unit (a fraction for rates: 0.01 = 1 percentage point):

    sl15=0.01                   the whole network's service level within 15 s, ±1 point
    110:sl15=0.01               line 110
    622900:abandon_rate=0.01    region 622900 (Linxia)
    622900/110:abandon_rate=0.005   the centre 622900/110

The run starts with the scenario's replications, then adds batches. Each batch is sized from
the spread seen so far (the count that would meet the widest target, never fewer than
``MIN_BATCH``), so the replication count, and with it every output byte, depends only on the
scenario and seed, not on ``--jobs``. Replication ``i`` always has the same seed, so a run that
stopped at n replications is byte for byte the run of ``-r n``.

The warnings for thin runs (fewer than 5 replications, target KPIs wider than ±5 points) are
``sim.report.tables.sparse_warnings``, printed by every ``hotline run``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sim.domain.errors import InputError
from sim.experiments.replications import ReplicationSummary, run_batch, sl_thresholds
from sim.results.kpis import kpi_names
from sim.results.stats import Estimate, kpi_estimate, replications_needed
from sim.scenario import Scenario

LEVEL = 0.95
MIN_BATCH = 2


@dataclass(frozen=True)
class PrecisionTarget:
    """One ``--precision`` item: where (``group``/``name``), which KPI, the half-width wanted."""

    text: str
    group: str  # "overall", "lines", "regions" or "centres"
    name: str
    kpi: str
    half_width: float

    def groups(self, summaries: Sequence[ReplicationSummary]) -> list[dict[str, float]]:
        """The KPI dict of the target's line, region, centre or the whole run, per replication."""
        return [s.kpis.scope(self.group, self.name) for s in summaries]


@dataclass(frozen=True)
class PrecisionOutcome:
    """How a precision run ended: the final estimates, the batches run, and whether all met."""

    targets: tuple[PrecisionTarget, ...]
    estimates: tuple[Estimate, ...]
    batches: tuple[int, ...]
    max_replications: int

    @property
    def met(self) -> tuple[bool, ...]:
        """Per target, whether its half-width is met."""
        return tuple(_met(e, t) for e, t in zip(self.estimates, self.targets, strict=True))

    def describe(self) -> str:
        """One line per target, headed by whether the run met them all or hit the cap."""
        n = sum(self.batches)
        head = (f"precision: every target met after {n} replications" if all(self.met) else
                f"precision: NOT met after {n} replications (--max-replications "
                f"{self.max_replications}); unmet targets marked ✗")
        rows = [f"  {t.text:<34} ±{e.half_width:.4g} {'✓' if ok else '✗'} (mean {e.value:.4g})"
                for t, e, ok in zip(self.targets, self.estimates, self.met, strict=True)]
        return "\n".join([head, *rows])


def _met(est: Estimate, target: PrecisionTarget) -> bool:
    return not math.isnan(est.half_width) and est.half_width <= target.half_width


def parse_target(text: str, scenario: Scenario) -> PrecisionTarget:
    """Parse ``[SCOPE:]KPI=HALFWIDTH`` against the scenario's lines, regions, centres and KPIs."""
    where, eq, width = text.rpartition("=")
    if not eq or not where:
        raise InputError("expected KPI=HALFWIDTH, e.g. 110:sl15=0.01", source="--precision",
                         key=text)
    try:
        half = float(width)
    except ValueError:
        half = math.nan
    if not half > 0 or math.isinf(half):
        raise InputError(f"half-width {width!r} must be a positive number", source="--precision",
                         key=text)
    scope, _, kpi = where.rpartition(":")
    names = kpi_names(sl_thresholds(scenario))
    if kpi not in names:
        raise InputError(f"unknown KPI {kpi!r} (expected one of {', '.join(names)})",
                         source="--precision", key=text)
    group, name = _scope(scope, scenario, text)
    return PrecisionTarget(text, group, name, kpi, half)


def _scope(scope: str, scenario: Scenario, text: str) -> tuple[str, str]:
    if not scope:
        return "overall", "all"
    regions = sorted({key.partition("/")[0] for key in scenario.centres})
    if "/" in scope:
        if scope in scenario.centres:
            return "centres", scope
        raise InputError(f"unknown centre {scope!r} (the scenario has "
                         f"{', '.join(sorted(scenario.centres)[:6])}...)", source="--precision",
                         key=text)
    lines = sorted({key.partition("/")[2] for key in scenario.centres})
    if scope in lines:
        return "lines", scope
    if scope in regions:
        return "regions", scope
    raise InputError(f"unknown line or region {scope!r} (lines: {', '.join(lines)}; regions: "
                     f"{', '.join(regions)})", source="--precision", key=text)


def parse_targets(texts: Iterable[str], scenario: Scenario) -> tuple[PrecisionTarget, ...]:
    """Every ``--precision`` item, validated before any replication runs."""
    return tuple(parse_target(t, scenario) for t in texts)


def estimates(targets: Sequence[PrecisionTarget], summaries: Sequence[ReplicationSummary]
              ) -> tuple[Estimate, ...]:
    """The 95 % estimate of each target's KPI over the replications so far."""
    return tuple(kpi_estimate(t.kpi, t.groups(summaries), LEVEL) for t in targets)


def next_batch(targets: Sequence[PrecisionTarget], ests: Sequence[Estimate], n: int,
               cap: int) -> int:
    """Replications to add: enough, on the spread so far, for the widest unmet target.

    At most doubling the count: a spread seen on a few replications is itself uncertain, so
    the run grows geometrically towards the projection rather than jumping to it.
    """
    need = n + MIN_BATCH
    for t, e in zip(targets, ests, strict=True):
        if not _met(e, t) and not math.isnan(e.half_width) and e.half_width > 0:
            need = max(need, replications_needed(e, t.half_width, LEVEL))
    return max(0, min(cap, need, 2 * n + MIN_BATCH) - n)


def run_to_precision(scenario: Scenario, targets: Sequence[PrecisionTarget],
                     max_replications: int, jobs: int = 1,
                     on_done: Callable[[ReplicationSummary], None] | None = None,
                     audit: bool = False,
                     ) -> tuple[list[ReplicationSummary], PrecisionOutcome]:
    """Run batches until every target's half-width is met or ``max_replications`` is reached."""
    first = min(max(scenario.replications, MIN_BATCH), max_replications)
    summaries = run_batch(scenario, 0, first, jobs, on_done, audit)
    batches = [first]
    ests = estimates(targets, summaries)
    while not all(_met(e, t) for e, t in zip(ests, targets, strict=True)):
        add = next_batch(targets, ests, len(summaries), max_replications)
        if add == 0:
            break
        summaries += run_batch(scenario, len(summaries), len(summaries) + add, jobs, on_done,
                               audit)
        batches.append(add)
        ests = estimates(targets, summaries)
    return summaries, PrecisionOutcome(tuple(targets), ests, tuple(batches), max_replications)
