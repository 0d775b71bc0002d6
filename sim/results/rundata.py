"""Reading a run directory (docs/records.md, docs/kpis.md) for plots, reports and comparisons.

Only ``kpis.json`` is required. ``timeseries.csv``, ``calls.csv.gz``, ``orders.csv.gz`` and the
sections that model extensions add to ``kpis.json`` are read when present; whatever is missing
or unreadable becomes ``None`` and the report says "no data" for it.
"""

from __future__ import annotations

import csv
import gzip
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.domain.errors import InputError
from sim.results.document import KpiDocument, read_json

LEVEL_COLUMNS = {"seats", "borrowed", "busy", "queue"}
KNOWN_SECTIONS = {"schema", "scenario", "seed", "start", "horizon_hours", "warmup_hours",
                  "replications", "kpi_names", "overall", "lines", "regions", "centres",
                  "targets", "printed"}


@dataclass
class Series:
    """``timeseries.csv`` as arrays: ``values[centre, interval, column]`` (means over replications)."""

    centres: list[str]
    regions: list[str]
    lines: list[str]
    t: np.ndarray
    columns: tuple[str, ...]
    values: np.ndarray
    start: str | None = None  # ISO time of t = 0 (kpis.json "start"), for clock-time axes

    def col(self, name: str, centres: Iterable[int] | None = None) -> np.ndarray:
        """Column ``name`` summed over the given centre indices (all when None): (intervals,)."""
        j = self.columns.index(name)
        idx = list(range(len(self.centres))) if centres is None else list(centres)
        return self.values[idx, :, j].sum(axis=0)

    def members(self, *, line: str | None = None, region: str | None = None,
                centre: str | None = None) -> list[int]:
        """Indices of the centres of a line, a region or one centre."""
        return [i for i, c in enumerate(self.centres)
                if (line is None or self.lines[i] == line)
                and (region is None or self.regions[i] == region)
                and (centre is None or c == centre)]

    def coarsen(self, max_points: int = 200) -> Series:
        """Whole hours (or longer) when there are more than ``max_points`` intervals: counts
        are summed, levels (seats, borrowed, busy, queue) averaged."""
        factor = 1
        per_hour = max(1, round(3600.0 / self.step))
        while len(self.t) // factor > max_points:
            factor = per_hour if factor == 1 and per_hour > 1 else factor * 2
        if factor == 1:
            return self
        n = len(self.t) // factor
        v = self.values[:, : n * factor, :].reshape(len(self.centres), n, factor, -1)
        levels = [j for j, c in enumerate(self.columns) if c in LEVEL_COLUMNS]
        out = v.sum(axis=2)
        out[:, :, levels] = v[:, :, :, levels].mean(axis=2)
        return Series(self.centres, self.regions, self.lines, self.t[: n * factor: factor],
                      self.columns, out, self.start)

    @property
    def step(self) -> float:
        """Interval length in seconds."""
        return float(self.t[1] - self.t[0]) if len(self.t) > 1 else 900.0


@dataclass
class RunData:
    """What a run directory holds, read defensively."""

    directory: Path
    kpis: KpiDocument
    series: Series | None = None
    scenario: object | None = None  # sim.scenario.Scenario when the resolved file loads
    transfers: dict[tuple[str, str], float] | None = None  # (from, to) -> legs per replication
    borrowed_answers: float | None = None  # legs answered by borrowed seats, per replication
    orders: dict[str, np.ndarray] | None = None
    extras: dict[str, object] = field(default_factory=dict)  # kpis.json's other sections, as JSON
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The run's label: its directory name."""
        return self.directory.name


def load_kpis(run_dir: Path) -> KpiDocument:
    """``kpis.json`` of a run directory; ``InputError`` when it is missing or not JSON."""
    return KpiDocument.from_json(read_json(Path(run_dir) / "kpis.json"))


