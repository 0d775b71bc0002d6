"""CSV rows formatted a column at a time with numpy, as the ``%`` formats would print them.

The record files (calls, orders, seat events) print integers as ``%d``, times as ``%.3f`` (an
undefined time, NaN, as an empty cell) and codes through tables of names. Formatting each cell in
Python costs a second and hundreds of megabytes per replication; here every column becomes a
matrix of bytes (one row per record, NUL where a cell is shorter than the widest), the columns
and separators sit side by side, and dropping the NULs leaves the rows, byte for byte what
``"%d" % v``, ``"%.3f" % x`` and the names would give. Rows are made a batch at a time, so the
transient memory is a few megabytes whatever the number of records.

``%.{d}f`` rounds the exact binary value of ``x`` half to even. ``rint(x * 10**d)`` agrees
with it except where the rounded product lies within a few ulps of a half; there the product is
rebuilt exactly as a sum of two doubles (Veltkamp's split, Knuth's two-sum) and its sign against
the half decides. Values the fast path does not cover (infinities, ``|x| * 10**d >= 2**52``, or
a column that prints NaN as ``nan``) print through Python's formatting for the whole column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Cells", "ints", "fixed", "table_cells", "const", "text_cells", "value_cells",
           "csv_rows"]

_FAST_LIMIT = 2.0**52  # |x| * 10**d below this: the two-sum below is exact (and fits int64)
_SPLIT = 2.0**27 + 1  # Veltkamp: a double as hi (26 bits) + lo (26 bits)
ROWS_PER_BATCH = 1 << 13  # about 2 MB of text: small next to the compressed file


@dataclass(frozen=True)
class Cells:
    """One CSV column: its values and how they print (``kind``: int, fixed, names, const,
    bytes); ``arg`` is the number of decimals, the table of names or the constant text."""

    kind: str
    values: np.ndarray | None
    arg: object = None

    def __len__(self) -> int:
        return 0 if self.values is None else len(self.values)

    def take(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` of the column as a fixed-width bytes array (``S`` dtype)."""
        if self.kind == "const":
            return np.full(hi - lo, self.arg, dtype=f"S{max(len(self.arg), 1)}")
        part = self.values[lo:hi]
        if self.kind == "int":
            return _int_text(part, self.arg)
        if self.kind == "fixed":
            return _fixed_text(part, self.arg)
        if self.kind == "names":
            return self.arg[part]
        return part


def ints(values: np.ndarray, *, blank_negative: bool = False) -> Cells:
    """Integers printed as ``%d`` (with ``blank_negative``, a negative one as an empty cell)."""
    return Cells("int", np.asarray(values, dtype=np.int64), blank_negative)


