"""The column-wise CSV formatter (``sim.results.csvtext``) prints what ``%d`` / ``%.3f`` per cell
print, on the values where a vectorised formatter is most likely to go wrong: ties and
near-ties of the rounding, negative zero, NaN, infinities, huge values, codes of -1."""

from __future__ import annotations

import gzip
import math
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.linkage.orders import OrderRecord
from sim.model.record import LEG_FIELDS, TIME
from sim.results.csvtext import csv_rows, fixed, ints, table_cells, value_cells
from sim.results.flows import format_orders_csv
from sim.results.records import Names, format_calls_csv, gzip_bytes, header_member
from sim.results.summary import format_seat_events

TIMES = [0.0, -0.0, -0.0004, 0.0625, 0.1875, 3600.0625, 0.03125, 0.0005, 0.0015, 0.0025,
         1.0005, 2.675, 0.9995, 999.9995, 0.99949999999, 604926.5367389137, 4.810608331980726,
         1e-300, 5e-324, 123456789.1235, 2.0**52 / 1000 - 0.5, math.nan,
         float.fromhex("0x1.f400000000001p-1"), np.nextafter(0.0005, 1.0),
         np.nextafter(0.0005, 0.0), np.nextafter(1234.5675, 0.0), 1234.5675]
INTS = [0, -1, 1, 9, 10, -10, 99, 100, 221673, -(2**62), 2**63 - 1]


def reference(value: float, decimals: int = 3) -> str:
    """The cell as the per-cell formatting printed it: ``%.{d}f``, NaN empty."""
    return "" if value != value else "%.*f" % (decimals, value)  # noqa: UP031 (the reference)


def rows(*columns) -> list[list[str]]:
    text = b"".join(csv_rows(list(columns), rows_per_batch=4)).decode("utf-8")
    assert text.endswith("\n") or not text
    return [line.split(",") for line in text.splitlines()]


def test_times_print_as_percent_3f_with_nan_empty() -> None:
    for decimals in (3, 4):
        got = [r[0] for r in rows(fixed(np.array(TIMES), decimals))]
        assert got == [reference(x, decimals) for x in TIMES]


def test_infinities_and_huge_values_print_as_python_does() -> None:
    values = [1.5, math.inf, -math.inf, math.nan, 1e300, 2.0**52]
    assert [r[0] for r in rows(fixed(np.array(values)))] == ["1.500", "inf", "-inf", "",
                                                             f"{1e300:.3f}", f"{2.0**52:.3f}"]


def test_integers_and_names_print_as_percent_d_and_the_table() -> None:
    codes = np.array([0, 2, -1, 1, 0, -1, 2, 1, 0, 1, 2])
    table = ["620100", "一二三四五六", "x"]
    got = rows(ints(np.array(INTS)), table_cells(codes, table), ints(np.array(INTS),
                                                                     blank_negative=True))
    assert got == [["%d" % i, ([*table, ""])[c], "" if i < 0 else str(i)]  # noqa: UP031
                   for i, c in zip(INTS, codes, strict=True)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=2e6) | st.just(math.nan)
                | st.integers(0, 2**24).map(lambda k: k / 2048), min_size=1, max_size=40))
def test_any_time_prints_as_percent_3f(values: list[float]) -> None:
    assert [r[0] for r in rows(fixed(np.array(values)))] == [reference(x) for x in values]


def _hand_made_columns() -> tuple[dict[str, np.ndarray], Names]:
    n = len(TIMES)
    rng = np.random.default_rng(5)
    cols: dict[str, np.ndarray] = {}
    for i, f in enumerate(LEG_FIELDS):
        if f.dtype == TIME:
            cols[f.name] = np.roll(np.array(TIMES), i)
        elif f.csv_columns[0].table:
            cols[f.name] = rng.integers(-1, 2, n)
        else:
            cols[f.name] = np.resize(np.array(INTS), n)
    names = Names(centre_regions=["620100", "622900"], centre_lines=["12345", "110"],
                  categories=["c0", "维修"], lines=["12345", "110"])
    return cols, names


def test_calls_rows_equal_the_per_cell_formatting() -> None:
    cols, names = _hand_made_columns()
    expected = []
    for row in range(len(TIMES)):
        cells = ["7"]
        for f in LEG_FIELDS:
            value = cols[f.name][row]
            for c in f.csv_columns:
                if c.table:
                    cells.append([*names.table(c.table), ""][value])
                else:
                    cells.append(reference(value) if f.dtype == TIME
                                 else "%d" % value)  # noqa: UP031 (the old row format)
        expected.append(",".join(cells) + "\n")
    assert format_calls_csv(cols, 7, names) == "".join(expected)
    assert format_calls_csv({f.name: np.empty(0) for f in LEG_FIELDS}, 0, names) == ""


