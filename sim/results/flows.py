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
from collections import Counter
from collections.abc import Sequence
from functools import partial

import numpy as np

from sim.model.calls import ANSWERED, DISPOSITIONS, SYSTEM_DISPATCH, TRANSFER, TRANSFER_MODES
from sim.model.linkage.categories import CategoryTable
from sim.model.linkage.orders import OrderRecord
from sim.results.csvtext import Cells, const, csv_rows, fixed, ints, value_cells
from sim.results.order_table import as_order_columns
from sim.scenario.plan import CentrePlan


def flow_kpis(cols: dict[str, np.ndarray], plans: Sequence[CentrePlan], table: CategoryTable,
              line_names: Sequence[str], window: np.ndarray) -> dict[str, float]:
    """Transfers by mode and line pair, bounces, time to answer after a transfer, FCR."""
    centre_line = np.array([p.line for p in plans] or [""], dtype=object)
    line = centre_line[cols["centre"]] if len(cols["centre"]) else np.empty(0, dtype=object)
    leg = cols["leg"]
    out: dict[str, float] = {}
    later = np.flatnonzero((leg > 0) & window)
    key = cols["call_id"] * 64 + leg  # records are sorted by (call_id, leg)
    parent = np.searchsorted(key, cols["call_id"][later] * 64 + cols["parent_leg"][later])
    counts = Counter(zip(line[parent], line[later], cols["transfer_mode"][later], strict=True))
    for (src, dst, mode), n in sorted(counts.items()):
        out[f"transfer:{src}>{dst}:{TRANSFER_MODES[mode]}"] = n
    disp = np.flatnonzero((cols["disposition"] == SYSTEM_DISPATCH) & window)
    names = np.asarray([*line_names, ""], dtype=object)
    for (src, dst), n in sorted(Counter(zip(line[disp], names[cols["to_line"][disp]],
                                            strict=True)).items()):
        out[f"dispatch:{src}>{dst}"] = n
    owner = np.array([c.owner if c else "" for c in table.categories], dtype=object)
    danger = np.array([bool(c and c.danger) for c in table.categories])
    cat = cols["category"][later]
    wrong = (owner[cat] != line[later]) & ~((line[later] == "110") & danger[cat]) \
        & (cols["transfer_mode"][later] == 1)
    out["transfers"] = len(later)
    out["bounced"] = int(wrong.sum())
    answered_later = later[cols["outcome"][later] == ANSWERED]
    waits = cols["answered"][answered_later] - cols["arrival"][answered_later]
    out["answer_wait_transferred"] = float(waits.mean()) if len(waits) else math.nan
    first = (leg == 0) & (cols["outcome"] == ANSWERED) & window
    passed = np.isin(cols["disposition"], (TRANSFER, SYSTEM_DISPATCH))
    out["fcr"] = float((first & ~passed).sum() / first.sum()) if first.any() else math.nan
    for i, name in enumerate(DISPOSITIONS):
        out[f"disposition:{name}"] = int(((cols["disposition"] == i) & window).sum())
    out.update(category_flows(cols, table, window))
    return out


def category_flows(cols: dict[str, np.ndarray], table: CategoryTable, window: np.ndarray
                   ) -> dict[str, float]:
    """Per category: calls (first legs), voice transfers, system dispatches, orders at the
    first centre, and answered first legs handled there without being passed on."""
    first = (cols["leg"] == 0) & window
    disposition = cols["disposition"]
    out: dict[str, float] = {}
    counts = {
        "calls": first,
        "transferred": window & (disposition == TRANSFER),
        "dispatched": window & (disposition == SYSTEM_DISPATCH),
        "first_contact": first & (cols["outcome"] == ANSWERED)
        & ~np.isin(disposition, (TRANSFER, SYSTEM_DISPATCH)),
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
    inside = (o["created"] >= lo) & (o["created"] < hi)
    kind, line = _codes(o["kind"][inside]), _codes(o["line"][inside])
    groups = {"all": np.ones(len(kind[0]), dtype=bool)}
    for k, name in enumerate(kind[1]):
        groups[name] = kind[0] == k
    pairs = dict.fromkeys(zip(kind[0].tolist(), line[0].tolist(), strict=True))
    for k, ln in pairs:
        groups[f"{kind[1][k]}@{line[1][ln]}"] = (kind[0] == k) & (line[0] == ln)
    created, signed, closed = o["created"][inside], o["signed"][inside], o["closed"][inside]
    deadline, on_time = o["deadline"][inside], o["on_time"][inside]
    reopened, satisfaction = o["reopened"][inside], o["satisfaction"][inside]
    out: dict[str, float] = {}
    for name, g in sorted(groups.items()):  # each group keeps the orders' order (by id)
        was_closed = g & ~np.isnan(closed)
        was_signed = g & ~np.isnan(signed)
        scores = satisfaction[was_closed]
        out[f"{name}:created"] = int(g.sum())
        out[f"{name}:sign_hours"] = _mean((signed[was_signed] - created[was_signed]) / 3600)
        out[f"{name}:on_time_rate"] = _mean(on_time[g & (deadline <= end)])
        out[f"{name}:reopen_rate"] = _mean(reopened[was_closed] > 0)
        out[f"{name}:satisfaction"] = _mean(scores[~np.isnan(scores)])
        out[f"{name}:open"] = int((g & ~(closed <= hi)).sum())  # NaN: never closed
    return out


def _codes(values: np.ndarray) -> tuple[np.ndarray, list]:
    """Values as integer codes and the distinct values, in order of first appearance."""
    items = values.tolist()
    index = {v: i for i, v in enumerate(dict.fromkeys(items))}
    return np.fromiter(map(index.__getitem__, items), np.int64, len(items)), list(index)


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