def fixed(values: np.ndarray, decimals: int = 3, *, nan: str = "") -> Cells:
    """Floats printed as ``%.{decimals}f``; NaN prints as the text ``nan`` (default: empty)."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    finite = values[~missing]
    if (nan and missing.any()) or (
            len(finite) and not np.abs(finite).max() * 10.0**decimals < _FAST_LIMIT):
        return text_cells([nan if x != x else f"{x:.{decimals}f}" for x in values.tolist()])
    return Cells("fixed", values, decimals)


def table_cells(codes: np.ndarray, table: Sequence[str]) -> Cells:
    """Integer codes printed as ``table[code]``; code -1 prints as an empty cell."""
    encoded = np.array([s.encode("utf-8") for s in table] + [b""], dtype=bytes)
    return Cells("names", np.asarray(codes, dtype=np.int64), encoded)


def const(text: str, n: int) -> Cells:
    """The same ``text`` in each of ``n`` rows (the replication index)."""
    return Cells("const", np.empty(n, dtype=np.int8), text.encode("utf-8"))


def text_cells(cells: Sequence[str]) -> Cells:
    """Cells already printed (a column that needs Python's formatting; no NUL in them)."""
    return Cells("bytes", np.array([c.encode("utf-8") for c in cells] or [b""], dtype=bytes)
                 [:len(cells)])


def value_cells(values: Sequence, cell: Callable[[object], str], *, decimals: int = 3,
                floats: tuple[type, ...] = (float,), nan: str = "", blank_negative: bool = False
                ) -> Cells:
    """A column of Python values (one field of a list of records), printed as ``cell`` prints
    each value, column-wise where the types allow: all ``str`` as they are, all ``int`` as
    ``%d`` (``blank_negative``: below zero empty), all of types ``floats`` as
    ``%.{decimals}f`` with NaN as ``nan``. Any other mix goes cell by cell through ``cell``."""
    kinds = set(map(type, values))
    if kinds == {str}:
        index = {v: i for i, v in enumerate(dict.fromkeys(values))}  # few distinct names
        codes = np.fromiter(map(index.__getitem__, values), np.int64, len(values))
        return table_cells(codes, list(index))
    if kinds == {int} and int not in floats:
        return ints(np.fromiter(values, np.int64, len(values)), blank_negative=blank_negative)
    if kinds and kinds <= set(floats):
        return fixed(np.fromiter(values, np.float64, len(values)), decimals, nan=nan)
    return text_cells([cell(v) for v in values])


def csv_rows(columns: Sequence[Cells], rows_per_batch: int = ROWS_PER_BATCH
             ) -> Iterator[bytes]:
    """The rows (comma-separated, each ending in a newline) in UTF-8, a batch at a time."""
    n = len(columns[0]) if columns else 0
    for lo in range(0, n, rows_per_batch):
        hi = min(n, lo + rows_per_batch)
        yield _join([c.take(lo, hi) for c in columns])


def _join(cells: list[np.ndarray]) -> bytes:
    """Rows from fixed-width cell arrays: each cell's bytes without NULs, ``,`` between, ``\\n``
    after."""
    widths = [c.dtype.itemsize for c in cells]
    rows = len(cells[0])
    matrix = np.zeros((rows, sum(widths) + len(cells)), dtype=np.uint8)
    at = 0
    for cell, width in zip(cells, widths, strict=True):
        matrix[:, at:at + width] = cell.view(np.uint8).reshape(rows, width)
        at += width
        matrix[:, at] = ord(",")
        at += 1
    matrix[:, -1] = ord("\n")
    return matrix[matrix != 0].tobytes()


def _digits(values: np.ndarray, least: int) -> np.ndarray:
    """Decimal digits of non-negative ``values`` as a right-aligned byte matrix, at least
    ``least`` digits (leading zeros up to that), NUL before."""
    top = int(values.max()) if len(values) else 0
    width = max(least, len(str(top)))
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values
    for j in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        column = out[:, j]
        np.add(digit, ord("0"), out=column, casting="unsafe")
        if width - j > least:  # a leading zero beyond the least digits is no digit
            column[(digit == 0) & (rest == 0)] = 0
    return out


def _as_cells(matrix: np.ndarray) -> np.ndarray:
    """A byte matrix as an ``S`` array (one fixed-width cell per row)."""
    matrix = np.ascontiguousarray(matrix)
    return matrix.view(f"S{matrix.shape[1]}").reshape(len(matrix))


def _int_text(values: np.ndarray, blank_negative: bool) -> np.ndarray:
    """``%d`` of int64 values as an ``S`` array (negative ones empty if ``blank_negative``)."""
    negative = values < 0
    digits = _digits(np.abs(values), 1)
    if not negative.any():
        return _as_cells(digits)
    if blank_negative:
        digits[negative] = 0
        return _as_cells(digits)
    return _as_cells(np.hstack([np.where(negative, ord("-"), 0).astype(np.uint8)[:, None],
                                digits]))


def scaled_round(x: np.ndarray, decimals: int) -> np.ndarray:
    """``round(|x| * 10**decimals)`` on the exact value of each double, ties to even (what
    ``%.{decimals}f`` prints), for finite ``|x| * 10**decimals < 2**52``."""
    x = np.abs(x)
    scale = 10.0**decimals
    product = x * scale  # within half an ulp of the exact product
    k = np.rint(product)
    near = np.flatnonzero(np.abs(np.abs(product - k) - 0.5) <= product * 2.0**-50)
    if len(near):  # within a few ulps of a half: decide on the exact product
        k[near] = _exact_round(x[near], scale)
    return k.astype(np.int64)


def _exact_round(x: np.ndarray, scale: float) -> np.ndarray:
    """Round ``x * scale`` (exact, not the rounded product) to an integer, ties to even."""
    c = x * _SPLIT
    hi = c - (c - x)
    lo = x - hi  # x == hi + lo exactly; each has at most 26 significant bits
    a, b = hi * scale, lo * scale  # exact products: 26 + log2(scale) <= 53 bits
    s = a + b
    err = (a - (s - (s - a))) + (b - (s - a))  # Knuth's two-sum: s + err == a + b exactly
    whole = np.floor(s)
    half = ((s - whole) - 0.5) + err  # exact but for the last rounding, which keeps the sign
    return whole + ((half > 0) | ((half == 0) & (np.fmod(whole, 2) == 1)))


def _fixed_text(values: np.ndarray, decimals: int) -> np.ndarray:
    """``%.{decimals}f`` of floats as an ``S`` array; NaN is an empty cell."""
    nan = np.isnan(values)
    some = np.flatnonzero(~nan) if nan.any() else None
    shown = values if some is None else values[some]
    parts = [_digits(scaled_round(shown, decimals), decimals + 1)]
    if decimals > 0:  # "%.0f" prints no point
        point = parts[0].shape[1] - decimals
        parts[0:1] = [parts[0][:, :point], np.full((len(shown), 1), ord("."), dtype=np.uint8),
                      parts[0][:, point:]]
    if np.signbit(shown).any():
        parts.insert(0, np.where(np.signbit(shown), ord("-"), 0).astype(np.uint8)[:, None])
    matrix = np.hstack(parts)
    if some is not None:
        full = np.zeros((len(values), matrix.shape[1]), dtype=np.uint8)
        full[some] = matrix
        matrix = full
    return _as_cells(matrix)
