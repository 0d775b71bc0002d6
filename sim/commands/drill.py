"""``hotline drill``: build a drill, play it, score it (thin: parses, calls sim.drill, prints).

``hotline drill SCENARIO --duration 90m --out DIR`` builds; ``hotline drill play DIR`` and
``hotline drill score DIR responses.csv`` are subcommands, and ``hotline drill serve DIR`` runs
a drill live in the browser. Any first word that is not a subcommand is the SCENARIO of the
build form (:class:`DrillGroup`).
"""

from __future__ import annotations

import math
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sim.commands.options import lang_option, load, out_option, seed_option, set_option
from sim.domain.durations import duration_seconds
from sim.domain.errors import InputError

if TYPE_CHECKING:
    from sim.drill.send import InjectSender, ProfileSenders

_HELP_WORDS = ("-h", "--help")
_BUILD = "\0build"  # never typed by a user: marks the build form after parse_args


def parse_duration(text: str, option: str) -> float:
    """``90m``, ``1h30m``, ``5400s`` or ``5400`` as seconds; ``InputError`` otherwise."""
    seconds = duration_seconds(text)
    if seconds is None:
        raise InputError(f"expected a duration such as 90m, 1h30m or 5400s; got {text!r}",
                         source=option)
    return seconds


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Refuse NaN and infinity, which click's range checks let through."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number", ctx, param)
    return value


def parse_start(text: str, scenario_start: datetime) -> float:
    """``--start``: a duration from the run's start (``6h``) or an ISO timestamp."""
    try:
        return parse_duration(text, "--start")
    except InputError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"expected a duration from the run's start (6h, 90m) or an ISO "
                         f"timestamp; got {text!r}", source="--start") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=scenario_start.tzinfo)
    return (moment - scenario_start).total_seconds()