def load_run(run_dir: Path, *, calls: bool = True) -> RunData:
    """Read a run directory; optional parts that fail to load are noted, not raised."""
    run_dir = Path(run_dir)
    doc = read_json(run_dir / "kpis.json")
    data = RunData(run_dir, KpiDocument.from_json(doc))
    data.extras = {k: v for k, v in doc.items() if k not in KNOWN_SECTIONS}
    loaders = [("timeseries.csv", "series", read_series),
               ("scenario.resolved.yaml", "scenario", _read_scenario),
               ("orders.csv.gz", "orders", read_orders)]
    for name, attr, loader in loaders:
        path = run_dir / name
        if not path.exists():
            continue
        try:
            setattr(data, attr, loader(path))
        except (OSError, ValueError, KeyError, IndexError, InputError) as exc:
            data.notes.append(f"{name} could not be read: {exc}")
    if calls and (run_dir / "calls.csv.gz").exists():
        try:
            data.transfers, data.borrowed_answers = read_flows(
                run_dir / "calls.csv.gz", max(1, int(data.kpis.replications or 1)))
        except (OSError, ValueError, KeyError, EOFError) as exc:
            data.notes.append(f"calls.csv.gz could not be read: {exc}")
    return data


def _read_scenario(path: Path):
    from sim.scenario import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_scenario(path)


def read_series(path: Path) -> Series:
    """Parse ``timeseries.csv`` (rows: centre, region, line, t, time, then the series)."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        columns = tuple(header[5:])
        by_centre: dict[str, tuple[str, str, list, list]] = {}
        for row in reader:
            entry = by_centre.setdefault(row[0], (row[1], row[2], [], []))
            entry[2].append(float(row[3]))
            entry[3].append([float(v) if v else math.nan for v in row[5:]])
    if not by_centre:
        raise ValueError("no rows")
    keys = list(by_centre)
    t = np.asarray(by_centre[keys[0]][2])
    values = np.stack([np.asarray(by_centre[k][3], dtype=float) for k in keys])
    return Series(keys, [by_centre[k][0] for k in keys], [by_centre[k][1] for k in keys], t,
                  columns, values)


def _header_index(header: Sequence[str], names: Sequence[str]) -> list[int]:
    missing = [n for n in names if n not in header]
    if missing:
        raise KeyError(f"columns missing: {', '.join(missing)}")
    return [list(header).index(n) for n in names]


def read_flows(path: Path, replications: int) -> tuple[dict[tuple[str, str], float] | None,
                                                       float | None]:
    """Transfers line → line and borrowed-seat answers per replication, from ``calls.csv.gz``.

    Only rows that mention ``transfer`` or ``borrowed`` are parsed, so this stays quick on
    millions of legs. ``None`` for a part whose columns the file does not have.
    """
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    first, _, body = data.partition(b"\n")
    header = next(csv.reader([first.decode("utf-8")]))
    want = [n for n in ("line", "disposition", "to_line", "seat") if n in header]
    idx = dict(zip(want, _header_index(header, want), strict=True))
    flows: dict[tuple[str, str], float] = {}
    borrowed = 0
    for row in csv.reader(_lines_mentioning(body)):
        if "disposition" in idx and row[idx["disposition"]] == "transfer" and "to_line" in idx:
            key = (row[idx["line"]], row[idx["to_line"]])
            flows[key] = flows.get(key, 0) + 1
        if "seat" in idx and row[idx["seat"]] == "borrowed":
            borrowed += 1
    has_flows = "disposition" in idx and "to_line" in idx
    return ({k: v / replications for k, v in flows.items()} if has_flows else None,
            borrowed / replications if "seat" in idx else None)


def read_orders(path: Path) -> dict[str, np.ndarray]:
    """``orders.csv.gz`` as string columns (``on_time`` and ``created`` also as floats)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    cols = {name: np.asarray([r[i] for r in body], dtype=object) for i, name in enumerate(header)}
    for name in ("on_time", "created"):
        if name in cols:
            cols[name + "_f"] = to_float(cols[name])
    return cols


def to_float(values: np.ndarray) -> np.ndarray:
    """Strings to floats, empty cells to NaN."""
    arr = np.asarray(values, dtype=object)
    return np.asarray(np.where(arr == "", "nan", arr).astype(str), dtype=float)


def _lines_mentioning(body: bytes, words: Sequence[bytes] = (b"transfer", b"borrowed"),
                      ) -> Iterator[str]:
    """Each line of ``body`` containing one of ``words``, once, in file order."""
    starts: set[int] = set()
    for word in words:
        at = body.find(word)
        while at >= 0:
            start = body.rfind(b"\n", 0, at) + 1
            starts.add(start)
            end = body.find(b"\n", at)
            at = body.find(word, len(body) if end < 0 else end)
    for start in sorted(starts):
        end = body.find(b"\n", start)
        yield body[start:len(body) if end < 0 else end].decode("utf-8")

