"""The ``hotline`` command: the group, and every command of ``sim`` and of ``loadtest``.

This module is the one place above both: the commands live in ``sim.commands`` (run, check,
scenarios, erlang, validate, bench, compare, sweep, staff, roster, report, drill) and in
``loadtest`` (trace, loadtest, serve, bench replay, bench server); ``sim`` never imports
``loadtest``. Exit codes: ``sim.commands.group``.
"""

from __future__ import annotations

import click

from sim.commands.group import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, HotlineGroup
from sim.commands.run import check, run, scenarios

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "HotlineGroup", "check", "main", "run",
           "scenarios"]


@click.group(cls=HotlineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hotline-sim")
def main() -> None:
    """hotline-sim: simulate and load-test linked 12345/110/119/120/122 hotlines."""


def _register() -> None:
    """Add every command (each imports its heavy modules lazily, when it runs)."""
    from loadtest.commands import (
        bench_replay_command,
        bench_server_command,
        install_drill_sender,
        loadtest,
        trace,
    )
    from loadtest.server.command import serve
    from sim.commands.analysis import compare, report, roster, staff, sweep
    from sim.commands.bench import bench
    from sim.commands.drill import drill
    from sim.commands.erlang import erlang
    from sim.commands.validate import validate

    for command in (run, check, scenarios, erlang, validate, bench, trace, loadtest, drill,
                    serve, report, compare, sweep, staff, roster):
        main.add_command(command)
    bench.add_command(bench_replay_command)
    bench.add_command(bench_server_command)
    install_drill_sender(drill)  # `drill play --profile`: endpoint profiles are the load tester's


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
