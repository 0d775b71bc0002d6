"""``hotline bench model``: one replication of the whole model, against the Erlang-A fast path.

One replication of the baseline week (every mechanism the scenario switches on: linkage,
orders, borrowing, bot, redials) runs in a fresh process on one core, so its peak memory is its
own; the time is split into simulating, summarising (KPIs, time series, sections) and writing
(formatting and compressing the records, writing the run directory). The single-centre
Erlang-A model of ``hotline bench core`` then runs in the same invocation, and the ratio of
legs per second (whole replication) to callers per second (fast path) says how much more a leg
of the whole model costs than a caller of the core.
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario import Scenario

MODEL_TARGETS = {"ratio": 0.35, "summarise_write_share": 0.20, "peak_mb": 300.0}  # issue 16
REFERENCE = "gansu-baseline"
"""The targets are for this scenario as shipped (the baseline week): no verdicts otherwise."""


@dataclass(frozen=True)
class ModelTimings:
    """One replication of the whole model: legs, seconds per phase, peak resident memory."""

    scenario: str
    legs: int
    simulate: float
    summarise: float
    write: float
    peak_mb: float

    @property
    def total(self) -> float:
        """Wall time of the whole replication (simulate + summarise + write)."""
        return self.simulate + self.summarise + self.write

    @property
    def rate(self) -> float:
        """Call legs per second of the whole replication."""
        return self.legs / self.total


def time_replication(scenario: Scenario) -> ModelTimings:
    """Run replication 0 of the loaded scenario in this process, timing each phase."""
    from sim.domain.streams import replication_seeds
    from sim.experiments.replications import add_record_files, layout, summarise_records
    from sim.experiments.runner import write_run
    from sim.model.network import Network, simulate
    from sim.results.order_table import order_columns
    from sim.results.records import to_columns

    seq = replication_seeds(scenario.seed, 1)[0]
    t0 = time.perf_counter()
    net = Network(scenario, seq)
    result = simulate(scenario, seq, 0, network=net)
    t1 = time.perf_counter()
    cols, orders = to_columns(result.records), order_columns(result.orders)
    shape = layout(net)
    summary = summarise_records(result, shape, scenario, cols, orders)
    t2 = time.perf_counter()
    add_record_files(summary, result, shape, scenario, cols, orders)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        write_run(scenario, [summary], Path(tmp) / "run")
    t3 = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    peak_mb = peak_kb / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return ModelTimings(scenario.name, len(result.records), t1 - t0, t2 - t1, t3 - t2, peak_mb)


def one_replication(scenario: Scenario) -> Scenario:
    """The scenario with ``replications=1`` (the one replication the benchmark runs)."""
    from sim.scenario import with_overrides

    return scenario if scenario.replications == 1 else with_overrides(scenario, replications=1)


def is_reference(scenario: Scenario) -> bool:
    """Whether the loaded ``scenario`` (with one replication) is the baseline week as shipped."""
    from sim.experiments.runner import prepare

    return one_replication(scenario) == prepare(REFERENCE, (), replications=1)


def bench_model(scenario: Scenario, callers: int = 250_000) -> tuple[ModelTimings, float, str]:
    """Time one replication of the loaded ``scenario`` (in a fresh process) and the fast path;
    return both and the report."""
    from sim.bench.core import run_hotline

    scenario = one_replication(scenario)
    reference = is_reference(scenario)
    spawn = multiprocessing.get_context("spawn")
    before = run_hotline(callers)  # the fast path before and after, to average out drift
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        model = pool.submit(time_replication, scenario).result()
    after = run_hotline(callers)
    rate = (before.callers + after.callers) / (before.seconds + after.seconds)
    return model, rate, format_model(model, rate, before.callers, reference)


def format_model(m: ModelTimings, fast_rate: float, fast_callers: int,
                 reference: bool = True) -> str:
    """The printed report of ``hotline bench model``; the targets' verdicts only when the
    scenario is the ``reference`` one (the baseline week as shipped)."""
    ratio = m.rate / fast_rate
    share = (m.summarise + m.write) / m.total
    t = MODEL_TARGETS

    def verdict(ok: bool) -> str:
        if not reference:
            return ""
        return ": met" if ok else ": MISSED"

    import os

    return "\n".join([
        f"{m.scenario}: one replication, {m.legs:,} call legs, one core (load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
        f"{'phase':<12}{'seconds':>9}{'share':>8}",
        *(f"{name:<12}{sec:>9.2f}{sec / m.total:>8.1%}" for name, sec in
          (("simulate", m.simulate), ("summarise", m.summarise), ("write", m.write))),
        f"{'total':<12}{m.total:>9.2f}",
        f"whole model: {m.rate:,.0f} legs/s; Erlang-A fast path: {fast_rate:,.0f} callers/s "
        f"({fast_callers:,} callers, before and after, same invocation)",
        f"ratio whole model / fast path: {ratio:.3f} (target ≥ {t['ratio']}"
        f"{verdict(ratio >= t['ratio'])})",
        f"summarise + write: {share:.1%} of the replication (target ≤ "
        f"{t['summarise_write_share']:.0%}{verdict(share <= t['summarise_write_share'])})",
        f"peak memory (resident, the replication's process): {m.peak_mb:,.0f} MB (target ≤ "
        f"{t['peak_mb']:.0f} MB{verdict(m.peak_mb <= t['peak_mb'])})",
        *([] if reference else ["no verdicts for this configuration (targets apply to the "
                                f"baseline week, {REFERENCE} as shipped)"]),
    ])
