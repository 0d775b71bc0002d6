"""The options that several ``hotline`` commands share, each defined once with one meaning.

``--set PATH=VALUE``        override a scenario key (repeatable), applied when the command loads
                            the scenario (:func:`load` below);
``--replications/-r N``     independent replications (default: the scenario's);
``--seed N``                the scenario seed (replication seeds derive from it);
``--jobs/-j N``             parallel **processes for replications**, 0 (the default) = one per
                            CPU core; the callback turns 0 into the count, so a command receives
                            the number of processes; the output never depends on it. Other
                            kinds of parallelism have their own names (``loadtest
                            --processes``: Locust processes; ``serve --workers``, ``bench server
                            --workers``: server processes);
``--lang en|zh``            language of labels (plots, HTML; drills: the callers' openings);
``--quiet/-q``              no progress bar;
``--cluster ADDRESS|local:N``  replications as Dask tasks (env ``HOTLINE_CLUSTER``);
``--out DIR``               the output directory.

Each is a factory returning a click decorator; a command may give its own help line where the
option's effect there needs saying (e.g. ``--set`` "for every run" of a sweep), and bounds
where they differ (``-r`` at least 2 where confidence intervals are compared), but never
another meaning. ``loadtest`` commands import them from here too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from sim.domain.errors import InputError

Decorator = Callable[[Callable], Callable]

SET_HELP = ("Override a scenario key, e.g. --set centres.622900/110.seats.peak=40 "
            "(repeatable; typed like the key).")
REPLICATIONS_HELP = "Independent replications (default: the scenario's)."
SEED_HELP = "Scenario seed (default: the scenario's); replication seeds derive from it."
JOBS_HELP = "Replications run in parallel processes (0: one per CPU core)."
LANG_HELP = "Labels of plots and HTML: zh needs a CJK font (else English)."
QUIET_HELP = "No progress bar."


def set_option(help: str = SET_HELP) -> Decorator:
    """``--set PATH=VALUE`` (repeatable) as the parameter ``overrides``."""
    return click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=help)


def replications_option(help: str = REPLICATIONS_HELP, *, minimum: int = 1,
                        default: int | None = None) -> Decorator:
    """``--replications/-r N`` (``None``: the scenario's, unless ``default`` is given)."""
    return click.option("--replications", "-r", type=click.IntRange(min=minimum),
                        default=default, show_default=default is not None, help=help)


def seed_option(help: str = SEED_HELP) -> Decorator:
    """``--seed N`` (``None``: the scenario's)."""
    return click.option("--seed", type=click.IntRange(min=0), default=None, help=help)


def all_cores(_ctx: click.Context | None, _param: click.Parameter | None, value: int) -> int:
    """``--jobs 0`` (the default) means one process per CPU core."""
    return value or os.cpu_count() or 1


def jobs_option(help: str = JOBS_HELP) -> Decorator:
    """``--jobs/-j N``: processes for replications; the command receives N ≥ 1."""
    return click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
                        show_default=True, callback=all_cores, help=help)


def lang_option(help: str = LANG_HELP, *, default: str = "en") -> Decorator:
    """``--lang en|zh``."""
    choices = ["en", "zh"] if default == "en" else ["zh", "en"]
    return click.option("--lang", type=click.Choice(choices), default=default,
                        show_default=True, help=help)


def quiet_option(help: str = QUIET_HELP) -> Decorator:
    """``--quiet/-q``: no progress bar."""
    return click.option("--quiet", "-q", is_flag=True, help=help)


def out_option(help: str, *, required: bool = False) -> Decorator:
    """``--out DIR`` as the parameter ``out_dir`` (a folder; ``None`` when not given)."""
    return click.option("--out", "out_dir", required=required, default=None,
                        type=click.Path(file_okay=False, path_type=Path), help=help)


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


def load(scenario: str | Path, overrides: Iterable[str] = (), *,
         replications: int | None = None, seed: int | None = None):
    """The command's scenario, loaded and validated with ``--set``, ``-r`` and ``--seed``
    applied (``InputError``, exit 2, before any work); the library gets this object."""
    from sim.experiments.runner import prepare

    return prepare(scenario, overrides, replications=replications, seed=seed)
