"""Counts for ``/metrics``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from loadtest.server.storage.tables import calls, orders, transfers


def _count_by(conn: Connection, table: Any, column: str) -> dict[str, int]:
    col = table.c[column]
    rows = conn.execute(select(col, func.count()).group_by(col)).all()
    return {str(value): int(n) for value, n in rows}


def counts(conn: Connection) -> dict[str, Any]:
    """Calls, transfers and orders by status, mode and kind."""
    by_status = _count_by(conn, calls, "status")
    by_mode = _count_by(conn, transfers, "mode")
    order_status = _count_by(conn, orders, "status")
    return {
        "calls": {"total": sum(by_status.values()), "by_status": by_status},
        "transfers": {"total": sum(by_mode.values()), "by_mode": by_mode},
        "orders": {"total": sum(order_status.values()), "by_status": order_status,
                   "by_kind": _count_by(conn, orders, "kind")},
    }
