"""The call-leg records of one replication, collected as numpy blocks while the model runs.

A centre hands each ended leg to the log packed, its fields as int64s and float64s in
``LEG_FIELDS`` order (``sim.model.record.PACKED``; ``RecordLog.append`` is a list's own ``append``: nothing is
added to the hot path). The hour tick calls ``flush``, which joins the records gathered so far
into one numpy block per field, so a replication holds about 200 bytes a leg (24 8-byte
fields) instead of a Python tuple with its boxed floats (about 700). ``seal`` sorts the
blocks by ``(call_id, leg)`` into numpy columns; the results read those (``columns``), the
auditor and tests read tuples (iteration, indexing: ``sim.model.record.unpack_record``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sim.model.record import FIELD, LEG_FIELDS, LEG_NAMES, RECORD_DTYPE


class RecordLog:
    """One replication's call-leg records: appended packed, kept as numpy columns.

    Integer fields stay int64 and times float64 from the packed bytes to the columns.
    """

    def __init__(self) -> None:
        self._rows: list[bytes] = []
        self.append = self._rows.append  # the record sink: one C call per leg
        self._parts: list[list[np.ndarray]] = [[] for _ in LEG_FIELDS]  # per field: blocks
        self._columns: dict[str, np.ndarray] | None = None

    def flush(self) -> None:
        """Move the records appended since the last flush into numpy blocks, one per field."""
        if self._rows:
            block = np.frombuffer(b"".join(self._rows), dtype=RECORD_DTYPE)
            self._rows.clear()  # the same list: ``append`` stays bound to it
            for name, part in zip(LEG_NAMES, self._parts, strict=True):
                part.append(np.ascontiguousarray(block[name]))

    def seal(self) -> None:
        """Sort every record by ``(call_id, leg)`` (unique per leg) into numpy columns.

        Legs appended after sealing are taken in by the next ``seal``.
        """
        self.flush()
        if self._columns is not None:  # sealed before: its columns go first
            for part, name in zip(self._parts, LEG_NAMES, strict=True):
                part.insert(0, self._columns[name])
        parts, self._parts = self._parts, [[] for _ in LEG_FIELDS]

        leg = _concat(parts[FIELD["leg"]], np.int64)
        key = _concat(parts[FIELD["call_id"]], np.int64) * (int(leg.max(initial=0)) + 1)
        # One int key; records come nearly in call order, which a stable (run-merging) sort
        # exploits: several times cheaper than np.lexsort on the two columns.
        order = np.argsort(key + leg, kind="stable")
        self._columns = {}
        for i, f in enumerate(LEG_FIELDS):
            values = _concat(parts[i], RECORD_DTYPE[i])[order]
            parts[i] = []  # a field's blocks are freed as soon as its column is built
            values.flags.writeable = False  # shared by every reader of the log
            self._columns[f.name] = values

    def columns(self) -> dict[str, np.ndarray]:
        """The records as numpy columns by field name, sorted by ``(call_id, leg)``: integers
        as int64, times as float64 (``deadline`` inf where the leg could not give up). The
        dict is new; the arrays are the log's own (do not write into them)."""
        if self._columns is None or self._rows or self._parts[0]:
            self.seal()
        assert self._columns is not None
        return dict(self._columns)

    def __len__(self) -> int:
        sealed = 0 if self._columns is None else len(self._columns["call_id"])
        return sealed + sum(len(b) for b in self._parts[0]) + len(self._rows)

    def __iter__(self) -> Iterator[tuple]:
        """The records as tuples (``CallLeg`` field order), in ``(call_id, leg)`` order."""
        cols = self.columns()
        for start in range(0, len(cols["call_id"]), 4096):
            yield from _tuples(cols, slice(start, start + 4096))

    def __getitem__(self, index: int | slice) -> tuple | list[tuple]:
        """Record ``index`` (in ``(call_id, leg)`` order) as a tuple; a slice gives a list."""
        cols = self.columns()
        n = len(cols["call_id"])
        if isinstance(index, slice):
            return _tuples(cols, slice(*index.indices(n)))
        if not -n <= index < n:
            raise IndexError(f"record {index} of {n}")
        index %= n
        return _tuples(cols, slice(index, index + 1))[0]

    def __getstate__(self) -> dict:
        """The log without its bound ``append`` (copies and pickles bind their own)."""
        state = dict(self.__dict__)
        del state["append"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.append = self._rows.append


def _concat(blocks: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    return np.concatenate(blocks) if blocks else np.empty(0, dtype)


def _tuples(cols: dict[str, np.ndarray], rows: slice) -> list[tuple]:
    return list(zip(*(cols[name][rows].tolist() for name in LEG_NAMES), strict=True))
