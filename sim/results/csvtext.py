"""CSV rows formatted a column at a time with numpy, as the ``%`` formats would print them.

The record files (calls, orders, seat events) print integers as ``%d``, times as ``%.3f`` (an
undefined time, NaN, as an empty cell) and codes through tables of names. Formatting each cell in
Python costs a second and hundreds of megabytes per replication; here every column becomes one
fixed-width bytes cell per row (numpy ``S`` items, NUL where a cell is shorter than the widest:
numbers right-aligned, names left-aligned), the columns and separators are copied side by side
into a byte matrix (a cell at a time, not a byte at a time), and dropping the NULs leaves the
rows, byte for byte what ``"%d" % v``, ``"%.3f" % x`` and the names would give. Digits come four
at a time from a table of the 10,000 groups (zero-padded, or without the leading zeros for a
number's first group), written as whole 32-bit groups. Rows are made a batch at a time, so the
transient memory is a few megabytes whatever the number of records.

``%.{d}f`` rounds the exact binary value of ``x`` half to even. ``rint(x * 10**d)`` agrees
with it except where the rounded product lies within a few ulps of a half; there the product is
rebuilt exactly as a sum of two doubles (Veltkamp's split, Knuth's two-sum) and its sign against
the half decides. Values the fast path does not cover (infinities, ``|x| * 10**d >= 2**52``, or
a column that prints NaN as ``nan``) print through Python's formatting for the whole column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Cells", "ints", "fixed", "general", "table_cells", "const", "text_cells",
           "value_cells", "csv_rows", "csv_batches"]

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

    def text(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` of the column as fixed-width bytes cells (a 1-d ``S`` array, maybe
        a strided or broadcast view: NUL where a cell is shorter than the widest)."""
        if self.kind == "const":
            return np.broadcast_to(np.array(self.arg, dtype=bytes), (hi - lo,))
        part = self.values[lo:hi]
        if self.kind == "int":
            return _int_text(part, self.arg)
        if self.kind == "fixed":
            return _fixed_text(part, self.arg)
        if self.kind == "names":
            return np.take(self.arg, part)
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


_RULE_DIGITS = 12
"""``general``'s own rounding serves up to this many digits (``|x| * 10**(digits + 3)``, the
largest it scales to, stays below 2**52); more digits print through Python's formatting."""


def general(values: np.ndarray, digits: int = 6, *, nan: str = "") -> Cells:
    """Floats printed as ``%.{digits}g``; NaN prints as ``nan`` (default: empty).

    ``%g`` rounds to ``digits`` significant digits; when the decimal exponent ``X`` of the
    rounded value is below ``digits`` (and at least -4) it prints ``%.{digits - 1 - X}f``
    without trailing zeros (nor a trailing point). Whole numbers and halves (most of a time
    series: counts and their means over two replications) print as their digits and ``.5``;
    other values from 1e-4 to below ``10**digits`` as that rule says, rounded exactly by
    ``scaled_round`` (up to ``_RULE_DIGITS`` digits); the rest (exponent form, infinities, NaN) through Python's formatting.
    Each cell's text sits in a row of ``2 * digits + 5`` bytes: sign, whole part
    (right-aligned), point, decimals, NUL where there is nothing."""
    values = np.asarray(values, dtype=np.float64)
    size = np.abs(values)
    whole = np.floor(values)
    with np.errstate(invalid="ignore"):  # infinities and NaN: neither
        easy = (values >= 0) & (values < 10.0 ** (digits - 1)) & ~np.signbit(values) \
            & ((values == whole) | (values - whole == 0.5))
        rule = ~easy & ((size == 0) | ((size >= 1e-4) & (size < 10.0**digits)))
    if digits > _RULE_DIGITS:  # ``scaled_round`` is exact only below 2**52: Python's rule
        rule[:] = False
    if easy.all() and (values == whole).all():  # whole numbers only (counts): their digits
        return Cells("bytes", _cells(*_digit_groups(whole.astype(np.int64), 1)))
    most = digits + 3  # decimals at most: digits - 1 + 4
    matrix = np.zeros((len(values), 2 + digits + most), dtype=np.uint8)
    rows = np.flatnonzero(easy)
    groups, width = _digit_groups(whole[rows].astype(np.int64), 1)
    matrix[:, 1 + digits - width:1 + digits].view(f"S{width}")[rows, 0] = _cells(groups, width)
    halves = rows[values[rows] != whole[rows]]
    matrix[halves, 1 + digits] = ord(".")
    matrix[halves, 2 + digits] = ord("5")
    done = easy | _by_rule(values, np.flatnonzero(rule), digits, matrix)
    other = np.flatnonzero(~done)
    if len(other):
        spec = f"%.{digits}g"
        texts = [nan if x != x else spec % x for x in values[other].tolist()]
        encoded = np.array([t.encode() for t in texts], dtype=bytes)
        if encoded.dtype.itemsize > matrix.shape[1]:
            matrix = np.hstack([matrix, np.zeros(
                (len(values), encoded.dtype.itemsize - matrix.shape[1]), np.uint8)])
        matrix[other] = 0
        matrix[other, :encoded.dtype.itemsize] = encoded.view(np.uint8).reshape(
            len(other), encoded.dtype.itemsize)
    return Cells("bytes", matrix.view(f"S{matrix.shape[1]}").reshape(len(values)))


