"""The ``hotline compare``, ``sweep``, ``staff`` and ``report`` commands (registered by the root
``cli.py``). Thin: parse, call the library, print. Heavy imports happen inside the commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.commands.options import (
    jobs_option,
    lang_option,
    load,
    out_option,
    quiet_option,
    replications_option,
    seed_option,
    set_option,
    with_cluster,
)
from sim.domain.paths import RESULTS_DIR
from sim.report import write_report

__all__ = ["compare", "report", "roster", "staff", "sweep", "write_report"]

LANG = lang_option()
SETS = set_option("Override a scenario key for every run (repeatable).")
REPS = replications_option("Replications per run (default: the scenario's; at least 2 for CIs).",
                           minimum=2)
SEED = seed_option("Scenario seed (default: the scenario's).")
JOBS = jobs_option()
QUIET = quiet_option()


def selection_options(f):
    """``--centre``, ``--region``, ``--line``: which centre and region rows to show."""
    f = click.option("--line", "sel_lines", multiple=True, metavar="LINE",
                     help="Show every centre of this line (repeatable).")(f)
    f = click.option("--region", "sel_regions", multiple=True, metavar="CODE",
                     help="Show this region and its centres, e.g. 622900 (repeatable).")(f)
    return click.option("--centre", "sel_centres", multiple=True, metavar="REGION/LINE",
                        help="Show this centre, e.g. 622900/110 (repeatable).")(f)


def _selection(centres, regions, lines):
    from sim.results.changes import Selection

    return Selection(tuple(centres), tuple(regions), tuple(lines))


def _check_kpis(kpis, scn, selection=None) -> None:
    """Exit 2 before any work when ``--kpi`` or a selection names what the runs will not have."""
    if selection:
        from sim.scenario.plan import build_plans

        plans = build_plans(scn)
        selection.check({"centres": {p.key: 1 for p in plans},
                         "regions": {p.region: 1 for p in plans}, "lines": dict(scn.lines)})
    if kpis:
        from sim.experiments.replications import sl_thresholds
        from sim.results.changes import unknown_kpis
        from sim.results.kpis import kpi_names

        unknown_kpis(kpis, kpi_names(sl_thresholds(scn)))


def _note_overwrite(path: Path) -> None:
    if path.exists():
        click.echo(f"note: replacing the previous {path}", err=True)


def _bar(total: int, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="rep", disable=quiet, delay=1, file=sys.stderr)


@with_cluster
@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="RUN_DIR... | SCENARIO")
@click.option("--variant", "variants", multiple=True, metavar="NAME:PATH=VALUE[,PATH=VALUE]",
              help="With a SCENARIO: a variant to run (repeatable; 'NAME:' = no change).")
@SETS
@REPS
@SEED
@JOBS
@click.option("--kpi", "kpis", multiple=True,
              help="KPIs to compare, e.g. sl15 or abandon_rate (default: a standard set; an "
                   "unknown name is an error listing the valid ones).")
@selection_options
@out_option("Where compare.html (and variant runs) go (default: results/compare/).")
@LANG
@QUIET
def compare(sources, variants, overrides, replications, seed, jobs, kpis, sel_centres,
            sel_regions, sel_lines, out_dir, lang, quiet) -> None:
    """Compare runs side by side: the centres that changed first, then KPIs per line.

    First the centres and regions whose inputs differ and those whose KPIs changed
    significantly, then every line: mean ± 95 % CI per run and the paired difference from the
    first run (replication by replication, Student-t) with its interval and p-value; * marks
    p < 0.05 (centre rows: Benjamini-Hochberg q < 0.05). Give run directories, or one SCENARIO
    with --variant options (run with the same seed: common random numbers). Writes
    compare.html with overlay plots.

    Example: hotline compare results/base results/more-seats --centre 622900/110
    """
    from sim.experiments.variants import parse_variant, run_variants
    from sim.report.compare import compare_runs, format_comparison

    out = out_dir or RESULTS_DIR / "compare"
    selection = _selection(sel_centres, sel_regions, sel_lines)
    if variants:
        if len(sources) != 1:
            raise click.UsageError("with --variant give exactly one SCENARIO")
        parsed = [parse_variant(v) for v in variants]
        base = load(sources[0], overrides, replications=replications, seed=seed)
        _check_kpis(kpis, base, selection)
        for name, _ in parsed:
            _note_overwrite(out / name)
        with _bar(base.replications * len(parsed), "variants", quiet) as bar:
            runs = run_variants(base, parsed, out, jobs=jobs, on_done=lambda _s: bar.update())
            dirs = [r.directory for r in runs.values()]
    else:
        dirs = [Path(s) for s in sources]
    result = compare_runs(dirs, kpis or None, selection)
    _note_overwrite(out / "compare.html")
    click.echo(format_comparison(result))
    from sim.report.compare import write_compare

    click.echo(f"written: {write_compare(result, dirs, out, lang)}")


@with_cluster
@click.command()
@click.argument("scenario")
@click.option("--vary", "varies", multiple=True, required=True, metavar="PATH=v1,v2,...",
              help="A scenario key and its values (repeatable: the grid is their product).")
@SETS
@REPS
@SEED
@JOBS
@click.option("--kpi", "kpis", multiple=True, help="KPIs to tabulate and plot "
              "(default: answered, abandoned, ASA, occupancy; targets always; an unknown name "
              "is an error listing the valid ones).")
@selection_options
@out_option("Output directory (default: results/<scenario>-sweep/).")
@LANG
@QUIET
def sweep(scenario, varies, overrides, replications, seed, jobs, kpis, sel_centres, sel_regions,
          sel_lines, out_dir, lang, quiet) -> None:
    """Run SCENARIO over a grid of parameter values; table and KPI-vs-parameter plots.

    Every grid point is a full set of replications with the same seed. First, per point, the
    centres and regions whose inputs differ from the first point's and those whose KPIs
    changed significantly (paired t test), then the table (* = paired difference from the
    first point, p < 0.05). Writes sweep.csv, sweep.json, plots/ (95 % CI bands) and sweep.html.

    Example: hotline sweep gansu-baseline --vary lines.110.patience.mean=30,60,90 -r 5 -j 2
    """
    from sim.experiments.sweep import grid, parse_vary, run_sweep
    from sim.report.sweep import (
        SWEEP_KPIS,
        format_point_changes,
        format_sweep,
        point_changes,
        write_sweep,
    )

    parsed = [parse_vary(v) for v in varies]
    base = load(scenario, overrides, replications=replications, seed=seed)
    selection = _selection(sel_centres, sel_regions, sel_lines)
    _check_kpis(kpis, base, selection)
    out = out_dir or RESULTS_DIR / f"{base.name}-sweep"
    _note_overwrite(out / "sweep.html")
    with _recorded(out, base):
        with _bar(base.replications * len(grid(parsed)), "sweep", quiet) as bar:
            points = run_sweep(base, parsed, jobs=jobs, on_done=lambda _s: bar.update())
        kpi_list = list(kpis) or list(SWEEP_KPIS)
        paths = [p for p, _ in parsed]
        changes = format_point_changes(paths, points,
                                       point_changes(points, kpis or None, selection), selection)
        click.echo(changes)
        click.echo(format_sweep(paths, points, kpi_list))
        written = write_sweep(base.name, parsed, points, out, kpi_list, lang, changes)
    click.echo(f"written: {written}")



def _recorded(out: Path, scn):
    """The command's ``run.json`` in ``out`` (``sim.results.output.recorded``)."""
    from sim.commands.group import command_line
    from sim.results.output import recorded

    return recorded(out, scenario=scn.name, seed=scn.seed, replications=scn.replications,
                    command=command_line())

