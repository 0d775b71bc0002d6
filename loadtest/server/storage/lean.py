"""Lean SQL for the hot write path: register a call, create an order, move an order's status,
and the idempotency keys of those writes.

Profiling the server under the replay showed most of a write's time in building and caching
SQLAlchemy statements (about 1.5 ms per request against some 15 µs per statement in SQLite),
so these statements are written once, in SQL both SQLite and PostgreSQL accept, and run on the
driver's cursor of the writer's connection, inside its transaction. The rows are the same as
``tables.py`` defines (times as UTC without a zone), and each function returns the record as
the API shows it, built from what it wrote instead of read back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from loadtest.server.storage.engine import WROTE

_LEAN = "hotline_lean"


@lru_cache(maxsize=128)
def _pg(sql: str) -> str:
    return sql.replace("?", "%s")  # psycopg's parameter style; no statement here has a "?"


class Lean:
    """The driver connection of a SQLAlchemy connection, with the dialect's parameter style."""

    __slots__ = ("_last", "info", "raw", "sqlite")

    def __init__(self, conn: Connection) -> None:
        self.raw = conn.connection.driver_connection
        self.sqlite = conn.dialect.name == "sqlite"
        self.info = conn.info
        self._last: tuple[datetime | None, Any] = (None, None)

    @classmethod
    def of(cls, conn: Connection) -> Lean:
        """The connection's ``Lean`` (made once per connection, kept in its ``info``)."""
        lean = conn.info.get(_LEAN)
        if lean is None or lean.raw is not conn.connection.driver_connection:
            lean = conn.info[_LEAN] = cls(conn)
        return lean

    def run(self, sql: str, params: tuple[Any, ...]) -> Any:
        """Execute one statement; the cursor."""
        if not sql.startswith("SELECT"):
            self.info[WROTE] = True  # the group writer must redo the batch if this job fails
        return self.raw.execute(sql if self.sqlite else _pg(sql), params)

    def insert(self, sql: str, params: tuple[Any, ...]) -> int:
        """Run an ``INSERT ... RETURNING id``; the new id."""
        return int(self.run(sql + " RETURNING id", params).fetchone()[0])

    def stamp(self, moment: datetime | None) -> Any:
        """A time as stored: naive UTC (text with microseconds in SQLite, as SQLAlchemy does)."""
        if moment is None:
            return None
        last, stamped = self._last
        if moment is last:  # a request stores its ``now`` several times
            return stamped
        value = moment
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        stamped = value.isoformat(" ", "microseconds") if self.sqlite else value
        self._last = (moment, stamped)
        return stamped

    def time(self, value: Any) -> datetime | None:
        """A stored time as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


def insert_call(db: Lean, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Store a new call and its first leg; the call as the API shows it."""
    received = values.get("received_at") or now
    call_id = db.insert(
        "INSERT INTO calls (external_id, line, region, category, channel, caller, received_at,"
        " created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received')",
        (values["external_id"], values["line"], values["region"], values["category"],
         values["channel"], values["caller"], db.stamp(received), db.stamp(now)))
    db.run("INSERT INTO call_legs (call_id, leg, line, via, status, arrived_at)"
           " VALUES (?, 0, ?, 'received', 'received', ?)",
           (call_id, values["line"], db.stamp(received)))
    return {"id": call_id, **{k: values[k] for k in (
        "external_id", "line", "region", "category", "channel", "caller")},
        "received_at": received, "created_at": now, "status": "received",
        "legs": [{"leg": 0, "line": values["line"], "via": "received", "status": "received",
                  "arrived_at": received}], "events": [], "transfers": []}


def call_lines(db: Lean, call_id: int) -> set[str] | None:
    """The lines the call has reached; None if there is no such call."""
    rows = db.run("SELECT line FROM call_legs WHERE call_id = ?", (call_id,)).fetchall()
    return {r[0] for r in rows} or None


ORDER_FIELDS = ("kind", "call_id", "region", "category", "urgency", "deadline", "department",
                "owner_line", "dispatched_to_line", "linked_order_id")
_ORDER_ROW = ("id, kind, call_id, region, category, urgency, deadline, department, owner_line,"
              " dispatched_to_line, linked_order_id, status, feedback, satisfaction, created_at,"
              " updated_at")
_ORDER_COLUMNS = tuple(c.strip() for c in _ORDER_ROW.split(","))
_ORDER_TIMES = ("deadline", "created_at", "updated_at")


def insert_order(db: Lean, values: dict[str, Any], platform: str, now: datetime
                 ) -> dict[str, Any]:
    """Store a new order (status created) and its first history entry; the order as shown."""
    params = tuple(db.stamp(values[f]) if f == "deadline" else values[f] for f in ORDER_FIELDS)
    order_id = db.insert(
        f"INSERT INTO orders ({', '.join(ORDER_FIELDS)}, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', ?, ?)",
        (*params, db.stamp(now), db.stamp(now)))
    db.run('INSERT INTO order_history (order_id, status, at, "by") VALUES (?, \'created\', ?, ?)',
           (order_id, db.stamp(now), platform))
    return {"id": order_id, **{f: values[f] for f in ORDER_FIELDS}, "status": "created",
            "feedback": None, "satisfaction": None, "created_at": now, "updated_at": now,
            "history": [{"status": "created", "at": now, "by": platform, "note": None,
                         "satisfaction": None}]}


def order_for_update(db: Lean, order_id: int) -> dict[str, Any] | None:
    """The order's row (locked until the transaction ends on PostgreSQL), times aware."""
    lock = "" if db.sqlite else " FOR UPDATE"
    row = db.run(f"SELECT {_ORDER_ROW} FROM orders WHERE id = ?{lock}", (order_id,)).fetchone()
    if row is None:
        return None
    order = dict(zip(_ORDER_COLUMNS, row, strict=True))
    for name in _ORDER_TIMES:
        order[name] = db.time(order[name])
    return order


def move_order(db: Lean, order: dict[str, Any], change: dict[str, Any], platform: str,
               now: datetime) -> dict[str, Any]:
    """Apply a status change to ``order`` (its row), append it to the history; the order shown."""
    status, note, sat = change["status"], change.get("note"), change.get("satisfaction")
    order = {**order, "status": status, "updated_at": now}
    if status == "answered" and note is not None:
        order["feedback"] = note
    if status == "closed" and sat is not None:
        order["satisfaction"] = sat
    db.run("UPDATE orders SET status = ?, feedback = ?, satisfaction = ?, updated_at = ?"
           " WHERE id = ?", (status, order["feedback"], order["satisfaction"], db.stamp(now),
                             order["id"]))
    db.run('INSERT INTO order_history (order_id, status, at, "by", note, satisfaction)'
           " VALUES (?, ?, ?, ?, ?, ?)",
           (order["id"], status, db.stamp(change.get("at") or now), platform, note, sat))
    rows = db.run('SELECT status, at, "by", note, satisfaction FROM order_history'
                  " WHERE order_id = ? ORDER BY id", (order["id"],)).fetchall()
    order["history"] = [{"status": s, "at": db.time(at), "by": by, "note": n, "satisfaction": v}
                        for s, at, by, n, v in rows]
    return order
