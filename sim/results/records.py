"""Call-leg records as columns, and their compressed CSV form (docs/records.md).

The model appends plain tuples in ``CallLeg`` order; this module turns one replication's tuples
into numpy columns for the KPIs and into ``calls.csv.gz`` rows for people and other tools.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.model.calls import CHANNELS, DISPOSITIONS, OUTCOMES, SEATS, TRANSFER_MODES, CallLeg

CALL_COLUMNS = (
    "replication", "call_id", "leg", "caller_id", "attempt", "region", "line", "category",
    "channel", "priority", "incident_id", "arrival", "answered", "talk_end", "released", "ended",
    "outcome", "disposition", "transfer_mode", "to_line", "seat", "redial_of", "parent_leg",
    "hold_end", "negotiation_end", "deadline",
)
FIELD = {name: i for i, name in enumerate(CallLeg._fields)}
TIME_FIELDS = ("arrival", "answered", "talk_end", "released", "ended", "hold_end",
               "negotiation_end", "deadline")


@dataclass(frozen=True)
class Names:
    """How to print the integer codes in records: centres' regions and lines, categories, lines."""

    centre_regions: Sequence[str]
    centre_lines: Sequence[str]
    categories: Sequence[str]
    lines: Sequence[str]


def to_columns(records: list[tuple]) -> dict[str, np.ndarray]:
    """One replication's record tuples as a dict of numpy columns (``CallLeg`` field names)."""
    if not records:
        return {name: np.empty(0) for name in CallLeg._fields}
    table = np.array(records, dtype=float)
    cols = {name: table[:, i] for i, name in enumerate(CallLeg._fields)}
    for name in CallLeg._fields:
        if name not in TIME_FIELDS:
            cols[name] = cols[name].astype(np.int64)
    deadline = cols["deadline"]
    deadline[np.isinf(deadline)] = np.nan  # a leg that cannot give up has no deadline
    return cols


def _lookup(codes: Sequence[str], index: np.ndarray) -> np.ndarray:
    table = np.asarray([*codes, ""], dtype=object)  # index -1 prints as empty
    return table[index]


_ROW = ",".join(["%d"] * 5 + ["%s"] * 4 + ["%d"] * 2 + ["%.3f"] * 5 + ["%s"] * 5 + ["%d"] * 2
                + ["%.3f"] * 3)
_NAN_FIELD = re.compile(r"(?<=,)nan(?=,|\n)")


def format_calls_csv(cols: dict[str, np.ndarray], replication: int, names: Names) -> str:
    """The CSV rows (no header) of one replication, in ``CALL_COLUMNS`` order.

    Times are printed with millisecond precision; a time that did not happen is an empty cell.
    """
    n = len(cols["call_id"])
    if n == 0:
        return ""
    centre = cols["centre"]
    columns = [
        np.full(n, replication), cols["call_id"], cols["leg"],
        cols["caller_id"], cols["attempt"], _lookup(names.centre_regions, centre),
        _lookup(names.centre_lines, centre), _lookup(names.categories, cols["category"]),
        _lookup(CHANNELS, cols["channel"]), cols["priority"], cols["incident_id"],
        cols["arrival"], cols["answered"], cols["talk_end"], cols["released"], cols["ended"],
        _lookup(OUTCOMES, cols["outcome"]), _lookup(DISPOSITIONS, cols["disposition"]),
        _lookup(TRANSFER_MODES, cols["transfer_mode"]), _lookup(names.lines, cols["to_line"]),
        _lookup(SEATS, cols["seat"]), cols["redial_of"], cols["parent_leg"],
        cols["hold_end"], cols["negotiation_end"], cols["deadline"],
    ]
    rows = zip(*[c.tolist() for c in columns], strict=True)
    text = "\n".join([_ROW % row for row in rows]) + "\n"
    return _NAN_FIELD.sub("", text)


def gzip_bytes(text: str) -> bytes:
    """``text`` as one gzip member with a zero timestamp (so equal input gives equal bytes)."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def header_member(columns: Sequence[str]) -> bytes:
    """The header line as its own gzip member; replication members follow it."""
    return gzip_bytes(",".join(columns) + "\n")


def read_calls(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a ``calls.csv.gz`` (or ``orders.csv.gz``) as dicts of strings."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)