@with_cluster
@click.command()
@click.argument("scenario")
@click.option("--target", "targets", multiple=True, required=True, metavar="LINE:KPI>=X",
              help="A target per line or centre, e.g. 110:sl15>=0.90 or 12345:abandon_rate<=0.05 "
                   "(repeatable).")
@click.option("--interval", default="60m", show_default=True,
              help="Staffing interval: a whole number of hours (60m, 2h, ...).")
@SETS
@REPS
@SEED
@JOBS
@click.option("--max-iterations", type=click.IntRange(min=1), default=8, show_default=True,
              help="Simulation rounds at most.")
@click.option("--trim/--no-trim", default=False, show_default=True,
              help="Also try one seat fewer where a target is met (more rounds, fewest seats).")
@click.option("--min-seats", type=click.IntRange(min=0), default=1, show_default=True,
              help="Seats every targeted centre keeps in every interval.")
@out_option("Output directory (default: results/<scenario>-staffing/).")
@LANG
@QUIET
def staff(scenario, targets, interval, overrides, replications, seed, jobs, max_iterations,
          trim, min_seats, out_dir, lang, quiet) -> None:
    """The fewest seats per interval and centre that meet the targets.

    Starts from Erlang A (C without patience) per interval, then simulates and adds seats where
    the 95 % CI's worse end misses a target (with --trim, also tries one fewer where it meets
    it) until the schedule holds. Writes staffing.csv, staffing-override.yaml (run it with `hotline run`),
    plots/staffing.png|svg and staffing.txt; exit 1 if it did not converge.

    Example: hotline staff gansu-baseline --target "110:sl15>=0.90" --interval 60m -r 5 -j 2
    """
    from sim.planning.staff_targets import parse_interval, parse_target
    from sim.planning.staffing import optimise
    from sim.report.staff_output import format_staffing, write_staffing

    hours = parse_interval(interval)
    scn = load(scenario, overrides, replications=replications, seed=seed)
    lines, centres = set(scn.lines), set(scn.centres)
    parsed = [parse_target(t, lines, centres) for t in targets]
    out = out_dir or RESULTS_DIR / f"{scn.name}-staffing"
    with _recorded(out, scn):
        with _bar(scn.replications * max_iterations, "staffing rounds", quiet) as bar:
            result = optimise(scn, parsed, hours=hours, jobs=jobs, min_seats=min_seats,
                              max_iterations=max_iterations, trim=trim,
                              on_done=lambda _s: bar.update())
            bar.total = bar.n
        loaded = scn.provenance  # the override file extends the scenario's file, with its --set
        write_staffing(result, loaded.source, loaded.overrides, out, lang)
    click.echo(format_staffing(result))
    click.echo(f"written: {out}/staffing.csv, staffing-override.yaml, plots/staffing.png")
    if not result.converged:
        sys.exit(1)


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--centre", "centres", multiple=True, metavar="REGION/LINE",
              help="Centres to plot on their own (default: the 3 closest to missing a target).")
