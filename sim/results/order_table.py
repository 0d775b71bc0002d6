"""Work-order records as numpy columns, for the order KPIs and the backlog series."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from sim.model.linkage.order_log import ORDER_DTYPES, OrderLog, OrderRecord

__all__ = ["ORDER_DTYPES", "as_order_columns", "name_codes", "order_columns"]


def order_columns(orders: OrderLog | Sequence[OrderRecord]) -> dict[str, np.ndarray]:
    """The orders as a dict of numpy columns by ``OrderRecord`` field, in the given order: a
    replication's ``OrderLog`` gives its own columns, records are made into columns."""
    if isinstance(orders, OrderLog):
        return orders.columns()
    return OrderLog.of_rows(orders).columns()


def as_order_columns(orders: OrderLog | Sequence[OrderRecord] | dict[str, np.ndarray]
                     ) -> dict[str, np.ndarray]:
    """``orders`` as columns: the records made into columns, or columns as they are."""
    return orders if isinstance(orders, dict) else order_columns(orders)


def name_codes(values: np.ndarray) -> tuple[np.ndarray, list]:
    """A column of names (e.g. the orders' lines) as integer codes, in order of first
    appearance, and the distinct names (what ``dict.fromkeys`` would list), in one pass."""
    index: defaultdict[object, int] = defaultdict()
    index.default_factory = index.__len__  # a new name's code: how many came before
    codes = np.fromiter(map(index.__getitem__, values.tolist()), np.int64, len(values))
    return codes, list(index)
