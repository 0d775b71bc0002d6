"""Transfers between lines: S3 one-key (一键携号转接), S4 three-way (三方通话), S5 system
dispatch (系统派件). A transfer adds a leg at the target line, which may then see the call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from loadtest.server.storage.calls import add_leg, get_calls
from loadtest.server.storage.pages import Page, page_ids
from loadtest.server.storage.tables import transfers


def insert_transfer(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    """Store a transfer and the call's new leg; the transfer's id."""
    transfer_id = conn.execute(insert(transfers).values(**values, created_at=now)
                               .returning(transfers.c.id)).scalar_one()
    add_leg(conn, values["call_id"], values["to_line"], values["mode"], now)
    return int(transfer_id)


def get_transfers(conn: Connection, ids: list[int], *, with_record: bool
                  ) -> list[dict[str, Any]]:
    """Transfers with the caller and (optionally) the call's full record, in ``ids`` order."""
    if not ids:
        return []
    rows = {r.id: r._asdict() for r in conn.execute(select(transfers)
                                                    .where(transfers.c.id.in_(ids)))}
    call_ids = sorted({r["call_id"] for r in rows.values()})
    records = {c["id"]: c for c in get_calls(conn, call_ids)}
    out = []
    for i in ids:
        if i in rows:
            record = records[rows[i]["call_id"]]
            out.append({**rows[i], "caller": record["caller"],
                        "record": record if with_record else None})
    return out


def list_transfers(conn: Connection, platform: str | None, page: Page
                   ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of transfers from or to ``platform`` (all for None), by id."""
    ids, cursor = page_ids(conn, transfers, platform, ("from_line", "to_line"), page)
    return get_transfers(conn, ids, with_record=False), cursor
