"""Work-order records as numpy columns, for the order KPIs and the backlog series."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.model.linkage.order_log import ORDER_DTYPES, OrderLog, OrderRecord

__all__ = ["ORDER_DTYPES", "as_order_columns", "order_columns"]


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
