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

from sim.model.calls import CHANNELS, DISPOSITIONS, OUTCOMES, SEATS, TRANSFER_MODES
from sim.model.record import CALL_COLUMNS, FIELD, INT, LEG_FIELDS, LEG_NAMES, TIME_FIELDS
from sim.model.record_log import RecordLog

__all__ = ["CALL_COLUMNS", "FIELD", "TIME_FIELDS", "Names", "to_columns", "format_calls_csv",
           "gzip_bytes", "header_member", "read_calls"]  # the first three: sim.model.record


@dataclass(frozen=True)
class Names:
    """How to print the integer codes in records: centres' regions and lines, categories, lines."""

    centre_regions: Sequence[str]
    centre_lines: Sequence[str]
    categories: Sequence[str]
    lines: Sequence[str]

    def table(self, name: str) -> Sequence[str]:
        """The names a code column prints through (``sim.model.record.Column.table``)."""
        return _CODES[name] if name in _CODES else getattr(self, name)


_CODES = {"channels": CHANNELS, "outcomes": OUTCOMES, "dispositions": DISPOSITIONS,
          "transfer_modes": TRANSFER_MODES, "seats": SEATS}


def to_columns(records: RecordLog | list[tuple]) -> dict[str, np.ndarray]:
    """One replication's records (the model's ``RecordLog``, or record tuples) as a dict of
    numpy columns (``CallLeg`` field names)."""
    if isinstance(records, RecordLog):
        cols = records.columns()
        deadline = cols["deadline"]
        cols["deadline"] = np.where(np.isinf(deadline), np.nan, deadline)
        return cols
    if not records:
        return {name: np.empty(0) for name in LEG_NAMES}
    table = np.array(records, dtype=float)
    cols = {f.name: table[:, i].astype(np.int64) if f.dtype == INT else table[:, i]
            for i, f in enumerate(LEG_FIELDS)}
    deadline = cols["deadline"]
    deadline[np.isinf(deadline)] = np.nan  # a leg that cannot give up has no deadline
    return cols


def _lookup(codes: Sequence[str], index: np.ndarray) -> np.ndarray:
    table = np.asarray([*codes, ""], dtype=object)  # index -1 prints as empty
    return table[index]


_ROW = ",".join(["%d", *(fmt for f in LEG_FIELDS for fmt in f.csv_formats())])
_NAN_FIELD = re.compile(r"(?<=,)nan(?=,|\n)")


def format_calls_csv(cols: dict[str, np.ndarray], replication: int, names: Names) -> str:
    """The CSV rows (no header) of one replication, in ``CALL_COLUMNS`` order.

    Times are printed with millisecond precision; a time that did not happen is an empty cell.
    """
    n = len(cols["call_id"])
    if n == 0:
        return ""
    columns = [np.full(n, replication)]
    for f in LEG_FIELDS:
        columns += [_lookup(names.table(c.table), cols[f.name]) if c.table else cols[f.name]
                    for c in f.csv_columns]
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
