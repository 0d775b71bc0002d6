"""A drill's traffic: the first calls (leg 0) of a run directory inside the drill's window.

Everything comes from the run's files (docs/records.md): ``scenario.resolved.yaml`` for the start
timestamp and the lines' talk times, ``timeseries.csv`` for the offered load per interval and
``calls.csv.gz`` for the calls. Only replication 0 is read.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.domain.errors import InputError
from sim.results.records import read_calls
from sim.scenario import Scenario, load_scenario
from sim.scenario.plan import build_plans, expected_calls_by_hour

RUN_FILES = ("scenario.resolved.yaml", "timeseries.csv", "calls.csv.gz")
DEFAULT_TALK_MEAN = 120.0
"""Talk mean (s) for a line the scenario does not describe."""


@dataclass(frozen=True)
class WindowCall:
    """One call first reaching a centre inside the window (a ``calls.csv.gz`` leg-0 row)."""

    call_id: int
    line: str
    region: str
    category: str
    arrival: float


SURGE_FACTOR = 1.5
"""A centre surges when its offered calls exceed this multiple of its normal level ..."""
SURGE_SIGMAS = 4.0
"""... by more than this many Poisson standard deviations of the normal level."""


@dataclass(frozen=True)
class Interval:
    """The whole network in one time-series interval.

    ``offered`` and ``borrowed`` are summed over centres; ``normal`` is the scenario's expected
    first attempts without disasters (``sim.scenario.plan.expected_calls_by_hour``), 0 when unknown;
    ``excess`` is the calls above normal at the centres that surge in this interval.
    """

    t: float
    offered: float
    borrowed: float
    normal: float = 0.0
    excess: float = 0.0


@dataclass(frozen=True)
class Run:
    """A run directory, opened for a drill."""

    directory: Path
    scenario: Scenario
    intervals: tuple[Interval, ...]

    @property
    def horizon(self) -> float:
        """The run's horizon in seconds."""
        return self.scenario.horizon

    def talk_mean(self, line: str) -> float:
        """Mean talk time (s) of ``line`` in this scenario."""
        spec = self.scenario.lines.get(line)
        return float(spec.talk.mean) if spec is not None else DEFAULT_TALK_MEAN

    def calls(self, start: float, end: float) -> list[WindowCall]:
        """Leg-0 calls of replication 0 arriving in ``[start, end)``, by arrival."""
        rows = [c for c in _leg0(self.directory / "calls.csv.gz") if start <= c.arrival < end]
        return sorted(rows, key=lambda c: (c.arrival, c.call_id))


def open_run(directory: Path) -> Run:
    """Open a run directory written by ``hotline run``; ``InputError`` when a file is missing."""
    directory = Path(directory)
    for name in RUN_FILES:
        if not (directory / name).is_file():
            raise InputError(f"not a run directory: {name} is missing (write one with "
                             f"`hotline run ... --out DIR`)", source=directory)
    scenario = load_scenario(directory / "scenario.resolved.yaml")
    return Run(directory, scenario, read_intervals(directory / "timeseries.csv",
                                                   normal_levels(scenario)))


def normal_levels(scenario: Scenario) -> dict[str, np.ndarray]:
    """Per centre key, the expected first attempts per hour without disasters."""
    return {plan.key: expected_calls_by_hour(plan, scenario) for plan in build_plans(scenario)}


def read_intervals(path: Path, normal: dict[str, np.ndarray] | None = None
                   ) -> tuple[Interval, ...]:
    """``timeseries.csv`` summed over centres per interval, with normal level and excess."""
    normal = normal or {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    times = sorted({float(r["t"]) for r in rows})
    step = times[1] - times[0] if len(times) > 1 else 900.0
    sums: dict[float, list[float]] = {t: [0.0, 0.0, 0.0, 0.0] for t in times}
    for row in rows:
        t, offered = float(row["t"]), _number(row.get("offered"))
        hourly = normal.get(row.get("centre", ""))
        level = 0.0
        if hourly is not None and len(hourly):
            level = float(hourly[min(int(t // 3600), len(hourly) - 1)]) * step / 3600.0
        acc = sums[t]
        acc[0] += offered
        acc[1] += _number(row.get("borrowed"))
        acc[2] += level
        if level > 0 and offered > SURGE_FACTOR * level and \
                offered - level > SURGE_SIGMAS * math.sqrt(level):
            acc[3] += offered - level
    return tuple(Interval(t, *sums[t]) for t in times)


def _number(text: str | None) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0


def _leg0(path: Path) -> Iterator[WindowCall]:
    for row in read_calls(path):
        if row["replication"] != "0" or row["leg"] != "0":
            continue
        yield WindowCall(int(row["call_id"]), row["line"], row["region"], row["category"],
                         float(row["arrival"]))
