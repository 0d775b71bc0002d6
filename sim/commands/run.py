"""``hotline run``, ``check`` and ``scenarios``: run a scenario into its run directory, check
its load against its seats, list the built-in ones (thin: parse, load, call the library, print).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from sim.commands import options as opt
from sim.commands.group import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, command_line

__all__ = ["check", "run", "scenarios"]


@opt.with_cluster
@click.command()
@click.argument("scenario", required=False, default=None)
@opt.set_option()
@opt.replications_option()
@opt.seed_option()
@opt.jobs_option("Replications run in parallel processes (0: one per CPU core). The output does "
             "not depend on it.")
@opt.out_option("Run directory (default: results/<scenario name>/).")
@opt.quiet_option()
@click.option("--variants/--no-variants", default=True, show_default=True,
              help="Also run the scenario's declared what-if variants and print the comparison.")
@click.option("--report/--no-report", "with_report", default=True, show_default=True,
              help="Write report.html and plots/ into the run directory.")
@opt.lang_option("Language of the report's labels (zh needs a CJK font).")
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
    from sim.experiments.runner import run_scenario
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
    from sim.scenario import with_overrides

    scn = opt.load(scenario or DEFAULT_SCENARIO, overrides, replications=replications, seed=seed)
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
                              precision=targets, max_replications=max_replications,
                              command=command_line())
        # with --precision, the variants run as many replications as the scenario needed
        base = with_overrides(scn, replications=result.scenario.replications) if targets else scn
        others = run_declared_variants(base, result.directory, jobs=jobs,
                                       on_done=lambda s: rep.done(s.index)) if variants else {}
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
    except KeyboardInterrupt as exc:
        done = [f for f in REPORT_FILES if (directory / f).exists()
                and (directory / f).stat().st_mtime >= began - 1]
        missing = [f for f in REPORT_FILES if f not in done]
        click.echo(f"\ninterrupted while writing the report: {directory} has the complete run "
                   f"(kpis.json, calls.csv.gz, timeseries.csv, scenario.resolved.yaml)"
                   f"{'; written: ' + ', '.join(done) if done else ''}; not written: "
                   f"{', '.join(missing)} (plots/ may be partial; `hotline report "
                   f"{directory}` writes them)", err=True)
        sys.exit(EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED)


def _audit_verdict(result, echo=click.echo) -> int:
    """Print the auditor's findings; return how many (the run then exits 3 if any)."""
    found = result.violations
    echo(f"audit 审计: {len(found)} violation(s) in {result.scenario.replications} "
         f"replication(s)")
    for replication, violation in found[:50]:
        echo(f"  replication {replication}: [{violation.rule}] {violation.detail}")
    return len(found)


@click.command()
@click.argument("scenario")
@opt.set_option()
def check(scenario, overrides) -> None:
    """Validate SCENARIO and compare offered load (Erlangs) with seats, hour by hour.

    Warns for every centre with an hour where the offered load is at least the seats on duty,
    trunks below seats and a seats minimum above the peak (effects that cross lines), and says
    which centres each disaster, incidents block, outage, borrowing rule and the bot reach.
    Example: hotline check gansu-baseline
    """
    from sim.experiments.check import centre_loads, format_loads, input_warnings

    scn = opt.load(scenario, overrides)
    click.echo(f"{scn.name}: valid. {len(scn.centres)} centres, {scn.horizon_hours:g} h.")
    loads = centre_loads(scn)
    click.echo(format_loads(loads))
    for note in input_warnings(scn, loads):
        click.echo(f"{'note' if _is_reach(note) else 'warning'}: {note}")


def _is_reach(note: str) -> bool:
    return note.startswith(("disaster ", "incidents ", "outage ", "remote-seat", "bot "))


@click.command()
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
