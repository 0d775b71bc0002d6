"""Endpoints for transfers: S3 one-key, S4 three-way, S5 system dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection

from loadtest.server.auth import ADMIN, Caller, require_own_line, require_visible
from loadtest.server.creates import IdempotencyKey, run_write
from loadtest.server.errors import ApiError
from loadtest.server.queries import (
    Cursor,
    Limit,
    ResourceId,
    Since,
    Until,
    as_json,
    make_page,
    resource_router,
)
from loadtest.server.schemas import (
    Line,
    TransferIn,
    TransferMode,
    TransferOut,
    TransferPage,
)
from loadtest.server.storage.calls import call_lines
from loadtest.server.storage.transfers import get_transfers, insert_transfer, list_transfers

router = resource_router("transfers")
TransferId = ResourceId


def _transfer_out(conn: Connection, transfer_id: int) -> dict[str, Any]:
    row = get_transfers(conn, [transfer_id], with_record=True)[0]
    return as_json(TransferOut, row)


def _check_transfer(conn: Connection, platform: str, body: TransferIn) -> None:
    if body.to_line == body.from_line:
        raise ApiError(422, "invalid_value", "to_line must differ from from_line", "to_line")
    lines = call_lines(conn, body.call_id)
    if lines is None:
        raise ApiError(404, "not_found", f"no call {body.call_id}", "call_id")
    if platform != ADMIN and platform not in lines:
        raise ApiError(403, "forbidden", "this call is not visible to the platform", "call_id")
    if body.from_line not in lines:
        raise ApiError(409, "conflict", f"the call has not reached {body.from_line}",
                       "from_line")


@router.post("", status_code=201, response_model=TransferOut, summary="Transfer a call")
async def create_transfer(body: TransferIn, platform: Caller, request: Request,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """Pass a call from the caller's line to another; the answer carries caller and record."""
    require_own_line(platform, body.from_line, "from_line")

    def action(conn: Connection, now: datetime) -> dict[str, Any]:
        _check_transfer(conn, platform, body)
        return _transfer_out(conn, insert_transfer(conn, body.model_dump(), now))

    return await run_write(request, platform, idempotency_key, body, 201, action)


@router.get("/{transfer_id}", response_model=TransferOut, summary="One transfer")
def read_transfer(transfer_id: TransferId, platform: Caller, request: Request
                  ) -> dict[str, Any]:
    """The transfer with the caller and the call's record (its two lines and admin only)."""
    with request.app.state.db.read() as conn:
        rows = get_transfers(conn, [transfer_id], with_record=True)
        if not rows:
            raise ApiError(404, "not_found", f"no transfer {transfer_id}")
        require_visible(platform, (rows[0]["from_line"], rows[0]["to_line"]), "transfer")
        return as_json(TransferOut, rows[0])


@router.get("", response_model=TransferPage, summary="List transfers")
def search_transfers(platform: Caller, request: Request, mode: TransferMode | None = None,
                     from_line: Line | None = None, to_line: Line | None = None,
                     since: Since = None, until: Until = None, limit: Limit = 50,
                     cursor: Cursor = None) -> dict[str, Any]:
    """Transfers from or to the platform, oldest first; the window bounds ``created_at``."""
    page = make_page({"mode": mode, "from_line": from_line, "to_line": to_line},
                     since, until, limit, cursor)
    with request.app.state.db.read() as conn:
        items, nxt = list_transfers(conn, None if platform == ADMIN else platform, page)
    return TransferPage.model_validate({"items": items, "next_cursor": nxt}).model_dump(
        mode="json")
