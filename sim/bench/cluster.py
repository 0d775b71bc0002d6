"""``hotline bench cluster``: replications per minute on a LocalCluster of 1 and of 2 workers.

The same replications (same scenario and seed, so the same work) run on a one-worker and then
a two-worker ``LocalCluster`` in the same invocation; the speed-up is the ratio of their wall
times, measured from submitting the first task to receiving the last summary (the cluster's
start-up, including the workers' imports, is timed apart, and so is the client writing the run
directory). The mean time per
replication on one worker is the figure to scale a cluster from (docs/cluster.md).

Two replications at once on a shared 2-core machine slow each other (caches, memory bandwidth,
a hypervisor's neighbours), and unequal replications leave a worker idle at the end, so the
same replications also run, in the same rounds, in a plain process pool of 1 and of 2 spawned
processes (no scheduler, results pickled back just the same): its speed-up is this machine's
ceiling for the cluster's, and their quotient is what the cluster itself costs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sim.experiments import cluster
from sim.experiments.cluster import ClusterSpec
from sim.scenario import Scenario

CLUSTER_TARGET = 1.8  # issue 16: 2 workers at least 1.8 × 1 worker on 2 cores


@dataclass(frozen=True)
class ClusterTiming:
    """Replications on a LocalCluster of ``workers`` processes."""

    workers: int
    replications: int
    startup: float
    seconds: float
    write: float  # the client writing the run directory from the summaries


def warm_worker() -> None:
    """Import what a replication runs, as a long-lived worker already has: a fresh
    ``LocalCluster`` per measurement would otherwise charge each worker's imports (about
    0.4 s) to its first replication, once for one worker but on both workers' first task."""
    import sim.experiments.replications  # noqa: F401  (the model and results come with it)


def time_cluster(scenario: Scenario, workers: int) -> ClusterTiming:
    """Run the scenario's replications on ``local:workers``; time start-up and the run."""
    import tempfile
    from pathlib import Path

    from sim.experiments.replications import run_replications
    from sim.experiments.runner import write_run

    t0 = time.perf_counter()
    cluster.configure(ClusterSpec(local_workers=workers))
    try:
        client = cluster.current().client
        client.wait_for_workers(workers)
        client.run(warm_worker)  # every worker, as a long-lived one is: start-up, timed apart
        t1 = time.perf_counter()
        summaries = run_replications(scenario)
        t2 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
            write_run(scenario, summaries, Path(tmp) / "run")  # as a run does, cluster still up
        t3 = time.perf_counter()
    finally:
        cluster.shutdown()
    return ClusterTiming(workers, scenario.replications, t1 - t0, t2 - t1, t3 - t2)


def time_pool(scenario: Scenario, processes: int) -> float:
    """Seconds for the scenario's replications in a plain pool of ``processes`` spawned and
    warmed processes, from submitting the first to receiving the last summary."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from sim.domain.streams import replication_seeds
    from sim.experiments.replications import run_one

    seqs = replication_seeds(scenario.seed, scenario.replications)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=spawn, initializer=warm_worker) as pool:
        seen: set[int] = set()
        for _ in range(20):  # until every process has taken a task: all started and warm
            seen |= set(pool.map(_warm_process_task, range(processes)))
            if len(seen) == processes:
                break
        t0 = time.perf_counter()
        futures = [pool.submit(run_one, scenario, seq, i) for i, seq in enumerate(seqs)]
        for future in futures:
            future.result()
        return time.perf_counter() - t0


def _warm_process_task(_: int) -> int:
    import os

    time.sleep(0.2)  # long enough that an idle process of the pool takes the next one
    return os.getpid()


def _total(runs: list[ClusterTiming]) -> ClusterTiming:
    return ClusterTiming(runs[0].workers, sum(r.replications for r in runs),
                         sum(r.startup for r in runs), sum(r.seconds for r in runs),
                         sum(r.write for r in runs))


def bench_cluster(scn: Scenario, rounds: int = 2) -> tuple[list[ClusterTiming], str]:
    """Time 1 and 2 workers on the loaded scenario's replications, alternating for ``rounds``
    rounds (so a change of load on a shared machine hits both); return the totals and the
    report."""
    import os

    replications = scn.replications
    load = os.getloadavg()[0]
    runs, pools = [], []
    for _ in range(rounds):
        runs.append([time_cluster(scn, 1), time_cluster(scn, 2)])
        pools.append([time_pool(scn, 1), time_pool(scn, 2)])
    timings = [_total([r[0] for r in runs]), _total([r[1] for r in runs])]
    one, two = timings
    speedup = one.seconds / two.seconds
    pool_one, pool_two = sum(p[0] for p in pools), sum(p[1] for p in pools)
    ceiling = pool_one / pool_two
    lines = [f"{scn.name}: {replications} replications of {scn.horizon_hours:g} h per run, "
             f"{rounds} alternating rounds, LocalCluster (threads_per_worker=1); load average "
             f"{load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
             f"{'workers':<9}{'start-up s':>11}{'run s':>9}{'s/replication':>15}"
             f"{'client write s':>16}"]
    lines += [f"{t.workers:<9}{t.startup:>11.1f}{t.seconds:>9.1f}"
              f"{t.seconds * t.workers / t.replications:>15.1f}{t.write:>16.1f}"
              for t in timings]
    lines.append(f"speed-up 2 workers / 1 worker: {speedup:.2f} (target ≥ {CLUSTER_TARGET:g} "
                 f"on 2 cores: {'met' if speedup >= CLUSTER_TARGET else 'MISSED'}); by round: "
                 + ", ".join(f"{a.seconds / b.seconds:.2f}" for a, b in runs))
    lines.append(f"the machine's ceiling, a plain pool of 1 and of 2 processes on the same "
                 f"replications: {pool_one:.1f} s vs {pool_two:.1f} s, "
                 f"speed-up {ceiling:.2f} (by round: "
                 + ", ".join(f"{a / b:.2f}" for a, b in pools)
                 + f"); the cluster reaches {speedup / ceiling:.0%} of it")
    return timings, "\n".join(lines)
