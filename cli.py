"""The ``hotline`` command: a thin layer that parses arguments, calls the library, prints.

Exit codes: 0 success; 1 a target, SLO or validation missed; 2 bad input (a scenario, trace,
profile or argument), reported with the file and key path before any work is done.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from sim.errors import InputError

SCENARIO_HELP = "Scenario file or built-in name (see `hotline scenarios`)."


class HotlineGroup(click.Group):
    """Turns ``InputError`` anywhere below into a clear message and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


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
def run(scenario, overrides, replications, seed, jobs, out_dir, quiet, variants, with_report,
        lang, audit) -> None:
    """Run SCENARIO (default: gansu-baseline) and write its run directory.

    Writes scenario.resolved.yaml, kpis.json, calls.csv.gz and timeseries.csv (see
    docs/records.md and docs/kpis.md) and prints a summary per line.

    Example: hotline run jishishan-earthquake --set borrowing.enabled=false -r 10 -j 2
    """
    from tqdm import tqdm

    from sim.linkage.summary import format_flows, format_orders
    from sim.paths import DEFAULT_SCENARIO
    from sim.runner import prepare, run_scenario
    from sim.summary import format_disaster, format_merge_test, format_summary
    from sim.variants import format_comparison, run_variants

    path = scenario or DEFAULT_SCENARIO
    jobs = jobs or os.cpu_count() or 1
    scn = prepare(path, overrides, replications=replications, seed=seed)
    runs = 1 + (len(scn.variants) if variants else 0)
    with tqdm(total=scn.replications * runs, desc=f"{scn.name}: replications", unit="rep",
              disable=quiet, delay=2, file=sys.stderr) as bar:
        result = run_scenario(scn, jobs=jobs, out_dir=out_dir, on_done=lambda _s: bar.update(),
                              audit=audit)
        others = run_variants(path, overrides, result.directory, replications=replications,
                              seed=seed, jobs=jobs, on_done=lambda _s: bar.update()) \
            if variants else {}
    click.echo(format_summary(result.kpis))
    for table in (format_flows(result.kpis), format_orders(result.kpis),
                  format_disaster(result.kpis), format_merge_test(result.kpis, scn),
                  *(format_merge_test(r.kpis, r.scenario) for r in others.values()),
                  format_comparison(result, others)):
        if table:
            click.echo(table)
    if with_report:
        from sim.report import write_report

        click.echo(f"report: {write_report(result.directory, lang)}")
    click.echo(f"written: {result.directory}")
    if audit:
        _audit_verdict(result)


def _audit_verdict(result) -> None:
    """Print the auditor's findings; exit 3 if the model broke an invariant."""
    found = result.violations
    click.echo(f"audit 审计: {len(found)} violation(s) in {result.scenario.replications} "
               f"replication(s)")
    for replication, violation in found[:50]:
        click.echo(f"  replication {replication}: [{violation.rule}] {violation.detail}")
    if found:
        sys.exit(3)


@main.command()
@click.argument("scenario")
@scenario_options
def check(scenario, overrides) -> None:
    """Validate SCENARIO and compare offered load (Erlangs) with seats, hour by hour.

    Warns for every centre with an hour where the offered load is at least the seats on duty.
    Example: hotline check gansu-baseline
    """
    from sim.check import centre_loads, format_loads
    from sim.scenario import load_scenario

    scn = load_scenario(scenario, overrides)
    click.echo(f"{scn.name}: valid. {len(scn.centres)} centres, {scn.horizon_hours:g} h.")
    click.echo(format_loads(centre_loads(scn)))


@main.command()
def scenarios() -> None:
    """List the built-in scenarios, one line each."""
    from sim.catalogue import builtin_scenarios

    for name, description in builtin_scenarios():
        click.echo(f"{name:<28} {description}")


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
    from sim import erlang as e

    click.echo(f"P(block) = {e.erlang_b(servers, offered):.6g}")


def _queue_options(f):
    f = click.option("--within", "-t", "within", type=float, multiple=True, default=(20 / 60,),
                     show_default=True, help="Service-level threshold(s), same time unit.")(f)
    f = click.option("--talk", type=click.FloatRange(min=0, min_open=True), required=True,
                     help="Mean talk (handle) time.")(f)
    f = click.option("--rate", type=click.FloatRange(min=0), required=True, help="Arrival rate.")(f)
    return click.option("--servers", "-n", type=click.IntRange(min=1), required=True,
                        help="Seats.")(f)


@erlang.command("c")
@_queue_options
def erlang_c_cmd(servers, rate, talk, within) -> None:
    """Erlang C (M/M/n). Example: hotline erlang c -n 12 --rate 10 --talk 1 -t 0.3333"""
    from sim import erlang as e

    r = e.erlang_c(servers, rate, talk)
    click.echo(f"offered {r.offered:.4g} Erl, P(wait) = {r.p_wait:.6g}, mean wait = "
               f"{r.mean_wait:.6g}, occupancy = {r.occupancy:.4g}")
    for t in within:
        click.echo(f"service level within {t:g} = {r.service_level(t):.6g}")


@erlang.command("a")
@_queue_options
@click.option("--patience", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Mean patience (exponential).")
def erlang_a_cmd(servers, rate, talk, within, patience) -> None:
    """Erlang A (M/M/n+M). Example: hotline erlang a -n 50 --rate 45 --talk 1 --patience 2"""
    from sim import erlang as e

    r = e.erlang_a(servers, rate, talk, patience)
    click.echo(f"P(wait>0) = {r.p_wait:.6g}, P(abandon) = {r.p_abandon:.6g}, "
               f"mean wait = {r.mean_wait:.6g}")
    for t in within:
        click.echo(f"answered within {t:g} (of all arrivals) = {r.p_answered_within(t):.6g}")


@main.command()
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Replications run in parallel processes.")
def validate(jobs) -> None:
    """Check the model against Erlang B, C and A (scenarios/validation/); exit 1 on a miss.

    Prints each KPI's simulated mean with its 99 % CI next to the analytic value.
    """
    from sim.validation import format_check
    from sim.validation import validate as run_validation

    checks = run_validation(jobs=jobs, on_check=lambda c: click.echo(format_check(c)))
    misses = sum(not c.inside for c in checks)
    click.echo(f"{len(checks) - misses} of {len(checks)} analytic values inside the 99 % CI.")
    sys.exit(1 if misses else 0)


@main.group()
def bench() -> None:
    """Benchmarks (not tests): ratios against a baseline measured in the same run."""


@bench.command("core")
@click.option("--callers", type=click.IntRange(min=1000), default=1_000_000, show_default=True,
              help="Callers per implementation.")
def bench_core_cmd(callers) -> None:
    """hotline-sim vs plain SimPy on an Erlang-A model (n=50, λ=45/min)."""
    from sim.bench import bench_core

    _, report = bench_core(callers)
    click.echo(report)
    click.echo(f"reproduce: hotline bench core --callers {callers}")


def _register() -> None:
    """Commands that live beside their library (each imports its heavy modules lazily)."""
    from loadtest.cli import bench_replay_command, bench_server_command, loadtest, trace
    from loadtest.server.cli import serve
    from sim.drill.cli import drill
    from sim.report.cli import compare, report, staff, sweep

    main.add_command(trace)
    main.add_command(loadtest)
    main.add_command(drill)
    main.add_command(serve)
    for command in (report, compare, sweep, staff):
        main.add_command(command)
    bench.add_command(bench_replay_command)
    bench.add_command(bench_server_command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
