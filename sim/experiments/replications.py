"""Replications: each one seeded from the scenario seed, run locally, in worker processes or on
a Dask cluster.

A worker runs the model, then reduces its records to what the run directory needs (KPIs, time
series, the compressed CSV rows), so only small results cross the process boundary.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial

import numpy as np

from sim.domain.streams import replication_seeds
from sim.experiments.pool import run_in_pool
from sim.experiments.progress import SIMULATE_SHARE, replication_hours
from sim.model.network import Network, simulate
from sim.results.order_table import order_columns
from sim.results.records import to_columns
from sim.results.summary import (
    Layout,
    ReplicationSummary,
    add_record_files,
    format_seat_events,
    sl_thresholds,
    summarise_records,
    summarise_replication,
    window_kpis,
)
from sim.scenario.schema import Scenario

__all__ = ["ReplicationSummary", "add_record_files", "format_seat_events", "layout",
           "run_batch", "run_one", "run_replications", "sl_thresholds", "summarise_records",
           "summarise_replication", "window_kpis"]  # the summarising part: sim.results.summary


def layout(net: Network) -> Layout:
    """The plain description of ``net`` that summarising needs."""
    return Layout(plans=net.plans, serving=list(net.serving), table=net.table,
                  line_names=net.line_names, category_codes=net.category_codes)


def run_one(scenario: Scenario, seq: np.random.SeedSequence, index: int,
            audit: bool = False, keep: tuple[str, ...] = (),
            on_hour: Callable[[int, int], None] | None = None, *,
            files: bool = True) -> ReplicationSummary:
    """Run and summarise replication ``index``: the pure unit of work of a worker process or a
    cluster task. ``audit`` checks the model's invariants (``ReplicationSummary.violations``);
    ``keep`` names record columns to return in ``ReplicationSummary.columns``;
    ``on_hour(index, hour)`` follows the simulated clock hour by hour; ``files=False`` skips
    formatting and compressing the record files (for callers that write no run directory:
    ``calls_gz`` stays empty).

    The replication's network is a web of reference cycles (centres, their event loop,
    bound-method timers), which only a full collection frees and numpy's allocations never
    trigger one: without the ``gc.collect()`` after each replication a worker or a ``-j 1``
    run would grow by the network's memory (~80 MB for the baseline week) per replication. A
    collection scans the whole process, so it is made only after a replication large enough
    (``COLLECT_AFTER_LEGS``) for its network to matter; smaller ones leave it to Python's own."""
    summary, legs = _run_one(scenario, seq, index, audit, keep, on_hour, files)
    if legs >= COLLECT_AFTER_LEGS:
        gc.collect()
    return summary


COLLECT_AFTER_LEGS = 50_000
"""A replication of at least this many call legs (a network of some 15 MB or more) is collected
after; the baseline week has about 250,000."""


def _run_one(scenario: Scenario, seq: np.random.SeedSequence, index: int, audit: bool,
             keep: tuple[str, ...], on_hour: Callable[[int, int], None] | None,
             files: bool) -> tuple[ReplicationSummary, int]:
    net = Network(scenario, seq, audit=audit)
    if on_hour is not None:
        net.on_hour = partial(on_hour, index)
    result = simulate(scenario, seq, index, network=net)
    if on_hour is not None:  # the clock has reached the end; summarising follows
        on_hour(index, replication_hours(scenario))
    cols, orders, shape = to_columns(result.records), order_columns(result.orders), layout(net)
    summary = summarise_records(result, shape, scenario, cols, orders)
    if files:
        add_record_files(summary, result, shape, scenario, cols, orders)
    summary.columns = {name: cols[name] for name in keep}
    summary.violations = result.violations
    return summary, len(result.records)


def run_replications(scenario: Scenario, jobs: int = 1,
                     on_done: Callable[[ReplicationSummary], None] | None = None,
                     on_progress: Callable[[int, float], None] | None = None,
                     audit: bool = False, keep: tuple[str, ...] = ()
                     ) -> list[ReplicationSummary]:
    """Run every replication of the scenario; results in index order, whatever ran where.

    The one entry point of every command that runs replications: on the cluster set by
    ``sim.experiments.cluster.configure`` (``--cluster``) if any, else in ``jobs`` local processes (in
    this process for ``jobs`` ≤ 1). ``on_done`` is called as each replication completes (in
    completion order), ``on_progress(index, fraction)`` as a local replication's simulated
    clock passes each hour (``fraction`` of its simulated hours done). ``audit`` checks the
    model's invariants in every replication; ``keep`` names record columns each summary keeps.
    """
    on_hour = None
    if on_progress is not None:
        hours = replication_hours(scenario)

        def on_hour(index: int, hour: int) -> None:
            on_progress(index, SIMULATE_SHARE * min(1.0, hour / hours))

    return run_batch(scenario, 0, scenario.replications, jobs, on_done, audit, keep=keep,
                     on_hour=on_hour)


def run_batch(scenario: Scenario, start: int, stop: int, jobs: int,
              on_done: Callable[[ReplicationSummary], None] | None = None,
              audit: bool = False, worker: Callable[..., ReplicationSummary] | None = None, *,
              keep: tuple[str, ...] = (), on_hour: Callable[[int, int], None] | None = None,
              ) -> list[ReplicationSummary]:
    """Replications ``start``..``stop - 1`` (their seeds do not depend on the total count),
    on the configured cluster if any, else in ``jobs`` local processes; in index order.

    ``worker(scenario, seed_sequence, index, audit, keep, on_hour=None)`` runs one replication
    (a module-level function, so worker processes can import it); ``on_hour`` follows local
    replications' simulated clocks. ``worker`` defaults to :func:`run_one`, looked up when
    called (so a test can replace it).
    """
    from sim.experiments import cluster

    worker = worker or run_one

    seqs = replication_seeds(scenario.seed, stop)[start:stop]
    tasks = [(scenario, seq, i, audit, keep)
             for i, seq in zip(range(start, stop), seqs, strict=True)]
    results: list[ReplicationSummary | None] = [None] * len(tasks)

    def done(index: int, summary: ReplicationSummary) -> None:
        results[index - start] = summary
        if on_done:
            on_done(summary)

    session = cluster.current()
    if session is not None:
        session.map_replications(scenario, worker, tasks, lambda k, s: done(start + k, s))
    elif jobs <= 1 or len(tasks) == 1:
        for task in tasks:
            done(task[2], worker(*task, on_hour=on_hour))
    else:
        run_in_pool(worker, tasks, min(jobs, len(tasks)), lambda k, s: done(start + k, s),
                    on_hour)
    return results  # type: ignore[return-value]
