"""Call-leg records as columns, and their compressed CSV form (docs/records.md).

The model appends plain tuples in ``CallLeg`` order; this module turns one replication's tuples
into numpy columns for the KPIs and into ``calls.csv.gz`` rows for people and other tools.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from isal import igzip

from sim.model.calls import CHANNELS, DISPOSITIONS, OUTCOMES, SEATS, TRANSFER_MODES
from sim.model.record import CALL_COLUMNS, FIELD, INT, LEG_FIELDS, LEG_NAMES, TIME, TIME_FIELDS
from sim.model.record_log import RecordLog
from sim.results.csvtext import Cells, const, csv_batches, csv_rows, fixed, ints, table_cells

# The first three come from sim.model.record.
__all__ = ["CALL_COLUMNS", "FIELD", "TIME_FIELDS", "Names", "to_columns", "call_cells",
           "format_calls_csv", "gzip_rows", "gzip_bytes", "header_member", "read_calls"]


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


def call_cells(cols: dict[str, np.ndarray], replication: int, names: Names) -> list[Cells]:
    """The columns of one replication's ``calls.csv.gz`` rows, in ``CALL_COLUMNS`` order: the
    replication, then each field's columns (a code through its table of names, -1 empty)."""
    n = len(cols["call_id"])
    cells = [const(str(replication), n)]
    for f in LEG_FIELDS:
        for c in f.csv_columns:
            values = cols[f.name]
            cells.append(table_cells(values, names.table(c.table)) if c.table
                         else fixed(values, 3) if f.dtype == TIME else ints(values))
    return cells


def format_calls_csv(cols: dict[str, np.ndarray], replication: int, names: Names) -> str:
    """The CSV rows (no header) of one replication, in ``CALL_COLUMNS`` order.

    Times are printed with millisecond precision (``%.3f``); a time that did not happen (NaN)
    is an empty cell. ``gzip_rows(call_cells(...))`` compresses the same text without ever
    holding all of it.
    """
    return b"".join(csv_rows(call_cells(cols, replication, names))).decode("utf-8")


# ISA-L's levels run 0-3; 1 compresses calls.csv about as well as 2 and faster, 3 is 5 % smaller
# for twice the time (docs/records.md).
GZIP_LEVEL = 1


def gzip_rows(columns: Sequence[Cells]) -> bytes:
    """The rows of ``columns`` (``sim.results.csvtext``) as one gzip member, formatted and
    compressed a batch at a time (the whole text is never held)."""
    return gzip_bytes(csv_batches(columns))


def gzip_bytes(data: str | bytes | Iterable[bytes | np.ndarray]) -> bytes:
    """``data`` (text, or UTF-8 chunks: ``bytes`` or any buffer, e.g. uint8 arrays) as one gzip
    member, the same bytes for the same input.

    ISA-L's gzip (python-isal's ``IGzipFile``) at level ``GZIP_LEVEL``: 10 to 15 times faster
    than zlib's level 6 for about 1.2 times the size (docs/records.md). No file name and a zero
    timestamp, so the bytes depend on the data alone; readers see plain gzip.
    """
    chunks = [data.encode("utf-8")] if isinstance(data, str) else \
        [data] if isinstance(data, bytes) else data
    out = io.BytesIO()
    with igzip.IGzipFile(fileobj=out, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as gz:
        for chunk in chunks:
            gz.write(chunk)
    return out.getvalue()


def header_member(columns: Sequence[str]) -> bytes:
    """The header line as its own gzip member; replication members follow it."""
    return gzip_bytes(",".join(columns) + "\n")


def read_calls(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a ``calls.csv.gz`` (or ``orders.csv.gz``) as dicts of strings."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)
