"""Replications: each one seeded from the scenario seed, run in parallel worker processes.

A worker runs the model, then reduces its records to what the run directory needs (KPIs, time
series, the compressed CSV rows), so only small results cross the process boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from sim.kpis import overtime_seconds, replication_kpis, staffed_seconds
from sim.linkage.flows import flow_kpis, format_orders_csv, order_kpis
from sim.network import Network, ReplicationResult, simulate
from sim.records import Names, format_calls_csv, gzip_bytes, to_columns
from sim.scenario.schema import Scenario
from sim.seats import borrowing_kpis, lending_below_target, seat_steps, seat_timelines
from sim.streams import replication_seeds
from sim.timeseries import replication_series


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
    """Reduce one replication's records to KPIs, series and CSV rows."""
    cols = to_columns(result.records)
    lo, hi = scenario.warmup_hours * 3600.0, scenario.horizon
    hours = len(net.plans[0].seats_by_hour) if net.plans else 0
    events = result.extra.get("seat_events", [])
    own, borrowed = seat_timelines(events, net.plans, hours)
    steps = seat_steps(events, net.plans)
    staffed = np.array([staffed_seconds(own[p.index] + borrowed[p.index], lo, hi)
                        + overtime_seconds(cols, p.index, *steps[p.index], lo, hi)
                        for p in net.plans])
    scn = scenario.model_copy(update={"service_level_seconds": sl_thresholds(scenario)})
    kpis = replication_kpis(cols, net.plans, scn, staffed)
    series = replication_series(cols, net.plans, scenario, own, borrowed,
                                result.extra.get("orders", ()))
    names = Names(centre_regions=[p.region for p in net.plans],
                  centre_lines=[p.line for p in net.plans],
                  categories=net.category_codes, lines=net.line_names)
    text = format_calls_csv(cols, result.index, names)
    extra: dict = {"sections": {}, "files": {}, "windows": window_kpis(cols, net, scn)}
    if scenario.linkage is not None:
        window = (cols["arrival"] >= lo) & (cols["arrival"] < hi)
        orders = result.extra["orders"]
        extra["sections"]["flows"] = flow_kpis(cols, net.plans, net.table, net.line_names, window)
        extra["sections"]["flows"]["deflected"] = result.extra["deflected"]
        extra["sections"]["orders"] = order_kpis(orders, lo, hi)
        extra["files"]["orders.csv.gz"] = [gzip_bytes(format_orders_csv(orders, result.index))]
    if scenario.borrowing:
        extra["sections"]["borrowing"] = borrowing_kpis(events, net.plans, hours)
        extra["sections"]["borrowing"]["lent_below_target"] = lending_below_target(events,
                                                                                   net.plans)
        extra["files"]["borrowing.csv.gz"] = [gzip_bytes(format_seat_events(
            events, net.plans, result.index))]
    if result.extra.get("rerouted") or scenario.outages:
        extra["sections"]["outages"] = {f"{net.plans[c].key}:rerouted": n
                                        for c, n in result.extra["rerouted"].items()}
    if result.extra.get("bot"):
        extra["sections"]["bot"] = dict(result.extra["bot"])
    return ReplicationSummary(result.index, kpis, series, gzip_bytes(text), len(result.records),
                              extra)


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
            audit: bool = False) -> ReplicationSummary:
    """Run and summarise replication ``index`` (the unit of work of a worker process);
    ``audit`` checks the model's invariants (``ReplicationSummary.violations``)."""
    net = Network(scenario, seq, audit=audit)
    result = simulate(scenario, seq, index, network=net)
    summary = summarise_replication(result, net, scenario)
    summary.violations = result.violations
    return summary


def run_replications(scenario: Scenario, jobs: int = 1,
                     on_done: Callable[[ReplicationSummary], None] | None = None,
                     audit: bool = False) -> list[ReplicationSummary]:
    """Run every replication of the scenario (``jobs`` processes); results in index order."""
    seqs = replication_seeds(scenario.seed, scenario.replications)
    results: list[ReplicationSummary] = []
    if jobs <= 1 or scenario.replications == 1:
        for i, seq in enumerate(seqs):
            results.append(run_one(scenario, seq, i, audit))
            if on_done:
                on_done(results[-1])
        return results
    with ProcessPoolExecutor(max_workers=min(jobs, scenario.replications)) as pool:
        futures = [pool.submit(run_one, scenario, seq, i, audit) for i, seq in enumerate(seqs)]
        for future in futures:
            results.append(future.result())
            if on_done:
                on_done(results[-1])
    return results
