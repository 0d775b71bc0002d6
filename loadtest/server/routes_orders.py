"""Endpoints for work orders (工单) and police orders (警单) and their status machine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection

from loadtest.server.auth import ADMIN, Caller, require_own_line, require_visible
from loadtest.server.creates import Action, IdempotencyKey, run_write
from loadtest.server.errors import ApiError
from loadtest.server.lifecycle import check_transition, default_deadline
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
    Line,
    OrderIn,
    OrderKind,
    OrderOut,
    OrderPage,
    OrderStatus,
    StatusIn,
)
from loadtest.server.storage import lean
from loadtest.server.storage.lean import Lean
from loadtest.server.storage.orders import get_orders, list_orders, order_lines

router = resource_router("orders")
OrderId = ResourceId


def _order_out(conn: Connection, order_id: int) -> dict[str, Any]:
    return as_json(OrderOut, get_orders(conn, [order_id])[0])


def _owner(platform: str, body: OrderIn) -> str:
    # Rules that depend on who asks are 403; the schema states those it can (owner_line and
    # dispatched_to_line differ when both are given: 422).
    if body.owner_line is None and platform == ADMIN:
        raise ApiError(403, "forbidden", "admin acts for a line: name the owner_line",
                       "owner_line")
    require_own_line(platform, body.owner_line, "owner_line")
    owner = body.owner_line or platform
    if body.dispatched_to_line == owner:
        status = 422 if body.owner_line is not None else 403
        raise ApiError(status, "invalid_value" if status == 422 else "forbidden",
                       "dispatched_to_line must differ from the owner", "dispatched_to_line")
    return owner


def _check_references(conn: Connection, platform: str, body: OrderIn) -> None:
    if body.call_id is not None:
        lines = lean.call_lines(Lean.of(conn), body.call_id)
        if lines is None:
            raise ApiError(404, "not_found", f"no call {body.call_id}", "call_id")
        if platform != ADMIN and platform not in lines:
            raise ApiError(403, "forbidden", "this call is not visible to the platform",
                           "call_id")
    if body.linked_order_id is not None:
        linked = order_lines(conn, body.linked_order_id)
        if linked is None:
            raise ApiError(404, "not_found", f"no order {body.linked_order_id}",
                           "linked_order_id")
        if platform != ADMIN and platform not in linked:
            raise ApiError(403, "forbidden", "the linked order is not visible to the platform",
                           "linked_order_id")


@router.post("", status_code=201, response_model=OrderOut, summary="Create an order")
async def create_order(body: OrderIn, platform: Caller, request: Request,
                 idempotency_key: IdempotencyKey = None) -> Response:
    """Create a work order or police order owned by the caller's platform (status created)."""
    return await run_write(request, platform, idempotency_key, body, 201,
                           order_action(platform, body))


def order_action(platform: str, body: OrderIn) -> Action:
    """The transaction creating the order ``body`` (the checks needing no database first)."""
    owner = _owner(platform, body)

    def action(conn: Connection, now: datetime) -> dict[str, Any]:
        _check_references(conn, platform, body)
        values = {**body.model_dump(), "owner_line": owner,
                  "deadline": body.deadline or default_deadline(body.urgency, now)}
        return lean.insert_order(Lean.of(conn), values, platform, now)

    return action


@router.get("/{order_id}", response_model=OrderOut, summary="One order with its history")
def read_order(order_id: OrderId, platform: Caller, request: Request) -> dict[str, Any]:
    """The order (owner, dispatch target and admin only) with its status history."""
    with request.app.state.db.read() as conn:
        lines = order_lines(conn, order_id)
        if lines is None:
            raise ApiError(404, "not_found", f"no order {order_id}")
        require_visible(platform, lines, "order")
        return _order_out(conn, order_id)


@router.get("", response_model=OrderPage, summary="List orders")
def search_orders(platform: Caller, request: Request, status: OrderStatus | None = None,
                  kind: OrderKind | None = None, region: RegionFilter = None,
                  category: CategoryFilter = None, owner_line: Line | None = None,
                  since: Since = None, until: Until = None, limit: Limit = 50,
                  cursor: Cursor = None) -> dict[str, Any]:
    """Orders owned by or dispatched to the platform, oldest first; window on ``created_at``."""
    check_codes(region, category)
    page = make_page({"status": status, "kind": kind, "region": region, "category": category,
                      "owner_line": owner_line}, since, until, limit, cursor)
    with request.app.state.db.read() as conn:
        items, nxt = list_orders(conn, None if platform == ADMIN else platform, page)
    return as_json(OrderPage, {"items": items, "next_cursor": nxt})


@router.post("/{order_id}/status", response_model=OrderOut, summary="Move an order's status")
async def change_status(order_id: OrderId, body: StatusIn, platform: Caller, request: Request,
                  idempotency_key: IdempotencyKey = None) -> Response:
    """Sign, start, answer (with feedback), close (with satisfaction) or reopen an order."""
    return await run_write(request, platform, idempotency_key, body, 200,
                           status_action(platform, order_id, body))


def status_action(platform: str, order_id: int, body: StatusIn) -> Action:
    """The transaction moving order ``order_id`` as ``body`` says."""

    def action(conn: Connection, now: datetime) -> dict[str, Any]:
        db = Lean.of(conn)
        row = lean.order_for_update(db, order_id)
        if row is None:
            raise ApiError(404, "not_found", f"no order {order_id}")
        require_visible(platform, (row["owner_line"], row["dispatched_to_line"]), "order")
        check_transition(row["status"], body.status, body.satisfaction)
        return lean.move_order(db, row, body.model_dump(), platform, now)

    return action
