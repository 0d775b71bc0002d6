"""Linkage KPIs from the records: transfers between lines, bounces, first-contact resolution,
orders (S13-S15). Each function returns a flat ``{name: value}`` dict for one replication, so
replications aggregate like every other KPI (mean and CI per name).

Names: ``transfer:FROM>TO:MODE`` (voice legs passed on: one_key or three_way),
``dispatch:FROM>TO`` (system-dispatched orders, S5), ``bounced`` (transfers that reached a line
that does not own the call and is not 110 dispatching first: misclassifications),
``answer_wait_transferred`` (mean wait of transferred legs at the receiving centre),
``fcr`` (first-contact resolution: answered first legs handled without a transfer or dispatch).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from sim.model.calls import ANSWERED, DISPOSITIONS, SYSTEM_DISPATCH, TRANSFER, TRANSFER_MODES
from sim.model.linkage.categories import CategoryTable
from sim.model.linkage.orders import OrderRecord
from sim.results.csvtext import Cells, const, csv_rows, fixed, ints, value_cells
from sim.results.kpis import rows_by
from sim.results.order_table import as_order_columns, name_codes
from sim.scenario.plan import CentrePlan


def flow_kpis(cols: dict[str, np.ndarray], plans: Sequence[CentrePlan], table: CategoryTable,
              line_names: Sequence[str], window: np.ndarray) -> dict[str, float]:
    """Transfers by mode and line pair, bounces, time to answer after a transfer, FCR."""
    lines = list(dict.fromkeys([p.line for p in plans] or [""]))  # the centres' lines
    centre_line = np.array([lines.index(p.line) for p in plans] or [0], dtype=np.int64)
    line = centre_line[cols["centre"].astype(np.int64)]  # each leg's line: code into lines
    leg, mode = cols["leg"], cols["transfer_mode"]
    out: dict[str, float] = {}
    later = np.flatnonzero((leg > 0) & window)
    key = cols["call_id"] * 64 + leg  # records are sorted by (call_id, leg)
    parent = np.searchsorted(key, cols["call_id"][later] * 64 + cols["parent_leg"][later])
    n_modes = len(TRANSFER_MODES) + 1  # a mode's code is -1 ... len - 1
    moves = _tally((line[parent] * len(lines) + line[later]) * n_modes + mode[later] + 1)
    for (src, dst, m), n in sorted(((lines[c // n_modes // len(lines)],
                                     lines[c // n_modes % len(lines)], c % n_modes - 1), n)
                                   for c, n in moves):
        out[f"transfer:{src}>{dst}:{TRANSFER_MODES[m]}"] = n
    disp = np.flatnonzero((cols["disposition"] == SYSTEM_DISPATCH) & window)
    names = [*line_names, ""]  # to_line -1: none
    dispatched = _tally(line[disp] * len(names) + cols["to_line"][disp] % len(names))
    for (src, dst), n in sorted(((lines[c // len(names)], names[c % len(names)]), n)
                                for c, n in dispatched):
        out[f"dispatch:{src}>{dst}"] = n
    owner = np.array([lines.index(c.owner) if c and c.owner in lines else -1
                      for c in table.categories], dtype=np.int64)
    danger = np.array([bool(c and c.danger) for c in table.categories])
    cat, to = cols["category"][later], line[later]
    police = lines.index("110") if "110" in lines else -1
    wrong = (owner[cat] != to) & ~((to == police) & danger[cat]) & (mode[later] == 1)
    out["transfers"] = len(later)
    out["bounced"] = int(wrong.sum())
    answered_later = later[cols["outcome"][later] == ANSWERED]
    waits = cols["answered"][answered_later] - cols["arrival"][answered_later]
    out["answer_wait_transferred"] = float(waits.mean()) if len(waits) else math.nan
    first = (leg == 0) & (cols["outcome"] == ANSWERED) & window
    disposition = cols["disposition"]
    passed = (disposition == TRANSFER) | (disposition == SYSTEM_DISPATCH)
    out["fcr"] = float((first & ~passed).sum() / first.sum()) if first.any() else math.nan
    by_disposition = np.bincount(disposition[window].astype(np.int64) + 1,
                                 minlength=len(DISPOSITIONS) + 1)
    for i, name in enumerate(DISPOSITIONS):  # (code -1: none)
        out[f"disposition:{name}"] = int(by_disposition[i + 1])
    out.update(category_flows(cols, table, window, passed))
    return out


def _tally(codes: np.ndarray) -> list[tuple[int, int]]:
    """The distinct non-negative integer ``codes`` with how often each occurs."""
    counts = np.bincount(codes.astype(np.int64))
    present = np.flatnonzero(counts)
    return list(zip(present.tolist(), counts[present].tolist(), strict=True))


def category_flows(cols: dict[str, np.ndarray], table: CategoryTable, window: np.ndarray,
                   passed: np.ndarray | None = None) -> dict[str, float]:
    """Per category: calls (first legs), voice transfers, system dispatches, orders at the
    first centre, and answered first legs handled there without being passed on
    (``passed``: whether each leg was transferred or dispatched, if known)."""
    first = (cols["leg"] == 0) & window
    disposition = cols["disposition"]
    if passed is None:
        passed = (disposition == TRANSFER) | (disposition == SYSTEM_DISPATCH)
    out: dict[str, float] = {}
    counts = {
        "calls": first,
        "transferred": window & (disposition == TRANSFER),
        "dispatched": window & (disposition == SYSTEM_DISPATCH),
        "first_contact": first & (cols["outcome"] == ANSWERED) & ~passed,
    }
    n = len(table.codes)
    tallies = {k: np.bincount(cols["category"][m], minlength=n) for k, m in counts.items()}
    for i, code in enumerate(table.codes):
        if tallies["calls"][i] or tallies["transferred"][i]:
            for kind, tally in tallies.items():
                out[f"category:{code}:{kind}"] = int(tally[i])
    return out


def order_kpis(orders: Sequence[OrderRecord] | dict[str, np.ndarray], lo: float, hi: float,
               end: float | None = None) -> dict[str, float]:
    """Per kind and owner line: created, sign-off time, on-time rate, reopen rate, satisfaction,
    and ``open``: orders created in [lo, hi) still open at ``hi`` (the horizon).

    The on-time rate counts the orders due by ``end`` (the end of observation, default ``hi``):
    their outcome is always known (closed by the deadline, or not), whereas an order due later
    is known only if it closed early, which would bias the rate upwards.
    """
    end = hi if end is None else end
    o = as_order_columns(orders)
    inside = np.flatnonzero((o["created"] >= lo) & (o["created"] < hi))
    (kind, kinds), (line, lines) = name_codes(o["kind"][inside]), name_codes(o["line"][inside])
    # each group as the positions of its orders (ascending: the orders' order, by id)
    groups = {"all": np.arange(len(inside))}
    for name, rows in zip(kinds, rows_by(kind, len(kinds)), strict=True):
        groups[name] = rows
    pair = kind * len(lines) + line
    by_pair = rows_by(pair, len(kinds) * len(lines))
    for p in sorted(np.flatnonzero(np.bincount(pair)).tolist(), key=lambda p: by_pair[p][0]):
        groups[f"{kinds[p // len(lines)]}@{lines[p % len(lines)]}"] = by_pair[p]  # as found
    created, signed, closed = o["created"][inside], o["signed"][inside], o["closed"][inside]
    deadline, on_time = o["deadline"][inside], o["on_time"][inside]
    reopened, satisfaction = o["reopened"][inside], o["satisfaction"][inside]
    out: dict[str, float] = {}
    for name, g in sorted(groups.items(), key=lambda item: item[0]):
        shut = g[~np.isnan(closed[g])]
        signs = g[~np.isnan(signed[g])]
        scores = satisfaction[shut]
        out[f"{name}:created"] = len(g)
        out[f"{name}:sign_hours"] = _mean((signed[signs] - created[signs]) / 3600)
        out[f"{name}:on_time_rate"] = _mean(on_time[g[deadline[g] <= end]])
        out[f"{name}:reopen_rate"] = _mean(reopened[shut] > 0)
        out[f"{name}:satisfaction"] = _mean(scores[~np.isnan(scores)])
        out[f"{name}:open"] = int((~(closed[g] <= hi)).sum())  # NaN: never closed
    return out


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


ORDER_COLUMNS = ("replication", *OrderRecord._fields)


def order_cells(orders: Sequence[OrderRecord] | dict[str, np.ndarray], replication: int
                ) -> list[Cells]:
    """The columns of one replication's ``orders.csv.gz`` rows (``ORDER_COLUMNS``): a float
    with three decimals (NaN empty), ``on_time`` empty when negative, anything else as
    ``str``. ``orders``: the records, or their columns (``order_columns``)."""
    cols = as_order_columns(orders)
    cells = [const(str(replication), len(cols["order_id"]))]
    for name in OrderRecord._fields:
        values, blank = cols[name], name == "on_time"
        if values.dtype.kind == "f":
            cells.append(fixed(values, 3))
        elif values.dtype.kind == "i":
            cells.append(ints(values, blank_negative=blank))
        else:  # names: column-wise through a table when all are strings
            cells.append(value_cells(values.tolist(), partial(_order_cell, blank),
                                     blank_negative=blank))
    return cells


def _order_cell(blank_negative: bool, value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3f}"
    if blank_negative and value < 0:
        return ""
    return str(value)


def format_orders_csv(orders: Sequence[OrderRecord], replication: int) -> str:
    """The rows (no header) of ``orders.csv.gz`` for one replication (``gzip_rows`` of
    ``order_cells`` compresses the same text)."""
    return b"".join(csv_rows(order_cells(orders, replication))).decode("utf-8")