class _BuildContext(click.Context):
    """The build form's context: its command path is the group's (``hotline drill``)."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent else "drill"


class _BuildCommand(click.Command):
    context_class = _BuildContext


class DrillGroup(click.Group):
    """A group whose default form takes a SCENARIO: an unknown first word builds a drill.

    ``profile_senders`` makes the senders of ``play --profile`` (the load tester's endpoint
    profiles): the layer that assembles the command sets it (``loadtest.commands.install_drill_sender``),
    since ``sim`` never imports ``loadtest``.
    """

    def __init__(self, *args, build: click.Command, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.build = build
        self.profile_senders: ProfileSenders | None = None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in _HELP_WORDS:
            args = [_BUILD, *args]
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] == _BUILD:
            return "drill", self.build, args[1:]
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help(ctx, formatter)
        with formatter.section("Build: hotline drill SCENARIO [OPTIONS]"):
            build_ctx = click.Context(self.build, info_name="drill", parent=ctx.parent)
            rows = [p.get_help_record(build_ctx) for p in self.build.get_params(build_ctx)]
            formatter.write_dl([r for r in rows if r])


@click.command("drill", cls=_BuildCommand, context_settings={"help_option_names": list(_HELP_WORDS)})
@click.argument("scenario", required=False)
@click.option("--from-run", "from_run", type=click.Path(file_okay=False, path_type=Path),
              help="Use this run directory's traffic instead of running SCENARIO.")
@set_option()
@click.option("--duration", required=True, metavar="DURATION",
              help="Length of the drill, e.g. 90m or 1h30m.")
@click.option("--trainees", type=click.IntRange(min=1), default=6, show_default=True,
              help="Call-takers in the drill; injects go to them round-robin.")
@click.option("--start", metavar="TIME", default=None,
              help="Window start: a duration from the run's start (6h) or an ISO timestamp "
                   "(default: just before the first surge, else the busiest window).")
@click.option("--difficulty", type=click.Choice(["easy", "mixed", "hard"]), default="mixed",
              show_default=True, help="Share of ambiguous, misdialled and emergency calls.")
@lang_option("Language of the callers' openings.", default="zh")
@seed_option("Drill seed (default: the scenario's); also the run's seed when running.")
@click.option("--pace", type=click.FloatRange(min=10), default=120.0, show_default=True,
              help="Mean seconds between one trainee's injects (the thinning rule).")
@out_option("Drill directory to write (script, trainee sheet, answer key, drill.json).",
            required=True)
def build_command(scenario, from_run, overrides, duration, trainees, start, difficulty, lang,
                  seed, pace, out_dir) -> None:
    """Build a drill from a window of SCENARIO's simulated traffic.

    Example: hotline drill jishishan-earthquake --duration 90m --trainees 6 --out drills/js
    """
    from sim.drill.build import DrillSpec, build_drill
    from sim.drill.render import write_drill

    seconds = parse_duration(duration, "--duration")
    with tempfile.TemporaryDirectory(prefix="hotline-drill-") as tmp:
        run = _open_traffic(scenario, from_run, overrides, seed, Path(tmp))
        start_s = parse_start(start, run.scenario.start) if start else None
        spec = DrillSpec(duration_s=seconds, trainees=trainees, start_s=start_s,
                         difficulty=difficulty, lang=lang,
                         seed=run.scenario.seed if seed is None else seed, pace_s=pace)
        drill = build_drill(run, spec)
    files = write_drill(drill, out_dir)
    m = drill.meta
    click.echo(f"{m['scenario']}: {m['injects']} injects for {trainees} trainees over "
               f"{seconds / 60:g} min from {m['window_start_time']} "
               f"({m['calls_in_window']} calls in the window)")
    click.echo(f"phases: {' → '.join(p.label_en for p in drill.phases)}")
    click.echo(f"written: {out_dir}/ ({', '.join(f.name for f in files)})")


def _open_traffic(scenario, from_run, overrides, seed, tmp: Path):
    from sim.drill.traffic import open_run
    from sim.experiments.runner import run_scenario

    if from_run is not None:
        if scenario or overrides:
            raise InputError("give SCENARIO (and --set) or --from-run, not both", source="--from-run")
        return open_run(from_run)
    if not scenario:
        raise InputError("give a SCENARIO to run, or --from-run DIR", source="hotline drill")
    scn = load(scenario, overrides, replications=1, seed=seed)
    click.echo(f"running {scn.name} (1 replication, {scn.horizon_hours:g} h) ...", err=True)
    run_scenario(scn, jobs=1, out_dir=tmp / "run")
    return open_run(tmp / "run")


@click.group(cls=DrillGroup, build=build_command, invoke_without_command=False,
             no_args_is_help=True)
def drill() -> None:
    """Drills (演练) for call-takers: a script with answer key, live play, scoring.

    \b
    hotline drill SCENARIO --duration 90m --trainees 6 --out DIR   build a drill
    hotline drill play DIR --speed 10                               pace its injects
    hotline drill score DIR responses.csv                           score trainees
    hotline drill serve DIR --speed 1                               live, in the browser
    """


@drill.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, callback=_finite,
              help="Speed-up: 10 plays a 90-minute drill in 9 minutes.")
@click.option("--to", "url", metavar="URL", default=None,
              help="Also send each inject to this training platform (HTTP).")
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Endpoint profile (load tester format) for --to; default: a plain JSON POST "
                   "to URL/v1/drill/injects.")
@click.option("--trainee", default=None, help="Play only this trainee's injects (e.g. T2).")
@click.option("--plain", is_flag=True, help="Plain lines even on a terminal (no live table).")
@click.pass_context
def play(ctx, directory, speed, url, profile, trainee, plain) -> None:
    """Pace a drill's injects in real time, on screen and optionally to a platform.

    Exit code 1 when a request to --to failed. Example: hotline drill play drills/js --speed 10
    """
    from sim.drill.play import LiveView, cues, fan_out, load_drill, pace, plain_view

    doc = load_drill(directory)
    items = cues(doc, trainee)
    sender = _sender(ctx, url, profile, doc, directory)
    live = not plain and sys.stdout.isatty()
    if live:
        with LiveView(f"{doc['meta'].get('scenario', '')} ×{speed:g}") as view:
            pace(items, speed, fan_out([view, *([sender] if sender else [])]))
    else:
        pace(items, speed, fan_out([plain_view(click.echo), *([sender] if sender else [])]))
    if sender is not None:
        click.echo(f"sent {sender.sent} requests to {url}; {len(sender.failed)} failed")
        if sender.failed:
            sys.exit(1)


def _sender(ctx: click.Context, url, profile, doc, directory) -> InjectSender | None:
    if url is None:
        if profile is not None:
            raise InputError("--profile needs --to URL", source="--profile")
        return None
    from sim.drill.score import load_key
    from sim.drill.send import make_sender

    def log(line: str) -> None:
        click.echo(f"warning: {line}", err=True)

    answers = load_key(directory)  # a drill directory without its key is refused either way
    if profile is None:
        return make_sender(url, log=log)
    senders = getattr(ctx.parent.command if ctx.parent else None, "profile_senders", None)
    if senders is None:
        raise InputError("endpoint profiles need the load tester (loadtest.commands."
                         "install_drill_sender was not called on this drill group)",
                         source="--profile")
    return senders(url, profile, doc, answers, log=log)


@drill.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the score as JSON to this file (- for stdout).")
def score(directory, responses, json_path) -> None:
    """Score trainees' responses.csv against the drill's answer key, per trainee and overall.

    Format of responses.csv: docs/drills.md. Example: hotline drill score drills/js responses.csv
    """
    import json

    from sim.drill.score import format_table, score_drill

    doc = score_drill(directory, responses)
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if json_path is not None and str(json_path) == "-":
        click.echo(text, nl=False)
        return
    click.echo(format_table(doc))
    if json_path is not None:
        json_path.write_text(text, encoding="utf-8")
        click.echo(f"written: {json_path}")


@drill.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 serves the training room's LAN.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port (0: any free port).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True, max=600), default=1.0,
              show_default=True, callback=_finite,
              help="Speed-up of the drill clock: 10 runs 90 minutes in 9.")
@click.option("--grace", "grace_s", type=click.FloatRange(min=0), default=30.0,
              show_default=True, callback=_finite,
              help="Drill seconds past an inject's target before it is missed.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite file of the live drill (default: DIR/live.sqlite); an existing one "
                   "is resumed.")
@click.option("--reset", is_flag=True, help="Delete the database first: a new drill, new links.")
@click.option("--public-url", "public_url", metavar="URL", default=None,
              help="Base of the printed links when trainees reach this machine by another "
                   "address, e.g. http://192.168.1.20:8765.")
@click.option("--links", "links_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the links as JSON to this file.")
def serve(directory, host, port, speed, grace_s, db, reset, public_url, links_path) -> None:
    """Run a drill live in the browser: a dashboard for the trainer, a console per trainee.

    Prints the trainer's link and one per trainee (each with its own token). Decisions are
    saved to SQLite as they are made; restarting on the same database resumes the drill.
    Stop with Ctrl-C. Example: hotline drill serve drills/js --speed 2 --host 0.0.0.0
    """
    from sim.drill.live.serve import base_url, bind, check_links_path, links, open_live
    from sim.drill.live.serve import serve as run

    if links_path is not None:
        check_links_path(links_path)
    sock = bind(host, port)  # first: a port in use writes no database
    try:
        live = open_live(directory, db, speed, grace_s, reset=reset, held=True)
    except BaseException:
        sock.close()
        raise
    found = links(live, public_url.rstrip("/") if public_url else base_url(sock, host))
    run(live, sock, on_serving=lambda: _announce(live, found, speed, links_path))


def _announce(live, found, speed: float, links_path: Path | None) -> None:
    """The banner and the links, once the server accepts connections (and the clock runs)."""
    from sim.drill.live.serve import write_links

    click.echo(f"live drill {live.meta.get('scenario', '')}: {len(live.injects)} injects, "
               f"{len(live.trainees)} trainees, ×{speed:g}; clock {live.clock.status} at "
               f"{live.now():.0f} s; database {live.store.path}")
    for line in found.lines():
        click.echo(line)
    if links_path is not None:
        write_links(links_path, found)
    sys.stdout.flush()

