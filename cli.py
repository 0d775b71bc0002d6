"""The ``hotline`` command: a thin layer that parses arguments, calls the library, prints.

Exit codes: 0 success; 1 a target missed (``run --fail-on-miss``), an SLO missed or validation
outside its interval; 2 bad input (a scenario, trace, profile or argument), reported with the
file and key path before any work is done; 3 a model invariant broken (``run --audit``); 130
interrupted (Ctrl-C); 141 the output pipe closed (``hotline ... | head``).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from pathlib import Path

import click

from sim.domain.errors import InputError

SCENARIO_HELP = "Scenario file or built-in name (see `hotline scenarios`)."


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


class HotlineGroup(click.Group):
    """Turns ``InputError`` anywhere below into a clear message and exit code 2, Ctrl-C into
    130 and a closed output pipe into 141 (never 1, which means a missed target)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("\ninterrupted: nothing complete was written", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # Python would complain again when it flushes stdout at exit: point it at devnull.
            # (stdout may not be a file, e.g. when a test captures it)
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)


@click.group(cls=HotlineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hotline-sim")
def main() -> None:
    """hotline-sim: simulate and load-test linked 12345/110/119/120/122 hotlines."""


def scenario_options(f):
    """Options shared by commands that load a scenario."""
    f = click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                     help="Override a scenario key, e.g. --set centres.622900/110.seats.peak=40 "
                          "(repeatable; typed like the key).")(f)
    return f


