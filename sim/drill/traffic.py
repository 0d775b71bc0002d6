"""A drill's traffic: the first calls (leg 0) of a run directory inside the drill's window.

Everything comes from the run's files (docs/records.md): ``scenario.resolved.yaml`` for the start
timestamp and the lines' talk times, ``timeseries.csv`` for the offered load per interval and
``calls.csv.gz`` for the calls. Only replication 0 is read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError
from sim.records import read_calls
from sim.scenario import Scenario, load_scenario

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


@dataclass(frozen=True)
class Interval:
    """Offered calls and borrowed seats of the whole network in one time-series interval."""

    t: float
    offered: float
    borrowed: float


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
    return Run(directory, scenario, read_intervals(directory / "timeseries.csv"))


def read_intervals(path: Path) -> tuple[Interval, ...]:
    """``timeseries.csv`` summed over centres: offered and borrowed per interval, by time."""
    offered: dict[float, float] = {}
    borrowed: dict[float, float] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            t = float(row["t"])
            offered[t] = offered.get(t, 0.0) + _number(row.get("offered"))
            borrowed[t] = borrowed.get(t, 0.0) + _number(row.get("borrowed"))
    return tuple(Interval(t, offered[t], borrowed[t]) for t in sorted(offered))


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
