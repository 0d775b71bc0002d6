"""Replications: each one seeded from the scenario seed, run locally, in worker processes or on
a Dask cluster.

A worker runs the model, then reduces its records to what the run directory needs (KPIs, time
series, the compressed CSV rows), so only small results cross the process boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from sim.domain.streams import replication_seeds
from sim.experiments.pool import run_in_pool
from sim.experiments.progress import SIMULATE_SHARE, replication_hours
from sim.model.network import Network, ReplicationResult, simulate
from sim.results.flows import flow_kpis, format_orders_csv, order_kpis
from sim.results.kpis import overtime_seconds, replication_kpis, staffed_seconds
from sim.results.records import Names, format_calls_csv, gzip_bytes, to_columns
from sim.results.seats import borrowing_kpis, lending_below_target, seat_steps, seat_timelines
from sim.results.timeseries import replication_series
from sim.scenario.schema import Scenario


@dataclass
class ReplicationSummary:
    """What one replication contributes to a run directory."""

    index: int
    kpis: dict[str, dict]
    series: np.ndarray
    calls_gz: bytes
    calls: int
    extra: dict = field(default_factory=dict)
    violations: list = field(default_factory=list)  # the auditor's findings (audited runs)


def sl_thresholds(scenario: Scenario) -> tuple[float, ...]:
    """Service-level thresholds to report: the scenario's list plus every line's target."""
    targets = {line.target.seconds for line in scenario.lines.values()}
    return tuple(sorted(set(scenario.service_level_seconds) | targets))


def summarise_replication(result: ReplicationResult, net: Network, scenario: Scenario,
                          ) -> ReplicationSummary:
    """Reduce one replication's records to KPIs, series and compressed CSV rows."""
    cols = to_columns(result.records)
    summary = summarise_records(result, net, scenario, cols)
    add_record_files(summary, result, net, scenario, cols)
    return summary


def summarise_records(result: ReplicationResult, net: Network, scenario: Scenario,
                      cols: dict) -> ReplicationSummary:
    """KPIs, time series and model-extension sections of one replication (no files yet)."""
    lo, hi = scenario.warmup_hours * 3600.0, scenario.horizon
    hours = len(net.plans[0].seats_by_hour) if net.plans else 0
    events = result.extra.get("seat_events", [])
    own, borrowed = seat_timelines(events, net.plans, hours)
    steps = seat_steps(events, net.plans)
    cols["seat_centre"] = np.asarray(net.serving, dtype=np.int64)[cols["centre"]]
    staffed = np.array([0.0 if net.serving[p.index] != p.index  # merged: no seats of its own
                        else staffed_seconds(own[p.index] + borrowed[p.index], lo, hi)
                        + overtime_seconds(cols, p.index, *steps[p.index], lo, hi)
                        for p in net.plans])
    scn = scenario.model_copy(update={"service_level_seconds": sl_thresholds(scenario)})
    kpis = replication_kpis(cols, net.plans, scn, staffed)
    series = replication_series(cols, net.plans, scenario, own, borrowed,
                                result.extra.get("orders", ()))
    extra: dict = {"sections": {}, "files": {}, "windows": window_kpis(cols, net, scn)}
    if scenario.linkage is not None:
        window = (cols["arrival"] >= lo) & (cols["arrival"] < hi)
        extra["sections"]["flows"] = flow_kpis(cols, net.plans, net.table, net.line_names, window)
        extra["sections"]["flows"]["deflected"] = result.extra["deflected"]
        extra["sections"]["orders"] = order_kpis(result.extra["orders"], lo, hi,
                                                 hi + scenario.drain_hours * 3600.0)
    if scenario.borrowing:
        extra["sections"]["borrowing"] = borrowing_kpis(events, net.plans, hours)
        extra["sections"]["borrowing"]["lent_below_target"] = lending_below_target(events,
                                                                                   net.plans)
    if result.extra.get("rerouted") or scenario.outages:
        extra["sections"]["outages"] = {f"{net.plans[c].key}:rerouted": n
                                        for c, n in result.extra["rerouted"].items()}
    if result.extra.get("bot"):
        extra["sections"]["bot"] = dict(result.extra["bot"])
    return ReplicationSummary(result.index, kpis, series, b"", len(result.records), extra)