@LANG
def report(run_dir, centres, lang) -> None:
    """Write (again) report.html and plots/ of a run directory.

    Example: hotline report results/gansu-baseline --lang zh --centre 622900/110
    """
    click.echo(f"written: {write_report(run_dir, lang, list(centres) or None)}")


def _hours_list(text: str, key: str) -> tuple[int, ...]:
    """``8h,12h`` or ``0-23`` or ``6,14,22`` → integers (ranges inclusive)."""
    out: list[int] = []
    try:
        for part in text.replace("h", "").split(","):
            lo, sep, hi = part.strip().partition("-")
            out += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    except ValueError:
        raise click.BadParameter(f"expected hours like 8,12 or 0-23, got {text!r}",
                                 param_hint=key) from None
    return tuple(dict.fromkeys(out))


@click.command()
@click.argument("staffing_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--shifts", default="8,10,12", show_default=True, metavar="H,H,...",
              help="Allowed shift lengths in hours.")
@click.option("--starts", default="0-23", show_default=True, metavar="HOURS",
              help="Allowed start hours of the day, e.g. 0-23 or 6,14,22.")
@click.option("--break", "break_hours", type=click.IntRange(min=0), default=1, show_default=True,
              help="Break off the seat (hours) in shifts of 6 h or more, placed 3 h or more "
                   "from either end, where the roster needs it.")
@click.option("--shrinkage", type=click.FloatRange(0, 1, max_open=True), default=0.3,
              show_default=True, help="Share of paid hours lost to leave, training and sickness "
                                      "(turns agent-hours into FTEs).")
@click.option("--contract-hours", type=click.FloatRange(min=1), default=40.0, show_default=True,
              help="Contracted hours per FTE and week.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds the integer programme may take per centre (HiGHS).")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Simulate the roster scenario and check the staffing targets.")
@REPS
@SEED
@JOBS
@out_option("Output directory (default: STAFFING_DIR).")
@QUIET
def roster(staffing_dir, shifts, starts, break_hours, shrinkage, contract_hours, time_limit,
           verify, replications, seed, jobs, out_dir, quiet) -> None:
    """Turn the seats per hour of `hotline staff` into shifts with the fewest agent-hours.

    An integer programme per centre (scipy's MILP, HiGHS) chooses how many agents start each
    allowed shift and where each takes its break, so that agents on a seat cover the required
    seats in every hour. Prints agent-hours, the gap to the LP lower bound and FTEs per centre;
    writes roster.csv, roster-coverage.csv and roster-scenario.yaml (seats follow the roster),
    which it then simulates against the staffing targets (exit 1 if one is missed).

    Example: hotline roster results/gansu-baseline-staffing --shifts 8,12 --shrinkage 0.3 -j 2
    """
    from sim.planning.roster import ShiftRules
    from sim.report.roster_output import (
        format_roster,
        make_rosters,
        read_staffing,
        write_roster,
    )
    from sim.report.roster_output import (
        verify as verify_roster,
    )

    rules = ShiftRules(lengths=_hours_list(shifts, "--shifts"),
                       start_hours=_hours_list(starts, "--starts"), break_hours=break_hours,
                       shrinkage=shrinkage, contract_hours=contract_hours)
    inp = read_staffing(staffing_dir)
    rosters = make_rosters(inp, rules, time_limit)
    out = out_dir or staffing_dir
    path = write_roster(inp, rosters, rules, out)
    click.echo(format_roster(rosters, rules))
    click.echo(f"written: {out}/roster.csv, roster-coverage.csv, roster-scenario.yaml")
    if not verify:
        return
    n = (replications or inp.scenario.replications)
    with _bar(n, "roster check", quiet) as bar:
        rows = verify_roster(path, inp, rosters, out / "roster-run", replications=replications,
                             seed=seed, jobs=jobs, on_done=lambda _s: bar.update())
    for key, target, value, verdict in rows:
        click.echo(f"  {key:<14}{target:<26}{value:>16}  {verdict}")
    missed = [r for r in rows if r[3] == "missed"]
    click.echo(f"simulated roster: {len(rows) - len(missed)} of {len(rows)} centre targets met "
               f"or not distinguishable; run in {out / 'roster-run'}")
    if missed:
        sys.exit(1)
