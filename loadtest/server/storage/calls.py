"""Calls, their legs (one per centre reached) and their events; transfers add legs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from loadtest.server.storage.pages import Page, apply_page, split_page
from loadtest.server.storage.tables import call_events, call_legs, calls, transfers


def call_lines(conn: Connection, call_id: int) -> set[str] | None:
    """The lines the call has reached (who may see it); None if there is no such call."""
    rows = conn.execute(select(call_legs.c.line).where(call_legs.c.call_id == call_id)).all()
    return {r.line for r in rows} or None


def latest_leg(conn: Connection, call_id: int, line: str | None) -> Any | None:
    """The call's newest leg (at ``line`` when given)."""
    query = select(call_legs).where(call_legs.c.call_id == call_id)
    if line is not None:
        query = query.where(call_legs.c.line == line)
    return conn.execute(query.order_by(call_legs.c.leg.desc()).limit(1)).first()


def record_event(conn: Connection, leg: Any, kind: str, at: datetime) -> None:
    """Mark a leg answered or abandoned; the call's status follows its newest leg."""
    conn.execute(insert(call_events).values(call_id=leg.call_id, leg=leg.leg, line=leg.line,
                                            type=kind, at=at))
    conn.execute(update(call_legs).where(call_legs.c.call_id == leg.call_id,
                                         call_legs.c.leg == leg.leg).values(status=kind))
    _refresh_status(conn, leg.call_id)


def add_leg(conn: Connection, call_id: int, line: str, via: str, at: datetime) -> int:
    """A new leg at ``line`` (a transfer's target); its number."""
    top = conn.execute(select(func.max(call_legs.c.leg))
                       .where(call_legs.c.call_id == call_id)).scalar_one()
    leg = int(top) + 1
    conn.execute(insert(call_legs).values(call_id=call_id, leg=leg, line=line, via=via,
                                          status="received", arrived_at=at))
    _refresh_status(conn, call_id)
    return leg


def _refresh_status(conn: Connection, call_id: int) -> None:
    newest = latest_leg(conn, call_id, None)
    conn.execute(update(calls).where(calls.c.id == call_id).values(status=newest.status))


def get_calls(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Calls with their legs, events and transfers, in the order of ``ids``."""
    if not ids:
        return []
    rows = conn.execute(select(calls).where(calls.c.id.in_(ids))).all()
    by_id = {r.id: {**r._asdict(), "legs": [], "events": [], "transfers": []} for r in rows}
    for leg in conn.execute(select(call_legs).where(call_legs.c.call_id.in_(ids))
                            .order_by(call_legs.c.call_id, call_legs.c.leg)):
        by_id[leg.call_id]["legs"].append(leg._asdict())
    for ev in conn.execute(select(call_events).where(call_events.c.call_id.in_(ids))
                           .order_by(call_events.c.id)):
        by_id[ev.call_id]["events"].append(ev._asdict())
    for tr in conn.execute(select(transfers).where(transfers.c.call_id.in_(ids))
                           .order_by(transfers.c.id)):
        by_id[tr.call_id]["transfers"].append(
            {**tr._asdict(), "caller": by_id[tr.call_id]["caller"], "record": None})
    return [by_id[i] for i in ids if i in by_id]


def list_calls(conn: Connection, platform: str | None, page: Page
               ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of calls visible to ``platform`` (all for None), by id."""
    query = select(calls.c.id)
    if platform is not None:
        seen = select(call_legs.c.call_id).where(call_legs.c.line == platform)
        query = query.where(calls.c.id.in_(seen))
    rows, cursor = split_page(conn.execute(apply_page(query, calls, page, "received_at")).all(),
                              page.limit)
    return get_calls(conn, [r.id for r in rows]), cursor
