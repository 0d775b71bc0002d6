"""Work orders and police orders with their status history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from loadtest.server.storage.pages import Page, page_ids
from loadtest.server.storage.tables import order_history, orders


def order_lines(conn: Connection, order_id: int) -> tuple[str, str | None] | None:
    """(owner, dispatched_to) of an order, or None if there is none."""
    row = conn.execute(select(orders.c.owner_line, orders.c.dispatched_to_line)
                       .where(orders.c.id == order_id)).first()
    return None if row is None else (row.owner_line, row.dispatched_to_line)


def get_orders(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Orders with their history, in the order of ``ids``."""
    if not ids:
        return []
    rows = conn.execute(select(orders).where(orders.c.id.in_(ids))).all()
    by_id = {r.id: {**r._asdict(), "history": []} for r in rows}
    for h in conn.execute(select(order_history).where(order_history.c.order_id.in_(ids))
                          .order_by(order_history.c.id)):
        by_id[h.order_id]["history"].append(h._asdict())
    return [by_id[i] for i in ids if i in by_id]


def list_orders(conn: Connection, platform: str | None, page: Page
                ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of orders owned by or dispatched to ``platform`` (all for None), by id."""
    ids, cursor = page_ids(conn, orders, platform, ("owner_line", "dispatched_to_line"), page)
    return get_orders(conn, ids), cursor
