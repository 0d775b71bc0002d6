"""Endpoints for calls: register, read, list, and record an event (answered, abandoned)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection

from loadtest.server.auth import ADMIN, Caller, require_own_line, require_visible
from loadtest.server.creates import Action, IdempotencyKey, run_write
from loadtest.server.errors import ApiError
from loadtest.server.queries import (
    CategoryFilter,
    Cursor,
    Limit,
    RegionFilter,
    ResourceId,
    Since,
    Until,
    as_json,
    check_codes,
    make_page,
    resource_router,
)
from loadtest.server.schemas import (
    CallEventIn,
    CallIn,
    CallOut,
    CallPage,
    CallStatus,
    Line,
)
from loadtest.server.storage import lean
from loadtest.server.storage.calls import (
    call_lines,
    get_calls,
    latest_leg,
    list_calls,
    record_event,
)
from loadtest.server.storage.lean import Lean

router = resource_router("calls")
CallId = ResourceId


def call_out(conn: Connection, call_id: int) -> dict[str, Any]:
    """The call as the API shows it (JSON-ready)."""
    return as_json(CallOut, get_calls(conn, [call_id])[0])


def visible_call(conn: Connection, platform: str, call_id: int) -> set[str]:
    """The call's lines; 404 if there is no such call, 403 if the platform may not see it."""
    lines = call_lines(conn, call_id)
    if lines is None:
        raise ApiError(404, "not_found", f"no call {call_id}")
    require_visible(platform, lines, "call")
    return lines


@router.post("", status_code=201, response_model=CallOut, summary="Register a call")
async def create_call(body: CallIn, platform: Caller, request: Request,
                idempotency_key: IdempotencyKey = None) -> Response:
    """Register a call received by the caller's platform (``line`` must be its own)."""
    return await run_write(request, platform, idempotency_key, body, 201,
                           call_action(platform, body))


def call_action(platform: str, body: CallIn) -> Action:
    """The transaction registering ``body`` (403 at once if the line is not the platform's)."""
    require_own_line(platform, body.line, "line")

    def action(conn: Connection, now: datetime) -> dict[str, Any]:
        return lean.insert_call(Lean.of(conn), body.model_dump(), now)

    return action


@router.get("/{call_id}", response_model=CallOut, summary="One call with its events")
def read_call(call_id: CallId, platform: Caller, request: Request) -> dict[str, Any]:
    """The call, its legs, events and transfers."""
    with request.app.state.db.read() as conn:
        visible_call(conn, platform, call_id)
        return call_out(conn, call_id)


@router.get("", response_model=CallPage, summary="List calls")
def search_calls(platform: Caller, request: Request, line: Line | None = None,
                 region: RegionFilter = None, category: CategoryFilter = None,
                 status: CallStatus | None = None, since: Since = None, until: Until = None,
                 limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    """Calls visible to the platform, oldest first; ``since``/``until`` bound ``received_at``."""
    check_codes(region, category)
    page = make_page({"line": line, "region": region, "category": category, "status": status},
                     since, until, limit, cursor)
    with request.app.state.db.read() as conn:
        items, nxt = list_calls(conn, None if platform == ADMIN else platform, page)
    return as_json(CallPage, {"items": items, "next_cursor": nxt})


@router.post("/{call_id}/events", response_model=CallOut, summary="Answered or abandoned")
async def add_call_event(call_id: CallId, body: CallEventIn, platform: Caller, request: Request,
                   idempotency_key: IdempotencyKey = None) -> Response:
    """Record that the platform's leg of the call was answered or abandoned (once per leg)."""
    require_own_line(platform, body.line, "line")
    line = body.line or (None if platform == ADMIN else platform)

    def action(conn: Connection, now: datetime) -> dict[str, Any]:
        lines = visible_call(conn, platform, call_id)
        if line is not None and line not in lines:
            raise ApiError(409, "conflict", f"the call has not reached line {line}", "line")
        leg = latest_leg(conn, call_id, line)
        if leg.status != "received":
            raise ApiError(409, "illegal_transition",
                           f"leg {leg.leg} at line {leg.line} is already {leg.status}", "type")
        record_event(conn, leg, body.type, body.at or now)
        return call_out(conn, call_id)

    return await run_write(request, platform, idempotency_key, body, 200, action)
