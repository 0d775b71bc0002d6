"""``hotline bench core|model|cluster``: benchmarks of the simulator (not tests); ratios
against a baseline measured in the same run. The load tester's ``bench replay`` and ``bench
server`` are added to this group by the top ``cli.py``."""

from __future__ import annotations

import click

from sim.commands.options import load, replications_option, set_option

__all__ = ["bench"]


@click.group()
def bench() -> None:
    """Benchmarks (not tests): ratios against a baseline measured in the same run."""


@bench.command("core")
@click.option("--callers", type=click.IntRange(min=1000), default=1_000_000, show_default=True,
              help="Callers per implementation.")
@click.option("--rounds", type=click.IntRange(min=1), default=5, show_default=True,
              help="Interleaved rounds (each implementation runs callers/rounds per round).")
def bench_core_cmd(callers, rounds) -> None:
    """hotline-sim vs idiomatic SimPy vs a bare heapq loop, Erlang-A model (n=50, λ=45/min).

    Prints callers/s of each, their accuracy against Erlang A, and the ratios (target: ≥ 6 ×
    SimPy). Example: hotline bench core --callers 200000
    """
    from sim.bench.core import bench_core

    _, report = bench_core(callers, rounds)
    click.echo(report)
    click.echo(f"reproduce: hotline bench core --callers {callers} --rounds {rounds}")


@bench.command("model")
@click.argument("scenario", required=False, default="gansu-baseline")
@set_option()
@click.option("--callers", type=click.IntRange(min=1000), default=250_000, show_default=True,
              help="Callers of the Erlang-A fast path measured beside it.")
def bench_model_cmd(scenario, overrides, callers) -> None:
    """One replication of SCENARIO (default: the baseline week) on one core.

    Prints legs/s of the whole replication and of the Erlang-A fast path, their ratio, the
    split simulate / summarise / write and the peak memory. Example: hotline bench model
    """
    from sim.bench.model import bench_model

    _, _, report = bench_model(load(scenario, overrides, replications=1), callers)
    click.echo(report)
    sets = "".join(f" --set {o}" for o in overrides)
    click.echo(f"reproduce: hotline bench model {scenario}{sets} --callers {callers}")


@bench.command("cluster")
@click.argument("scenario", required=False, default="gansu-baseline")
@set_option()
@replications_option("Replications per run (each round runs them on 1, then on 2 workers).",
                     minimum=2, default=2)
@click.option("--rounds", type=click.IntRange(min=1), default=2, show_default=True,
              help="Alternating rounds of 1 and 2 workers.")
def bench_cluster_cmd(scenario, overrides, replications, rounds) -> None:
    """Replications of SCENARIO on a LocalCluster of 1 and of 2 workers (needs '.[cluster]').

    Prints start-up and run time of each, seconds per replication and the speed-up (target
    ≥ 1.8 on 2 cores). Example: hotline bench cluster -r 2 --rounds 2
    """
    from sim.bench.cluster import bench_cluster

    _, report = bench_cluster(load(scenario, overrides, replications=replications), rounds)
    click.echo(report)
    sets = "".join(f" --set {o}" for o in overrides)
    click.echo(f"reproduce: hotline bench cluster {scenario}{sets} -r {replications} "
               f"--rounds {rounds}")
