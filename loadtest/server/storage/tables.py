"""The exchange server's tables (SQLAlchemy Core), the same for SQLite and PostgreSQL.

Times are stored as UTC without a zone (``UtcDateTime``) so that both databases compare and
sort them alike; they come back as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _id() -> Column:
    return Column("id", IdType, primary_key=True, autoincrement=True)


calls = Table(
    "calls", metadata, _id(),
    Column("external_id", String(128)),
    Column("line", String(8), nullable=False),
    Column("region", String(12), nullable=False),
    Column("category", String(64), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("caller", String(128)),
    Column("received_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Index("ix_calls_received", "received_at"),
)

# One row per centre the call reached: leg 0 where it arrived, then one per transfer.
call_legs = Table(
    "call_legs", metadata,
    Column("call_id", IdType, ForeignKey("calls.id"), primary_key=True),
    Column("leg", Integer, primary_key=True),
    Column("line", String(8), nullable=False),
    Column("via", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("arrived_at", UtcDateTime, nullable=False),
    Index("ix_call_legs_line", "line", "call_id"),
)

call_events = Table(
    "call_events", metadata, _id(),
    Column("call_id", IdType, ForeignKey("calls.id"), nullable=False),
    Column("leg", Integer, nullable=False),
    Column("line", String(8), nullable=False),
    Column("type", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_call_events_call", "call_id"),
)

transfers = Table(
    "transfers", metadata, _id(),
    Column("call_id", IdType, ForeignKey("calls.id"), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("from_line", String(8), nullable=False),
    Column("to_line", String(8), nullable=False),
    Column("note", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_transfers_call", "call_id"),
)

orders = Table(
    "orders", metadata, _id(),
    Column("kind", String(16), nullable=False),
    Column("call_id", IdType, ForeignKey("calls.id")),
    Column("region", String(12), nullable=False),
    Column("category", String(64), nullable=False),
    Column("urgency", String(8), nullable=False),
    Column("deadline", UtcDateTime, nullable=False),
    Column("department", String(128)),
    Column("owner_line", String(8), nullable=False),
    Column("dispatched_to_line", String(8)),
    Column("linked_order_id", IdType, ForeignKey("orders.id")),
    Column("status", String(16), nullable=False),
    Column("feedback", Text),
    Column("satisfaction", Float),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_orders_owner", "owner_line", "id"),
    Index("ix_orders_dispatched", "dispatched_to_line", "id"),
    Index("ix_orders_status", "status", "id"),
)

order_history = Table(
    "order_history", metadata, _id(),
    Column("order_id", IdType, ForeignKey("orders.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("by", String(8), nullable=False),
    Column("note", Text),
    Column("satisfaction", Float),
    Index("ix_order_history_order", "order_id"),
)

# A create's response (unique per platform and key), kept in the same transaction as the row it created.
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("platform", String(8), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