def add_record_files(summary: ReplicationSummary, result: ReplicationResult, net: Network,
                     scenario: Scenario, cols: dict) -> None:
    """Format and compress the replication's records (calls, orders, seat events) into
    ``summary``: one gzip member per file, concatenated by the run's writer."""
    names = Names(centre_regions=[p.region for p in net.plans],
                  centre_lines=[p.line for p in net.plans],
                  categories=net.category_codes, lines=net.line_names)
    summary.calls_gz = gzip_bytes(format_calls_csv(cols, result.index, names))
    files = summary.extra["files"]
    if scenario.linkage is not None:
        files["orders.csv.gz"] = [gzip_bytes(format_orders_csv(result.extra["orders"],
                                                               result.index))]
    if scenario.borrowing:
        files["borrowing.csv.gz"] = [gzip_bytes(format_seat_events(
            result.extra.get("seat_events", []), net.plans, result.index))]


def window_kpis(cols: dict, net: Network, scenario: Scenario) -> dict[str, dict[str, dict]]:
    """KPIs per centre over each of the scenario's ``kpi_windows``."""
    out: dict[str, dict[str, dict]] = {}
    for window in scenario.kpi_windows:
        sub = scenario.model_copy(update={"warmup_hours": window.start_hours,
                                          "horizon_hours": window.end_hours})
        staffed = np.zeros(len(net.plans))
        out[window.name] = replication_kpis(cols, net.plans, sub, staffed)["centres"]
    return out


def format_seat_events(events, plans, replication: int) -> str:
    """Rows of ``borrowing.csv.gz``: every lend, arrival and release of remote seats."""
    rows = []
    for e in events:
        donor = plans[e.donor].key if e.donor >= 0 else "pool"
        rows.append(f"{replication},{e.t:.3f},{e.kind},{plans[e.recipient].key},{donor},"
                    f"{e.seats},{_num(e.donor_sl)},{_num(e.recipient_sl)}")
    return "\n".join(rows) + ("\n" if rows else "")


def _num(x: float) -> str:
    return "" if x != x else f"{x:.4f}"


def run_one(scenario: Scenario, seq: np.random.SeedSequence, index: int,
            audit: bool = False, on_hour: Callable[[int, int], None] | None = None,
            ) -> ReplicationSummary:
    """Run and summarise replication ``index``: the pure unit of work of a worker process or a
    cluster task. ``audit`` checks the model's invariants (``ReplicationSummary.violations``);
    ``on_hour(index, hour)`` follows the simulated clock hour by hour."""
    net = Network(scenario, seq, audit=audit)
    if on_hour is not None:
        net.on_hour = partial(on_hour, index)
    result = simulate(scenario, seq, index, network=net)
    if on_hour is not None:  # the clock has reached the end; summarising follows
        on_hour(index, replication_hours(scenario))
    summary = summarise_replication(result, net, scenario)
    summary.violations = result.violations
    return summary


def run_replications(scenario: Scenario, jobs: int = 1,
                     on_done: Callable[[ReplicationSummary], None] | None = None,
                     on_progress: Callable[[int, float], None] | None = None,
                     audit: bool = False) -> list[ReplicationSummary]:
    """Run every replication of the scenario; results in index order, whatever ran where.

    The one entry point of every command that runs replications: on the cluster set by
    ``sim.experiments.cluster.configure`` (``--cluster``) if any, else in ``jobs`` local processes (in
    this process for ``jobs`` ≤ 1). ``on_done`` is called as each replication completes (in
    completion order), ``on_progress(index, fraction)`` as a local replication's simulated
    clock passes each hour (``fraction`` of its simulated hours done). ``audit`` checks the
    model's invariants in every replication.
    """
    from sim.experiments import cluster

    on_hour = None
    if on_progress is not None:
        hours = replication_hours(scenario)

        def on_hour(index: int, hour: int) -> None:
            on_progress(index, SIMULATE_SHARE * min(1.0, hour / hours))

    seqs = replication_seeds(scenario.seed, scenario.replications)
    tasks = [(scenario, seq, i, audit) for i, seq in enumerate(seqs)]
    results: list[ReplicationSummary | None] = [None] * len(tasks)

    def done(i: int, summary: ReplicationSummary) -> None:
        results[i] = summary
        if on_done:
            on_done(summary)

    session = cluster.current()
    if session is not None:
        session.map_replications(scenario, run_one, tasks, done)
    elif jobs <= 1 or len(tasks) == 1:
        for task in tasks:
            done(task[2], run_one(*task, on_hour=on_hour))
    else:
        run_in_pool(run_one, tasks, min(jobs, len(tasks)), done, on_hour)
    return results  # type: ignore[return-value]
