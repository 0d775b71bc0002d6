"""The fast path of the three writes a replay sends most: register a call, create an order,
move an order's status (``POST /v1/calls``, ``POST /v1/orders``, ``POST /v1/orders/{id}/status``).

Profiling showed most of a write's time in FastAPI's routing and dependency solving, not in
the work. This ASGI middleware serves the plain, valid case of those requests itself: the same
pydantic model parses the body, the same transaction functions of the route modules run in the
same group commit. Anything else — no or unknown token, an ``Idempotency-Key``, a body the
model refuses, another path — goes on to the FastAPI app untouched, so every error answer and
every other request is exactly what the app gives (it parses the body again, which only the
rare refused request pays for).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loadtest.server.creates import Action, commit_write
from loadtest.server.errors import ApiError, busy_response, error_response, log
from loadtest.server.guard import replay
from loadtest.server.routes_calls import call_action
from loadtest.server.routes_orders import order_action, status_action
from loadtest.server.schemas import MAX_ID, CallIn, OrderIn, StatusIn

_ORDERS = "/v1/orders/"
_STATUS = "/status"


class FastWrites:
    """Serve valid call/order writes directly; hand everything else to ``app``."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        route = _route(scope["path"])
        platform = self._platform(scope) if route is not None else None
        if route is None or platform is None:
            await self.app(scope, receive, send)
            return
        message = await receive()
        body = message.get("body", b"")
        again = replay(message, receive)
        if message.get("more_body"):
            await self.app(scope, again, send)
            return
        model, order_id = route
        try:
            payload = model.model_validate_json(body)
        except ValidationError:
            await self.app(scope, again, send)  # the app's own 422 (or 400) answer
            return
        await self._write(scope, send, platform, payload, order_id)

    def _platform(self, scope: Scope) -> str | None:
        """The platform of a bearer token, when the request is one for the fast path."""
        token = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if token is not None:
                    return None  # two Authorization headers: the app's path decides, as ever
                token = value
            elif name == b"idempotency-key":
                return None  # keyed retries take the app's path (validation of the key)
        if token is None or token[:7].lower() != b"bearer ":
            return None
        return self.state.tokens.platform_of(token[7:].decode("latin-1"))

    async def _write(self, scope: Scope, send: Send, platform: str, payload: BaseModel,
                     order_id: int | None) -> None:
        try:
            action, status = _action(platform, payload, order_id)
            response = await commit_write(self.state.writer, platform, None, "", status, action)
        except ApiError as exc:
            response = error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)
        except (OperationalError, PoolTimeout) as exc:
            response = await busy_response(exc)
        except Exception as exc:  # noqa: BLE001 - outside FastAPI's handlers: answer as they do
            log.exception("internal error", exc_info=exc)
            response = error_response(500, "internal", "internal server error")
        await response(scope, _no_receive, send)


def _route(path: str) -> tuple[type[BaseModel], int | None] | None:
    if path == "/v1/calls":
        return CallIn, None
    if path == "/v1/orders":
        return OrderIn, None
    if path.startswith(_ORDERS) and path.endswith(_STATUS):
        digits = path[len(_ORDERS):-len(_STATUS)]
        if digits.isascii() and digits.isdigit() and len(digits) <= 16 \
                and 1 <= int(digits) <= MAX_ID and digits[0] != "0":
            return StatusIn, int(digits)
    return None


def _action(platform: str, payload: BaseModel, order_id: int | None) -> tuple[Action, int]:
    if isinstance(payload, CallIn):
        return call_action(platform, payload), 201
    if isinstance(payload, OrderIn):
        return order_action(platform, payload), 201
    assert isinstance(payload, StatusIn) and order_id is not None
    return status_action(platform, order_id, payload), 200


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