def _by_rule(values: np.ndarray, rows: np.ndarray, digits: int, matrix: np.ndarray
             ) -> np.ndarray:
    """``%.{digits}g`` of ``values[rows]`` (zero, or from 1e-4 to below ``10**digits``) into
    their rows of ``matrix``, where the rounded value stays below ``10**digits``; the mask of
    the rows written."""
    shown = np.abs(values[rows])
    with np.errstate(divide="ignore"):
        exponent = np.where(shown > 0, np.floor(np.log10(shown)), 0).astype(np.int64)
    scaled = np.zeros(len(rows), dtype=np.int64)
    for _ in range(3):  # log10 may be one off near a power of ten: correct it, then round
        decimals = digits - 1 - exponent
        low = int(decimals.min(initial=0))
        for d in (np.flatnonzero(np.bincount(decimals - low)) + low).tolist():  # distinct ones
            at = np.flatnonzero(decimals == d)
            scaled[at] = scaled_round(shown[at], d) if d >= 0 else 0
        valid = decimals >= 0  # else the rounded value reached 10**digits: exponent form
        high = valid & (scaled >= 10**digits)
        low = valid & (scaled < 10 ** (digits - 1)) & (shown > 0)
        if not (high.any() or low.any()):
            break
        exponent += high.astype(np.int64) - low
    kept = valid & ~high & ~low
    rows, decimals, scaled = rows[kept], decimals[kept], scaled[kept]
    most = digits + 3
    power = 10 ** decimals
    whole = scaled // power
    fraction = _digits((scaled - whole * power) * 10 ** (most - decimals), most)
    # decimals shown: up to the last that is not a zero
    shown_digits = most - np.argmax(fraction[:, ::-1] != ord("0"), axis=1)
    shown_digits[(fraction == ord("0")).all(axis=1)] = 0
    fraction *= np.arange(most) < shown_digits[:, None]
    text = np.zeros((len(rows), matrix.shape[1]), dtype=np.uint8)
    text[:, 0] = np.where(np.signbit(values[rows]), ord("-"), 0)
    numbers = _digits(whole, 1)
    text[:, 1 + digits - numbers.shape[1]:1 + digits] = numbers
    text[:, 1 + digits] = np.where(shown_digits > 0, ord("."), 0)
    text[:, 2 + digits:2 + digits + most] = fraction
    matrix.view(f"S{matrix.shape[1]}")[rows, 0] = text.view(f"S{text.shape[1]}")[:, 0]
    written = np.zeros(len(values), dtype=bool)
    written[rows] = True
    return written


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
    if len(values) and type(values[0]) is str:  # names: codes in order of first appearance
        index: defaultdict[object, int] = defaultdict()
        index.default_factory = index.__len__  # a new name's code: how many came before
        try:
            codes = np.fromiter(map(index.__getitem__, values), np.int64, len(values))
        except TypeError:  # an unhashable value: not all are names
            codes = None
        # equal values share a key, but no other type equals a str: all keys str, all str
        if codes is not None and all(type(k) is str for k in index):
            return table_cells(codes, list(index))
    kinds = set(map(type, values))
    if kinds == {int} and int not in floats:
        return ints(np.fromiter(values, np.int64, len(values)), blank_negative=blank_negative)
    if kinds and kinds <= set(floats):
        return fixed(np.fromiter(values, np.float64, len(values)), decimals, nan=nan)
    return text_cells([cell(v) for v in values])


