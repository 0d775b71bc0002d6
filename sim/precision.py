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

``sparse_warnings`` flags any run with fewer than ``MIN_REPLICATIONS`` replications or with a
reported rate whose half-width exceeds ``WIDE_POINTS`` points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from sim.errors import InputError
from sim.kpis import kpi_names
from sim.replications import ReplicationSummary, run_one, sl_thresholds
from sim.scenario import Scenario
from sim.stats import Estimate, kpi_estimate, replications_needed
from sim.streams import replication_seeds

LEVEL = 0.95
MIN_BATCH = 2
MIN_REPLICATIONS = 5
WIDE_POINTS = 0.05
RATE_KPIS = ("abandon_rate", "block_rate", "unfinished_rate", "not_joined_rate",
             "human_answer_rate", "bot_rate", "occupancy", "p_wait")
GROUPS = {"lines": "line", "regions": "region", "centres": "centre"}


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
        if self.group == "overall":
            return [s.kpis["overall"] for s in summaries]
        return [s.kpis[self.group][self.name] for s in summaries]


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


def run_batch(scenario: Scenario, start: int, stop: int, jobs: int,
              on_done: Callable[[ReplicationSummary], None] | None = None,
              audit: bool = False, worker: Callable[..., ReplicationSummary] = run_one,
              ) -> list[ReplicationSummary]:
    """Replications ``start``..``stop - 1`` (their seeds do not depend on the total count).

    ``worker(scenario, seed_sequence, index, audit)`` runs one replication (a module-level
    function, so worker processes can import it).
    """
    seqs = replication_seeds(scenario.seed, stop)[start:stop]
    indices = range(start, stop)
    if jobs <= 1 or len(seqs) == 1:
        results = []
        for seq, i in zip(seqs, indices, strict=True):
            results.append(worker(scenario, seq, i, audit))
            if on_done:
                on_done(results[-1])
        return results
    with ProcessPoolExecutor(max_workers=min(jobs, len(seqs))) as pool:
        futures = [pool.submit(worker, scenario, seq, i, audit)
                   for seq, i in zip(seqs, indices, strict=True)]
        results = [f.result() for f in futures]
    for r in results:
        if on_done:
            on_done(r)
    return results


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


def _rate_kpis(names: Iterable[str]) -> list[str]:
    return [k for k in names if k in RATE_KPIS or (k.startswith("sl") and k[2:3].isdigit())]


def sparse_warnings(kpis: dict) -> list[str]:
    """Warnings for a thin run: few replications, or reported rates wider than 5 points."""
    out = []
    n = kpis["replications"]
    if n < MIN_REPLICATIONS:
        names = ", ".join(_rate_kpis(kpis["overall"]))
        out.append(f"warning: only {n} replication(s) (< {MIN_REPLICATIONS}): the intervals of "
                   f"{names} (and of every other KPI) are unreliable; use -r "
                   f"{MIN_REPLICATIONS} or more, or --precision")
    wide = []
    groups = [("all", kpis["overall"])] + list(kpis.get("lines", {}).items())
    for name, group in groups:
        for kpi in _rate_kpis(group):
            lo, hi = group[kpi]["ci95"]
            if lo is not None and hi is not None and (hi - lo) / 2 > WIDE_POINTS:
                wide.append(f"{name}:{kpi} ±{(hi - lo) / 2 * 100:.1f}")
    if wide:
        out.append(f"warning: half-widths over {WIDE_POINTS * 100:g} points (95 %): "
                   + ", ".join(wide) + "; add replications (-r or --precision)")
    return out
