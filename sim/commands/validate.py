"""``hotline validate``: the model against Erlang B, C, A and open Jackson networks."""

from __future__ import annotations

import sys

import click

from sim.commands.options import jobs_option, quiet_option, with_cluster

__all__ = ["validate"]


@with_cluster
@click.command()
@jobs_option()
@quiet_option()
def validate(jobs, quiet) -> None:
    """Check the model against Erlang B, C, A and open Jackson networks; exit 1 on a miss.

    Prints each KPI's simulated estimate with its 99 % CI, the relative half-width against
    its bound, and the analytic value (scenarios/validation/cases.yaml; docs/erlang.md).
    """
    from sim.experiments.progress import progress_bar
    from sim.experiments.validation import HEADER, format_check, planned_replications, summary_line
    from sim.experiments.validation import validate as run_validation

    click.echo(HEADER)
    with progress_bar(planned_replications(), "validate", quiet) as (bar, rep):
        checks = run_validation(jobs=jobs,
                                on_check=lambda c: bar.write(format_check(c)),
                                on_done=lambda s: rep.done(s.index))
    click.echo(summary_line(checks))
    sys.exit(0 if all(c.passed for c in checks) else 1)