def csv_rows(columns: Sequence[Cells], rows_per_batch: int = ROWS_PER_BATCH
             ) -> Iterator[bytes]:
    """The rows (comma-separated, each ending in a newline) in UTF-8, a batch at a time."""
    for batch in csv_batches(columns, rows_per_batch):
        yield bytes(batch)


def csv_batches(columns: Sequence[Cells], rows_per_batch: int = ROWS_PER_BATCH
                ) -> Iterator[bytearray]:
    """The bytes of ``csv_rows`` as ``bytearray`` objects (for a writer that takes any buffer:
    no copy into ``bytes``); each is new."""
    n = len(columns[0]) if columns else 0
    for lo in range(0, n, rows_per_batch):
        hi = min(n, lo + rows_per_batch)
        yield _join([c.text(lo, hi) for c in columns])


def _join(cells: list[np.ndarray]) -> bytearray:
    """Rows from fixed-width cells (one ``S`` array per column): each cell's bytes without
    NULs, ``,`` between, ``\\n`` after."""
    widths = [c.dtype.itemsize for c in cells]
    rows, row = len(cells[0]), sum(widths) + len(cells)
    text = bytearray(rows * row)
    matrix = np.frombuffer(text, dtype=np.uint8).reshape(rows, row)
    at = 0
    for cell, width in zip(cells, widths, strict=True):
        # a cell per row: numpy copies ``width`` bytes at a time, not one
        matrix[:, at:at + width].view(cell.dtype)[:, 0] = cell
        at += width
        matrix[:, at] = ord(",")
        at += 1
    matrix[:, -1] = ord("\n")
    del matrix  # (its buffer export)
    return text.translate(None, b"\0")  # faster than numpy's boolean mask, on short runs


_GROUP = 10_000  # four digits at a time


