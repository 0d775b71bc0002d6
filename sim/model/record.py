"""The layout of a call-leg record, declared once (docs/records.md lists the same fields).

Every other form of the record is derived from ``LEG_FIELDS``: the ``CallLeg`` named tuple and
the tuple the model appends (``sim.model.calls``), the numpy columns and the ``calls.csv.gz``
header and rows (``sim.results.records``). A field is an integer or a time; an integer may be a
code printed through a table of names, and one field may print as several CSV columns (the
centre prints as its region and its line).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

INT, TIME = "int", "time"  # dtype of a field: int64, or float seconds (NaN: did not happen)
CSV_FORMAT = {INT: "%d", TIME: "%.3f"}  # a code printed through a name table is "%s"


@dataclass(frozen=True)
class Column:
    """One CSV column of a field: its header name and the name table it prints through
    (``""``: the value itself, in the field's format)."""

    name: str
    table: str = ""

    @property
    def format(self) -> str:
        """The ``%`` format of the column's cell (``%s`` for a name; else set by the field)."""
        return "%s" if self.table else ""


@dataclass(frozen=True)
class Field:
    """One field of a call-leg record: its name, its dtype and the CSV columns it prints as."""

    name: str
    dtype: str
    columns: tuple[Column, ...] = ()

    @property
    def csv_columns(self) -> tuple[Column, ...]:
        """The CSV columns (by default one, named like the field, printing the value)."""
        return self.columns or (Column(self.name),)

    def csv_formats(self) -> tuple[str, ...]:
        """The ``%`` format of each CSV column."""
        return tuple(c.format or CSV_FORMAT[self.dtype] for c in self.csv_columns)


def _code(name: str, table: str) -> Field:
    return Field(name, INT, (Column(name, table),))


# Name tables: ``centre_regions``, ``centre_lines``, ``categories`` and ``lines`` come from the
# scenario (``sim.results.records.Names``); the others are the code tuples of ``sim.model.calls``.
LEG_FIELDS: tuple[Field, ...] = (
    Field("call_id", INT),
    Field("leg", INT),
    Field("caller_id", INT),
    Field("attempt", INT),
    Field("centre", INT, (Column("region", "centre_regions"), Column("line", "centre_lines"))),
    _code("category", "categories"),
    _code("channel", "channels"),
    Field("priority", INT),
    Field("incident_id", INT),
    Field("arrival", TIME),
    Field("answered", TIME),
    Field("talk_end", TIME),
    Field("released", TIME),
    Field("ended", TIME),
    _code("outcome", "outcomes"),
    _code("disposition", "dispositions"),
    _code("transfer_mode", "transfer_modes"),
    _code("to_line", "lines"),
    _code("seat", "seats"),
    Field("redial_of", INT),
    Field("parent_leg", INT),
    Field("hold_end", TIME),
    Field("negotiation_end", TIME),
    Field("deadline", TIME),
)
LEG_NAMES: tuple[str, ...] = tuple(f.name for f in LEG_FIELDS)
TIME_FIELDS: tuple[str, ...] = tuple(f.name for f in LEG_FIELDS if f.dtype == TIME)
FIELD: dict[str, int] = {name: i for i, name in enumerate(LEG_NAMES)}  # position in a record
# The columns of ``calls.csv.gz``: the replication index, then each field's columns.
CALL_COLUMNS: tuple[str, ...] = ("replication",) + tuple(
    c.name for f in LEG_FIELDS for c in f.csv_columns)

CallLeg = NamedTuple("CallLeg", [(f.name, int if f.dtype == INT else float)  # noqa: UP014
                                 for f in LEG_FIELDS])
CallLeg.__doc__ = "The immutable record of one call leg (fields: ``LEG_FIELDS``)."

PACKED = struct.Struct("@" + "".join("q" if f.dtype == INT else "d" for f in LEG_FIELDS))
"""How the model hands a record over: the fields in ``LEG_FIELDS`` order, native int64s and
float64s (``PACKED.size`` bytes, 8 a field, no padding). An int packs as itself (a float64
would convert it through a float object, several times the work). The record log joins these
bytes into numpy blocks without a Python object per field (``sim.model.record_log``)."""

RECORD_DTYPE = np.dtype([(f.name, np.int64 if f.dtype == INT else np.float64)
                         for f in LEG_FIELDS])
"""``PACKED`` as a numpy structured dtype: ``np.frombuffer(rows, RECORD_DTYPE)``."""
assert RECORD_DTYPE.itemsize == PACKED.size


def unpack_record(packed: bytes) -> tuple:
    """A packed record as the tuple of its fields (integers as ``int``, times as ``float``)."""
    return PACKED.unpack(packed)
