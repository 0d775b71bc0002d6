"""Click commands of the load tester: ``trace``, ``loadtest``, ``bench replay``, ``bench server``,
and ``drill play --profile`` (:func:`install_drill_sender`).

The root ``cli.py`` registers them. Locust is never imported here: ``loadtest`` and the benches
run it as a child process. Bad input raises ``sim.domain.errors.InputError`` (exit code 2 at the root).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.commands.options import seed_option, set_option
from sim.domain.errors import InputError

if TYPE_CHECKING:
    from sim.commands.drill import DrillGroup
    from sim.drill.send import InjectSender, Log


def install_drill_sender(drill_group: DrillGroup) -> None:
    """Let ``hotline drill play --profile FILE`` send through endpoint profiles
    (``loadtest.drill_sender``, imported only when a drill is played with ``--profile``)."""
    drill_group.profile_senders = _profile_sender


def _profile_sender(url: str, profile_path: Path, drill: dict[str, Any],
                    answers: dict[int, dict[str, Any]], *, log: Log) -> InjectSender:
    from loadtest.drill_sender import make_sender

    return make_sender(url, profile_path, drill, answers, log=log)


@click.command("trace")
@click.argument("source")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The trace file to write (JSON Lines, docs/trace.md).")
@click.option("--window", default=None, metavar="START/END",
              help="Calls received in this window, e.g. 10h/10h10m or 36000/36600 (seconds).")
@click.option("--lines", default=None, metavar="LINE,...", help="Only calls first received on these lines.")
@click.option("--replication", type=click.IntRange(min=0), default=0, show_default=True,
              help="The replication to export.")
# --set and --seed as `hotline run` has them (they apply when SOURCE is a scenario)
@set_option()
@seed_option()
def trace(source: str, out: Path, window: str | None, lines: str | None, replication: int,
          overrides: tuple[str, ...], seed: int | None) -> None:
    """Export the event trace of a run (RUN_DIR) or of a fresh run of SCENARIO.

    A SCENARIO runs replications 0 to --replication in this process (with its --set and
    --seed, as `hotline run` reads them); a RUN_DIR is read as it is.

    \b
    Example:
      hotline trace results/gansu-baseline --window 10h/10h10m --out trace.jsonl
    """
    from loadtest.export import export_trace, parse_lines

    parse_lines(lines)  # argument errors before any simulation
    path = Path(source)
    if path.is_dir():
        header = export_trace(path, out, replication=replication, window=window, lines=lines)
    else:
        with tempfile.TemporaryDirectory(prefix="hotline-trace-") as temp:
            run_dir = _run(source, overrides, replication, seed, Path(temp) / "run")
            header = export_trace(run_dir, out, replication=replication, window=window, lines=lines)
    click.echo(f"{out}: {header.events} events over {header.duration:.1f} s "
               f"(scenario {header.scenario}, seed {header.seed}, replication {header.replication})")


def _run(scenario: str, overrides: tuple[str, ...], replication: int, seed: int | None,
         out_dir: Path) -> Path:
    from sim.commands.group import command_line
    from sim.commands.options import load
    from sim.experiments.runner import run_scenario

    loaded = load(scenario, overrides, replications=replication + 1, seed=seed)
    result = run_scenario(loaded, jobs=1, out_dir=out_dir, command=command_line())
    return Path(getattr(result, "directory", result))


@click.command("loadtest")
@click.argument("trace_path", metavar="TRACE", type=click.Path(path_type=Path))
@click.option("--host", required=True, help="Base URL of the target, e.g. http://127.0.0.1:8000.")
@click.option("--speedup", type=float, default=1.0, show_default=True, help="Replay speed-up factor.")
@click.option("--profile", type=click.Path(path_type=Path), default=None,
              help="Endpoint profile YAML [default: the reference server's].")
@click.option("--slo", type=click.Path(path_type=Path), default=None,
              help="SLO file YAML [default: loadtest/slo/default.yaml].")
@click.option("--processes", type=int, default=1, show_default=True,
              help="Locust worker processes on this machine (Locust's --processes).")
@click.option("--expect-workers", type=int, default=None,
              help="Run as master for N workers started elsewhere (docs/loadtest.md).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results/loadtest"), show_default=True,
              help="Directory for slo.json and Locust's CSV and HTML reports.")
@click.option("--max-in-flight", type=int, default=100, show_default=True,
              help="Concurrent requests per process (sends beyond it are late, never dropped).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
@click.option("--late-after-ms", type=float, default=10.0, show_default=True,
              help="A send this far behind its scheduled time counts as late.")
@click.option("--latency", type=click.Choice(["scheduled", "sent"]), default=None,
              help="Latency in Locust's statistics [default: the SLO file's, scheduled].")
@click.pass_context
def loadtest(ctx: click.Context, trace_path: Path, host: str, speedup: float, profile: Path | None,
             slo: Path | None, processes: int, expect_workers: int | None, out: Path,
             max_in_flight: int, timeout: float, late_after_ms: float, latency: str | None) -> None:
    """Replay TRACE open-loop against --host with Locust; exit 0 when every SLO holds, else 1.

    \b
    Example:
      hotline loadtest trace.jsonl --host http://127.0.0.1:8000 --speedup 60 --processes 2
    """
    from loadtest.locust_run import LoadtestOptions, run_loadtest

    if expect_workers is not None and (expect_workers < 1 or processes != 1):
        raise InputError("expected N >= 1 and no --processes", source="--expect-workers")
    options = LoadtestOptions(
        trace=trace_path, host=host, speedup=speedup, profile=profile, slo=slo,
        processes=processes, out=out, max_in_flight=max_in_flight, timeout=timeout,
        late_after_ms=late_after_ms, latency=latency, expect_workers=expect_workers)
    ctx.exit(run_loadtest(options))


@click.command("replay")
@click.option("--seconds", type=float, default=2.0, show_default=True, help="Length of each rate step.")
@click.option("--lag-p99-ms", type=float, default=5.0, show_default=True,
              help="A rate is sustained while the schedule lag p99 stays under this.")
def bench_replay_command(seconds: float, lag_p99_ms: float) -> None:
    """Highest open-loop replay rate of one Locust process vs Locust's closed-loop maximum."""
    from loadtest.bench import bench_replay

    bench_replay(step_seconds=seconds, lag_p99_ms=lag_p99_ms)


@click.command("server")
@click.option("--seconds", type=float, default=3.0, show_default=True, help="Length of each rate step.")
@click.option("--db", default=None, metavar="URL|PATH",
              help="The server's database (a postgresql:// URL, or a SQLite path); default: a "
                   "fresh SQLite file in a temporary directory.")
@click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Server worker processes; above 1, one worker is measured too, for the ratio.")
@click.option("--rounds", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Rounds in which the targets take turns; each target's rate is the median.")
def bench_server_command(seconds: float, db: str | None, workers: int, rounds: int) -> None:
    """Reference server vs a trivial endpoint under the orders replay: requests/s and ratio.

    \b
    Examples:
      hotline bench server
      hotline bench server --db postgresql://hotline:hotline@127.0.0.1:5432/bench --workers 2
    """
    from loadtest.bench import bench_server
    from loadtest.server.config import resolve_db_url

    if db is not None:
        resolve_db_url(db)  # a bad --db is exit 2 before anything is measured
    if not seconds > 0:
        raise InputError(f"expected a number of seconds > 0, got {seconds}", source="--seconds")
    bench_server(step_seconds=seconds, db=db, workers=workers, rounds=rounds)
