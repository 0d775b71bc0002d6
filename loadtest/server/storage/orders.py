"""Work orders and police orders with their status history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from loadtest.server.storage.pages import Page, apply_page, split_page
from loadtest.server.storage.tables import order_history, orders


def insert_order(conn: Connection, values: dict[str, Any], platform: str, now: datetime) -> int:
    """Store a new order (status created) and its first history entry; its id."""
    row = {**values, "status": "created", "created_at": now, "updated_at": now}
    order_id = conn.execute(insert(orders).values(**row).returning(orders.c.id)).scalar_one()
    conn.execute(insert(order_history).values(order_id=order_id, status="created", at=now,
                                              by=platform))
    return int(order_id)


def order_for_update(conn: Connection, order_id: int) -> Any | None:
    """The order's row, locked until the transaction ends (PostgreSQL; SQLite locks it all)."""
    return conn.execute(select(orders).where(orders.c.id == order_id).with_for_update()).first()


def order_lines(conn: Connection, order_id: int) -> tuple[str, str | None] | None:
    """(owner, dispatched_to) of an order, or None if there is none."""
    row = conn.execute(select(orders.c.owner_line, orders.c.dispatched_to_line)
                       .where(orders.c.id == order_id)).first()
    return None if row is None else (row.owner_line, row.dispatched_to_line)


def move_order(conn: Connection, order_id: int, change: dict[str, Any], platform: str,
               now: datetime) -> None:
    """Apply a status change and append it to the history."""
    status, note, sat = change["status"], change.get("note"), change.get("satisfaction")
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == "answered" and note is not None:
        values["feedback"] = note
    if status == "closed" and sat is not None:
        values["satisfaction"] = sat
    conn.execute(update(orders).where(orders.c.id == order_id).values(**values))
    conn.execute(insert(order_history).values(order_id=order_id, status=status,
                                              at=change.get("at") or now, by=platform,
                                              note=note, satisfaction=sat))


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
    query = select(orders.c.id)
    if platform is not None:
        query = query.where(or_(orders.c.owner_line == platform,
                                orders.c.dispatched_to_line == platform))
    rows, cursor = split_page(conn.execute(apply_page(query, orders, page, "created_at")).all(),
                              page.limit)
    return get_orders(conn, [r.id for r in rows]), cursor