def _order(i: int, **changes) -> OrderRecord:
    base = OrderRecord(i, "work_order", 3, -1, "620100", "12345", "属地乡镇(街道)", "G-NOISE",
                       "normal", TIMES[i % len(TIMES)], 432000.0625, math.nan, 5.0, -1, 0,
                       0.7862296360513581)
    return base._replace(**changes)


def _old_order_row(o: OrderRecord, replication: int) -> str:
    cells = [str(replication)]
    for name, value in zip(OrderRecord._fields, o, strict=True):
        if isinstance(value, float):
            cells.append("" if math.isnan(value) else f"{value:.3f}")
        elif name == "on_time" and value < 0:
            cells.append("")
        else:
            cells.append(str(value))
    return ",".join(cells) + "\n"


def test_orders_rows_equal_the_per_cell_formatting() -> None:
    orders = [_order(i, on_time=i % 3 - 1, order_id=i * 1000) for i in range(len(TIMES))]
    assert format_orders_csv(orders, 2) == "".join(_old_order_row(o, 2) for o in orders)
    # Columns are typed by OrderRecord's annotations: an int or a bool in a float field
    # prints as that float (the model's clock starts at 0.0, so it never makes one).
    typed = [*orders, _order(99, created=5, satisfaction=True)]
    as_floats = [*orders, _order(99, created=5.0, satisfaction=1.0)]
    assert format_orders_csv(typed, 0) == "".join(_old_order_row(o, 0) for o in as_floats)
    assert format_orders_csv([], 0) == ""


def test_seat_event_rows_equal_the_per_cell_formatting() -> None:
    plans = [SimpleNamespace(key="620100/110"), SimpleNamespace(key="622900/110")]
    events = [SimpleNamespace(t=t, kind="lend", recipient=i % 2, donor=i % 3 - 1, seats=i,
                              donor_sl=math.nan if i % 4 == 0 else t / 1000,
                              recipient_sl=0.66665, answering=False)
              for i, t in enumerate([0, *TIMES[:-5]])]
    events = [(e.t, e.kind, e.recipient, e.donor, e.seats, e.donor_sl, e.recipient_sl,
               e.answering) for e in events]

    def num(x: float) -> str:
        return "" if x != x else f"{x:.4f}"

    expected = "".join(
        f"3,{t:.3f},{kind},{plans[r].key},{plans[d].key if d >= 0 else 'pool'},{seats},"
        f"{num(dsl)},{num(rsl)}\n" for t, kind, r, d, seats, dsl, rsl, _ in events)
    assert format_seat_events(events, plans, 3) == expected


def test_value_cells_fall_back_to_the_cell_rule_for_mixed_types() -> None:
    cells = value_cells([1, "a", 2.5], lambda v: f"<{v}>")
    assert [r[0] for r in rows(cells)] == ["<1>", "<a>", "<2.5>"]


def test_gzip_members_are_deterministic_gzip_with_zero_mtime() -> None:
    cols, names = _hand_made_columns()
    text = format_calls_csv(cols, 1, names) * 50
    member = gzip_bytes(text)
    assert member == gzip_bytes(text.encode("utf-8")) == gzip_bytes(iter([text.encode()]))
    assert member[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # mtime 0, no name
    both = header_member(["a", "b"]) + member + gzip_bytes("")
    assert gzip.decompress(both).decode("utf-8") == "a,b\n" + text


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True)
                | st.integers(0, 2 * 10**6).map(lambda k: k / 2)
                | st.floats(min_value=1e-5, max_value=2e6) | st.floats(-1e-3, 1e-3)
                | st.sampled_from([0.0, -0.0, 99999.5, 100000.0, 100000.5, 999999.0, 1e6, -3.0,
                                   999999.4, 999999.5, 999999.6, 99999.95, 9.999995, 0.0001,
                                   0.00009999995, 0.000099999, 1e-5, 123456.5, 0.1, 0.3, 1 / 3,
                                   2e5 / 3, 0.00012345650000000001, 1.5e-4, 2.5, 0.125,
                                   *(10.0**k for k in range(-5, 8)),
                                   *(np.nextafter(10.0**k, 0) for k in range(-5, 8))]),
                min_size=1, max_size=40))
def test_general_prints_as_percent_6g_with_nan_empty(values: list[float]) -> None:
    from sim.results.csvtext import general

    want = ["" if x != x else "%.6g" % x for x in values]  # noqa: UP031 (the reference)
    assert [r[0] for r in rows(general(np.array(values)))] == want