def _group_tables() -> list[np.ndarray]:
    """Per ``least`` (0 to 4): the four bytes of each group ``0 … 9999`` as the lowest digits
    of a longer number (zero-padded: entries ``10000 …``) and as a number's first group (NUL
    for the leading zeros beyond ``least`` digits: entries ``0 … 9999``), each as a uint32."""
    group = np.arange(_GROUP)
    power = 10 ** np.arange(3, -1, -1)  # of each of the four digits
    full = (group[:, None] // power % 10 + ord("0")).astype(np.uint8)
    tables = []
    for least in range(5):
        shown = (group[:, None] >= power) | (power < 10**least)
        first = np.where(shown, full, 0).astype(np.uint8)
        tables.append(np.concatenate([first, full]).view(np.uint32).reshape(-1))
    return tables


_TABLES = _group_tables()


def _digits(values: np.ndarray, least: int) -> np.ndarray:
    """Decimal digits of non-negative ``values`` as a right-aligned byte matrix, at least
    ``least`` digits (leading zeros up to that), NUL before."""
    groups, width = _digit_groups(values, least)
    return groups.view(np.uint8)[:, groups.shape[1] * 4 - width:]


def _digit_groups(values: np.ndarray, least: int, *, after: int = 0, room: int = 0
                  ) -> tuple[np.ndarray, int]:
    """Decimal digits of non-negative ``values``, at least ``least`` (leading zeros up to
    that), right-aligned in whole groups of four bytes with NUL before: a C-contiguous
    ``(len(values), groups + after)`` uint32 array, the last ``after`` columns left for the
    caller to fill, and at least ``room`` NUL bytes before the widest number; and the number
    of digits of the widest."""
    top = int(values.max()) if len(values) else 0
    width = max(least, len(str(top)))
    used = -(-width // 4)
    groups = -(-(width + room) // 4)
    rest = values.astype(np.uint32 if top < 2**32 else np.uint64, copy=False)
    out = np.empty((len(values), groups + after), dtype=np.uint32)
    out[:, :groups - used] = 0
    for j in range(used):  # j = 0: the lowest four digits
        table = _TABLES[min(max(least - 4 * j, 0), 4)]
        if j == used - 1:  # the highest group: no digits above it, rest < 10,000
            out[:, groups - 1 - j] = np.take(table, rest)
            break
        higher = rest // _GROUP
        group = rest - higher * _GROUP
        more = higher > 0  # digits above this group: print all four of it
        out[:, groups - 1 - j] = np.take(table, group + more * np.uint32(_GROUP))
        rest = higher
    return out, width


def _cells(groups: np.ndarray, width: int) -> np.ndarray:
    """The last ``width`` bytes of each row of ``groups`` (uint32) as ``S{width}`` cells."""
    return groups.view(np.uint8)[:, groups.shape[1] * 4 - width:].view(f"S{width}")[:, 0]


def _sign(groups: np.ndarray, width: int, negative: np.ndarray) -> int:
    """Put ``-`` before the last ``width`` bytes of the rows of ``groups`` that are
    ``negative`` (NUL in the others); the width with the sign."""
    groups.view(np.uint8)[:, groups.shape[1] * 4 - width - 1] = np.where(negative, ord("-"), 0)
    return width + 1


def _int_text(values: np.ndarray, blank_negative: bool) -> np.ndarray:
    """``%d`` of int64 values as ``S`` cells (negative ones empty if ``blank_negative``)."""
    negative = values < 0
    if not negative.any():
        return _cells(*_digit_groups(values, 1))
    if blank_negative:
        text = _cells(*_digit_groups(np.where(negative, 0, values), 1))
        text[negative] = b""
        return text
    groups, width = _digit_groups(np.abs(values).astype(np.uint64), 1, room=1)
    return _cells(groups, _sign(groups, width, negative))


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


_FRACTIONS = np.concatenate([np.full((1000, 1), ord("."), dtype=np.uint8),  # "." and 3 digits
                             _TABLES[0][_GROUP:_GROUP + 1000].view(np.uint8).reshape(-1, 4)[:, 1:]],
                            axis=1).view(np.uint32).reshape(-1)
"""The point and three decimals of each fraction ``0 … 999`` (in thousandths), as a uint32."""


def _fixed_text(values: np.ndarray, decimals: int) -> np.ndarray:
    """``%.{decimals}f`` of floats as a byte matrix; NaN is an empty cell."""
    nan = np.isnan(values)
    blank = nan.any()
    shown = np.where(nan, 0.0, values) if blank else values
    scaled = scaled_round(shown, decimals)
    negative = np.signbit(shown)
    sign = bool(negative.any())
    if decimals == 3:  # the times of the records: whole seconds, then ".ddd" from a table
        whole = scaled // 1000
        groups, width = _digit_groups(whole, 1, after=1, room=sign)
        groups[:, -1] = np.take(_FRACTIONS, scaled - whole * 1000)
        width += 4
        if sign:
            width = _sign(groups, width, negative)
        text = _cells(groups, width)
    else:
        digits = _digits(scaled, decimals + 1)
        point = digits.shape[1] - decimals  # "%.0f" prints no point
        out = np.empty((len(values), sign + digits.shape[1] + (decimals > 0)), dtype=np.uint8)
        out[:, sign:sign + point] = digits[:, :point]
        if decimals > 0:
            out[:, sign + point] = ord(".")
            out[:, sign + point + 1:] = digits[:, point:]
        if sign:
            out[:, 0] = np.where(negative, ord("-"), 0)
        text = out.view(f"S{out.shape[1]}")[:, 0]
    if blank:
        text[nan] = b""
    return text
