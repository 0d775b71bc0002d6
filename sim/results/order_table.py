"""Work-order records as numpy columns, for the order KPIs and the backlog series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_type_hints

import numpy as np

from sim.model.linkage.orders import OrderRecord

# The dtype of each ``OrderRecord`` field: strings are object arrays (they are compared, never
# computed on), counts int64, times and scores float64 (NaN: did not happen).
ORDER_DTYPES: dict[str, type] = {
    name: (object if kind is str else np.int64 if kind is int else np.float64)
    for name, kind in get_type_hints(OrderRecord).items()}


def order_columns(orders: Sequence[OrderRecord]) -> dict[str, np.ndarray]:
    """The orders as a dict of numpy columns by ``OrderRecord`` field, in the given order."""
    if not orders:
        return {name: np.empty(0, dtype=dtype) for name, dtype in ORDER_DTYPES.items()}
    return {name: np.array(values, dtype=ORDER_DTYPES[name])
            for name, values in zip(OrderRecord._fields, zip(*orders, strict=True), strict=True)}


def as_order_columns(orders: Sequence[OrderRecord] | dict[str, np.ndarray]
                     ) -> dict[str, np.ndarray]:
    """``orders`` as columns: the records made into columns, or columns as they are."""
    return orders if isinstance(orders, dict) else order_columns(orders)
