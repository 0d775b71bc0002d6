"""The order records of one replication, kept as columns (``orders.csv.gz``, docs/records.md).

While the model runs, ``sim.model.linkage.orders.OrderSystem`` keeps each order's fields by
its id in typed arrays, and hands them over as one numpy column per field when the run ends
(``OrderLog(columns)``); ``OrderLog.of_rows`` makes the same columns from records (a list of
``OrderRecord``, e.g. read back from a file or built by a test). The results read the columns
(``columns``); the auditor and tests read ``OrderRecord`` tuples (iteration, indexing), as they
read the call legs of ``sim.model.record_log.RecordLog``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple, get_type_hints, overload

import numpy as np


class OrderRecord(NamedTuple):
    """The immutable record of one order (see docs/records.md, ``orders.csv.gz``)."""

    order_id: int
    kind: str
    call_id: int
    linked_order_id: int
    region: str
    line: str
    dispatched_to: str
    category: str
    urgency: str
    created: float
    deadline: float
    signed: float
    closed: float
    on_time: int
    reopened: int
    satisfaction: float


ORDER_FIELDS = OrderRecord._fields
# The dtype of each field's column: strings are object arrays (they are compared, never
# computed on), counts int64, times and scores float64 (NaN: did not happen).
ORDER_DTYPES: dict[str, type] = {
    name: (object if kind is str else np.int64 if kind is int else np.float64)
    for name, kind in get_type_hints(OrderRecord).items()}
_WIDTH = len(ORDER_FIELDS)


class OrderLog(Sequence[OrderRecord]):
    """One replication's orders by id, as numpy columns (``columns``) or records (iteration)."""

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self._columns = columns

    @classmethod
    def of_rows(cls, rows: Sequence[Sequence]) -> OrderLog:
        """The log of ``rows``, each an order's fields in ``OrderRecord`` order, by id (what
        follows the fields in a row is left out)."""
        if not rows:
            return cls({name: np.empty(0, dtype=dtype) for name, dtype in ORDER_DTYPES.items()})
        values = zip(*rows, strict=True)  # a column per field (then what follows: ignored)
        return cls({name: np.array(column, dtype=ORDER_DTYPES[name])
                    for name, column in zip(ORDER_FIELDS, values, strict=False)})

    def columns(self) -> dict[str, np.ndarray]:
        """The orders as numpy columns by ``OrderRecord`` field, by id. The dict is new; the
        arrays are the log's own (do not write into them)."""
        return dict(self._columns)

    def __len__(self) -> int:
        return len(self._columns["order_id"])

    def __iter__(self) -> Iterator[OrderRecord]:
        make = OrderRecord._make
        columns = [self._columns[name].tolist() for name in ORDER_FIELDS]
        return (make(values) for values in zip(*columns, strict=True))

    @overload
    def __getitem__(self, index: int) -> OrderRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[OrderRecord]: ...

    def __getitem__(self, index: int | slice) -> OrderRecord | list[OrderRecord]:
        if isinstance(index, slice):
            return list(self)[index]
        return OrderRecord._make(_python(self._columns[name][index]) for name in ORDER_FIELDS)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OrderLog | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (equal to a list of its records)

    def __repr__(self) -> str:
        return f"OrderLog({len(self)} orders)"


def _python(value: object) -> object:
    """A column's element as a Python value (strings are already)."""
    return value.item() if isinstance(value, np.generic) else value
