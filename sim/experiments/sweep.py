"""Parameter sweeps: every point of a grid of ``--vary PATH=v1,v2,...`` values, each a full set
of replications with the same seed (common random numbers); ``sim.report.sweep`` tabulates and
plots them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim.domain.errors import InputError
from sim.experiments.variants import split_top_level
from sim.scenario import Scenario, with_overrides


@dataclass
class Point:
    """One grid point: its parameter values, the KPI document of its replications and the
    scenario it ran (to tell which centres' inputs the point changes)."""

    values: tuple[str, ...]
    doc: dict
    scenario: object = field(default=None, repr=False, compare=False)


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``PATH=v1,v2,...`` (commas inside [] or {} stay in a value) → path, values."""
    path, sep, rest = text.partition("=")
    values = [v.strip() for v in split_top_level(rest)]
    if not sep or not path.strip() or not all(values):
        raise InputError(f"expected PATH=v1,v2,..., got {text!r}", key="--vary")
    return path.strip(), values


def grid(varies: Sequence[tuple[str, list[str]]]) -> list[tuple[str, ...]]:
    """Every combination of the varied values, the first parameter varying slowest."""
    return list(itertools.product(*[v for _, v in varies]))


def run_sweep(scenario: Scenario, varies: Sequence[tuple[str, list[str]]], *, jobs: int,
              on_done: Callable[[object], None] | None = None) -> list[Point]:
    """Run every grid point of the loaded ``scenario`` (replications in ``jobs`` processes).

    A point is ``with_overrides(scenario, ["PATH=value", ...])``: the scenario's own ``--set``
    overrides, then the point's, then its ``-r``/``--seed`` (the same seed at every point).
    Every point is loaded (and so validated) before any runs.
    """
    from sim.experiments.replications import run_replications
    from sim.experiments.runner import kpis_document

    if not varies:
        raise InputError("give at least one --vary PATH=v1,v2,...", key="--vary")
    paths = [p for p, _ in varies]
    points = grid(varies)
    scenarios = [with_overrides(scenario, [f"{p}={v}" for p, v in zip(paths, values, strict=True)])
                 for values in points]
    out = []
    for values, scn in zip(points, scenarios, strict=True):
        summaries = run_replications(scn, jobs=jobs, on_done=on_done)
        doc = kpis_document(scn, summaries).to_json()
        out.append(Point(values, {k: doc[k] for k in (
            "scenario", "seed", "replications", "overall", "lines", "regions", "centres",
            "targets", "kpi_names")}, scn))
    return out