def _use_cluster(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Send the command's replications to the cluster named by ``--cluster`` or the variable."""
    if value is None:
        return
    if not value.strip():
        raise click.BadParameter("empty: give a scheduler address (tcp://host:8786) or local:N; "
                                 "leave the option out to run locally", ctx, param)
    from sim.experiments.cluster import CLUSTER_ENV, configure, parse_cluster, shutdown

    # click sets the parameter's source only after this callback, so compare with the variable
    from_env = os.environ.get(CLUSTER_ENV) == value
    try:
        spec = parse_cluster(value, source=CLUSTER_ENV if from_env else "--cluster")
    except InputError as exc:
        origin = f" (from the environment variable {CLUSTER_ENV})" if from_env else ""
        raise click.BadParameter(exc.message + origin, ctx, param) from None
    configure(spec)
    ctx.call_on_close(shutdown)


def cluster_option() -> click.Option:
    """``--cluster ADDRESS|local:N`` (or ``HOTLINE_CLUSTER``): replications as Dask tasks."""
    return click.Option(
        ["--cluster"], envvar="HOTLINE_CLUSTER", expose_value=False, callback=_use_cluster,
        metavar="ADDRESS|local:N",
        help="Run replications as tasks on a Dask scheduler (tcp://host:8786) or on local:N "
             "worker processes (needs pip install -e '.[cluster]'; env HOTLINE_CLUSTER). "
             "Same bytes as a local run; --jobs is then ignored. See docs/cluster.md.")


def with_cluster(command: click.Command) -> click.Command:
    """Add ``--cluster`` to a command (decorator, or applied to a command defined elsewhere)."""
    command.params.append(cluster_option())
    return command


@with_cluster
@main.command()
@click.argument("scenario", required=False, default=None)
@scenario_options
@click.option("--replications", "-r", type=click.IntRange(min=1), default=None,
              help="Independent replications (default: the scenario's).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Scenario seed (default: the scenario's); replication seeds derive from it.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=True,
              help="Replications run in parallel processes (0: one per CPU core). The output "
                   "does not depend on it.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run directory (default: results/<scenario name>/).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--variants/--no-variants", default=True, show_default=True,
              help="Also run the scenario's declared what-if variants and print the comparison.")
@click.option("--report/--no-report", "with_report", default=True, show_default=True,
              help="Write report.html and plots/ into the run directory.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the report's labels (zh needs a CJK font).")
@click.option("--audit", is_flag=True,
              help="Check the model's invariants as it runs (every leg recorded once with its "
                   "parent, times ordered, seats and trunks never over-used, no caller served "
                   "past their patience, every seat released, orders conserved); exit 3 on a "
                   "violation.")
@click.option("--fail-on-miss/--no-fail-on-miss", default=False, show_default=True,
              help="Exit 1 when a line's or centre's target is missed (its 95 % CI wholly "
                   "below the target; with one replication, its mean), e.g. in CI pipelines. "
                   "A centre with no calls is neither met nor missed.")
@click.option("--precision", "precision", multiple=True, metavar="[SCOPE:]KPI=HALFWIDTH",
              help="Add replications until this KPI's 95 % half-width is at most HALFWIDTH "
                   "(rates as fractions: 0.01 = 1 point). SCOPE is a line, region or centre, "
                   "e.g. 110:sl15=0.01, 622900/110:abandon_rate=0.005 (repeatable).")
@click.option("--max-replications", type=click.IntRange(min=2), default=None,
              help="Cap for --precision (default: 100, or -r if larger).")
def run(scenario, overrides, replications, seed, jobs, out_dir, quiet, variants, with_report,
        lang, audit, fail_on_miss, precision, max_replications) -> None:
    """Run SCENARIO (default: gansu-baseline) and write its run directory.

    Writes scenario.resolved.yaml, kpis.json, calls.csv.gz and timeseries.csv (see
    docs/records.md and docs/kpis.md) and prints a summary per line, then the centres that
    miss their target (by prefecture name and code). Exit 0, or 1 with --fail-on-miss when a
    target is missed.

    Example: hotline run jishishan-earthquake --set borrowing.0.enabled=false -r 10 -j 2
    (or --cluster local:2, --cluster tcp://host:8786: replications on Dask, docs/cluster.md).

    Example: hotline run gansu-baseline --precision 622900/110:sl15=0.01 --max-replications 40
    """
    from sim.domain.paths import DEFAULT_SCENARIO
    from sim.experiments.precision import parse_targets
    from sim.experiments.progress import progress_bar
    from sim.experiments.runner import prepare, run_scenario
    from sim.experiments.variants import run_declared_variants
    from sim.report.linkage_tables import format_flows, format_orders
    from sim.report.tables import (
        format_disaster,
        format_merge_test,
        format_summary,
        format_targets,
        missed_targets,
        sparse_warnings,
    )
    from sim.report.whatif import format_whatif

    path = scenario or DEFAULT_SCENARIO
    jobs = jobs or os.cpu_count() or 1
    scn = prepare(path, overrides, replications=replications, seed=seed)
    if max_replications is not None and not precision:
        raise click.UsageError("--max-replications needs --precision")
    if max_replications is not None and replications is not None \
            and max_replications < replications:
        raise click.UsageError(f"--max-replications {max_replications} is below "
                               f"--replications {replications}")
    targets = parse_targets(precision, scn)
    from sim.experiments.check import input_warnings

    for note in input_warnings(scn):
        click.echo(f"{'note' if _is_reach(note) else 'warning'}: {note}", err=True)
    runs = 1 + (len(scn.variants) if variants else 0)
    total = None if targets else scn.replications * runs
    with progress_bar(total, f"{scn.name}: replications", quiet) as (bar, rep):
        result = run_scenario(scn, jobs=jobs, out_dir=out_dir, on_done=lambda s: rep.done(s.index),
                              on_progress=rep.progress, audit=audit,
                              on_phase=lambda _p: bar.set_description_str(f"{scn.name}: writing"),
                              precision=targets, max_replications=max_replications)
        reps = result.scenario.replications if targets else replications
        others = run_declared_variants(path, overrides, result.directory, replications=reps,
                                       seed=seed, jobs=jobs, on_done=lambda s: rep.done(s.index)) \
            if variants else {}
    out = _PipeSafeEcho()
    out(format_summary(result.kpis))
    if result.precision is not None:
        out(result.precision.describe())
    for table in (format_targets(result.kpis), format_flows(result.kpis),
                  format_orders(result.kpis), format_disaster(result.kpis), format_merge_test(result.kpis, scn),
                  *(format_merge_test(r.kpis, r.scenario) for r in others.values()),
                  format_whatif(result, others)):
        if table:
            out(table)
    out(f"written: {result.directory}")
    report_path = _run_report(result.directory, lang, scn.name, quiet) if with_report else None
    violations = _audit_verdict(result, out) if audit else 0
    for warning in sparse_warnings(result.kpis):
        click.echo(warning, err=True)
    if report_path:
        out(f"report: {report_path}")
    if violations:
        sys.exit(3)
    if out.closed:  # every file is written; the reader went away (`hotline run | head`)
        raise BrokenPipeError
    if fail_on_miss and missed_targets(result.kpis):
        click.echo(f"{len(missed_targets(result.kpis))} target(s) missed (--fail-on-miss): "
                   "exit 1", err=True)
        sys.exit(1)


class _PipeSafeEcho:
    """``click.echo`` to stdout that survives a closed pipe, so a run still writes its report
    when its reader went away (``hotline run | head -1``); ``closed`` then says so."""

    closed = False

    def __call__(self, text: str) -> None:
        if self.closed:
            return
        try:
            click.echo(text)
            sys.stdout.flush()
        except BrokenPipeError:
            self.closed = True
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


REPORT_FILES = ("intervals.csv", "report.html")


def _run_report(directory: Path, lang: str, name: str, quiet: bool) -> Path:
    """Write the run's report; Ctrl-C here says what is complete and what was not written."""
    import time

    from sim.experiments.progress import progress_bar
    from sim.report import write_report

    began = time.time()
    try:
        with progress_bar(None, f"{name}: report", quiet):
            return write_report(directory, lang)
    except KeyboardInterrupt:
        done = [f for f in REPORT_FILES if (directory / f).exists()
                and (directory / f).stat().st_mtime >= began - 1]
        missing = [f for f in REPORT_FILES if f not in done]
        click.echo(f"\ninterrupted while writing the report: {directory} has the complete run "
                   f"(kpis.json, calls.csv.gz, timeseries.csv, scenario.resolved.yaml)"
                   f"{'; written: ' + ', '.join(done) if done else ''}; not written: "
                   f"{', '.join(missing)} (plots/ may be partial; `hotline report "
                   f"{directory}` writes them)", err=True)
        sys.exit(EXIT_INTERRUPTED)


def _audit_verdict(result, echo=click.echo) -> int:
    """Print the auditor's findings; return how many (the run then exits 3 if any)."""
    found = result.violations
    echo(f"audit 审计: {len(found)} violation(s) in {result.scenario.replications} "
         f"replication(s)")
    for replication, violation in found[:50]:
        echo(f"  replication {replication}: [{violation.rule}] {violation.detail}")
    return len(found)


@main.command()
@click.argument("scenario")
@scenario_options
def check(scenario, overrides) -> None:
    """Validate SCENARIO and compare offered load (Erlangs) with seats, hour by hour.

    Warns for every centre with an hour where the offered load is at least the seats on duty,
    trunks below seats and a seats minimum above the peak (effects that cross lines), and says
    which centres each disaster, incidents block, outage, borrowing rule and the bot reach.
    Example: hotline check gansu-baseline
    """
    from sim.experiments.check import centre_loads, format_loads, input_warnings
    from sim.scenario import load_scenario

    scn = load_scenario(scenario, overrides)
    click.echo(f"{scn.name}: valid. {len(scn.centres)} centres, {scn.horizon_hours:g} h.")
    loads = centre_loads(scn)
    click.echo(format_loads(loads))
    for note in input_warnings(scn, loads):
        click.echo(f"{'note' if _is_reach(note) else 'warning'}: {note}")


def _is_reach(note: str) -> bool:
    return note.startswith(("disaster ", "incidents ", "outage ", "remote-seat", "bot "))


@main.command()
def scenarios() -> None:
    """List the built-in scenarios, one line each."""
    from sim.scenario.catalogue import builtin_scenarios

    for name, description in builtin_scenarios():
        click.echo(f"{name:<28} {_first_sentence(name, description)}")


def _first_sentence(name: str, line: str) -> str:
    """The scenario's header comment up to its first full stop (a line may end mid-sentence)."""
    if line.endswith((".", "?", ")")):
        return line
    import re

    from sim.scenario import resolve_path

    text = []
    for raw in resolve_path(name).read_text(encoding="utf-8").splitlines():
        if not raw.startswith("#") or not raw.lstrip("# ").strip():
            break
        text.append(raw.lstrip("# ").strip())
    return re.split(r"(?<=[.?])\s", " ".join(text), maxsplit=1)[0]


@main.group()
def erlang() -> None:
    """Analytic calculators: Erlang B (blocking), C (waiting), A (waiting with abandonment).

    Rates and times in one unit of your choice (e.g. calls per minute and minutes).
    """


@erlang.command("b")
@click.option("--servers", "-n", type=click.IntRange(min=1), required=True, help="Servers (seats or trunks).")
@click.option("--offered", "-a", type=click.FloatRange(min=0), required=True, help="Offered load in Erlangs.")
def erlang_b_cmd(servers, offered) -> None:
    """Blocking probability of M/M/n/n. Example: hotline erlang b -n 10 -a 5"""
    from sim.queueing import erlang as e

    click.echo(f"P(block) = {e.erlang_b(servers, offered):.6g}")


def _queue_options(f):
    f = click.option("--max-occupancy", type=click.FloatRange(0, 1, min_open=True), default=None,
                     help="With --target: the seats also keep occupancy at or below this "
                          "(e.g. 0.85, so agents are not run at their limit).")(f)
    f = click.option("--target", "target", metavar="LEVEL/T", default=None,
                     help="Find the fewest seats answering LEVEL of calls within T (same time "
                          "unit as --talk), e.g. 0.8/20; instead of --servers.")(f)
    f = click.option("--within", "-t", "within", type=click.FloatRange(min=0), multiple=True,
                     default=(20 / 60,), show_default=True,
                     help="Service-level threshold(s), same time unit.")(f)
    f = click.option("--talk", type=click.FloatRange(min=0, min_open=True), required=True,
                     help="Mean talk (handle) time.")(f)
    f = click.option("--rate", type=click.FloatRange(min=0), required=True, help="Arrival rate.")(f)
    return click.option("--servers", "-n", type=click.IntRange(min=1), default=None,
                        help="Seats (or give --target to find them).")(f)


def _parse_target(text: str) -> tuple[float, float]:
    """``0.8/20`` → (0.8, 20.0); exit 2 naming --target otherwise."""
    level, sep, t = text.partition("/")
    try:
        value = (float(level.rstrip("%")) / (100 if level.endswith("%") else 1), float(t))
    except ValueError:
        value = None
    if not sep or value is None or not 0 < value[0] < 1 or not 0 <= value[1] < math.inf:
        raise InputError(f"expected LEVEL/T with 0 < LEVEL < 1 and finite T >= 0, e.g. 0.8/20, got "
                         f"{text!r}", key="--target")
    return value


def _seats_mode(servers, target, rate: float, talk: float) -> tuple[float, float] | None:
    """The --target goal, or None for --servers; exit 2 for both, neither or too big a load."""
    from sim.queueing.erlang import MAX_OFFERED

    if (servers is None) == (target is None):
        raise InputError("give either --servers N (the queue with N seats) or --target "
                         "LEVEL/T (the seats needed), not both or neither", key="--servers")
    if target is None:
        return None
    goal = _parse_target(target)
    if rate * talk > MAX_OFFERED:
        raise InputError(f"with --talk {talk:g}, {rate * talk:.4g} Erlangs are offered: "
                         f"beyond the {MAX_OFFERED:,.0f} the seat search accepts (rate and "
                         "talk in one time unit?)", key="--rate")
    return goal


def _no_load(rate: float) -> bool:
    """With --target and --rate 0: say that no seat is needed (nothing is offered)."""
    if rate == 0:
        click.echo("seats needed = 0: nothing is offered (--rate 0), so any number of seats "
                   "meets the target")
    return rate == 0


def _overload_warning(offered: float, servers: int) -> None:
    if offered >= servers:
        click.echo(f"warning: offered load {offered:.4g} Erl >= {servers} seats: without "
                   "abandonment the queue grows without bound (no steady state)", err=True)


def _echo_seats(need, level: float, t: float, cap: float | None) -> None:
    def sl(q) -> float:
        return q.p_answered_within(t) if hasattr(q, "p_abandon") else q.service_level(t)

    click.echo(f"seats needed = {need.seats} (set by the {need.binding}): service level within "
               f"{t:g} = {sl(need.at):.6g} >= {level:g}, occupancy = {need.at.occupancy:.4g}"
               + (f" <= {cap:g}" if cap is not None else ""))
    if need.one_fewer is not None:
        q = need.one_fewer
        click.echo(f"with {need.seats - 1} seats: service level within {t:g} = {sl(q):.6g}, "
                   f"occupancy = {q.occupancy:.4g}")


@erlang.command("c")
@_queue_options
def erlang_c_cmd(servers, rate, talk, within, target, max_occupancy) -> None:
    """Erlang C (M/M/n), or the seats needed for a target.

    Examples: hotline erlang c -n 12 --rate 10 --talk 1 -t 0.3333;
    hotline erlang c --target 0.8/20 --rate 0.5 --talk 180 --max-occupancy 0.85
    (rates and times in one unit, here seconds).
    """
    from sim.queueing import erlang as e

    goal = _seats_mode(servers, target, rate, talk)
    if goal is not None and _no_load(rate):
        return
    if goal is not None:
        need = e.seats_for_target(rate, talk, goal[1], goal[0], max_occupancy=max_occupancy)
        _echo_seats(need, goal[0], goal[1], max_occupancy)
        return
    r = e.erlang_c(servers, rate, talk)
    _overload_warning(r.offered, servers)
    click.echo(f"offered {r.offered:.4g} Erl, P(wait) = {r.p_wait:.6g}, mean wait = "
               f"{r.mean_wait:.6g}, occupancy = {r.occupancy:.4g}")
    for t in within:
        click.echo(f"service level within {t:g} = {r.service_level(t):.6g}")


@erlang.command("a")
@_queue_options
@click.option("--patience", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Mean patience (exponential).")
def erlang_a_cmd(servers, rate, talk, within, target, max_occupancy, patience) -> None:
    """Erlang A (M/M/n+M), or the seats needed for a target.

    Examples: hotline erlang a -n 50 --rate 45 --talk 1 --patience 2;
    hotline erlang a --target 0.8/0.3333 --rate 45 --talk 1 --patience 2 --max-occupancy 0.9
    """
    from sim.queueing import erlang as e

    goal = _seats_mode(servers, target, rate, talk)
    if goal is not None and _no_load(rate):
        return
    if goal is not None:
        need = e.seats_for_target(rate, talk, goal[1], goal[0], patience, max_occupancy)
        _echo_seats(need, goal[0], goal[1], max_occupancy)
        return
    r = e.erlang_a(servers, rate, talk, patience)
    if r.offered >= servers:
        click.echo(f"note: offered load {r.offered:.4g} Erl >= {servers} seats: the queue is "
                   "held only by abandonment", err=True)
    click.echo(f"P(wait>0) = {r.p_wait:.6g}, P(abandon) = {r.p_abandon:.6g}, "
               f"mean wait = {r.mean_wait:.6g}")
    for t in within:
        click.echo(f"answered within {t:g} (of all arrivals) = {r.p_answered_within(t):.6g}")


@with_cluster
@main.command()
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=True,
              help="Replications run in parallel processes (0: one per CPU core).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
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
        checks = run_validation(jobs=jobs or os.cpu_count() or 1,
                                on_check=lambda c: bar.write(format_check(c)),
                                on_done=lambda s: rep.done(s.index))
    click.echo(summary_line(checks))
    sys.exit(0 if all(c.passed for c in checks) else 1)


@main.group()
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
@scenario_options
@click.option("--callers", type=click.IntRange(min=1000), default=250_000, show_default=True,
              help="Callers of the Erlang-A fast path measured beside it.")
def bench_model_cmd(scenario, overrides, callers) -> None:
    """One replication of SCENARIO (default: the baseline week) on one core.

    Prints legs/s of the whole replication and of the Erlang-A fast path, their ratio, the
    split simulate / summarise / write and the peak memory. Example: hotline bench model
    """
    from sim.bench.model import bench_model

    _, _, report = bench_model(scenario, callers, tuple(overrides))
    click.echo(report)
    sets = "".join(f" --set {o}" for o in overrides)
    click.echo(f"reproduce: hotline bench model {scenario}{sets} --callers {callers}")


@bench.command("cluster")
@click.argument("scenario", required=False, default="gansu-baseline")
@scenario_options
@click.option("--replications", "-r", type=click.IntRange(min=2), default=2, show_default=True,
              help="Replications per run (each round runs them on 1, then on 2 workers).")
@click.option("--rounds", type=click.IntRange(min=1), default=2, show_default=True,
              help="Alternating rounds of 1 and 2 workers.")
def bench_cluster_cmd(scenario, overrides, replications, rounds) -> None:
    """Replications of SCENARIO on a LocalCluster of 1 and of 2 workers (needs '.[cluster]').

    Prints start-up and run time of each, seconds per replication and the speed-up (target
    ≥ 1.8 on 2 cores). Example: hotline bench cluster -r 2 --rounds 2
    """
    from sim.bench.cluster import bench_cluster

    _, report = bench_cluster(scenario, replications, tuple(overrides), rounds)
    click.echo(report)
    sets = "".join(f" --set {o}" for o in overrides)
    click.echo(f"reproduce: hotline bench cluster {scenario}{sets} -r {replications} "
               f"--rounds {rounds}")


def _register() -> None:
    """Commands that live beside their library (each imports its heavy modules lazily)."""
    from loadtest.cli import bench_replay_command, bench_server_command, loadtest, trace
    from loadtest.server.cli import serve
    from sim.commands.analysis import compare, report, roster, staff, sweep
    from sim.commands.drill import drill

    main.add_command(trace)
    main.add_command(loadtest)
    main.add_command(drill)
    main.add_command(serve)
    for command in (report, compare, sweep, staff, roster):
        main.add_command(command)
    for command in (compare, sweep, staff):
        with_cluster(command)
    bench.add_command(bench_replay_command)
    bench.add_command(bench_server_command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
