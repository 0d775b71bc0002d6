"""Every error of the live drill's API is JSON: ``{"error": {"code", "message", "field"}}``.

A client's mistake is a 4xx naming the field at fault; request validation (pydantic) is a 422.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sim.drill.live.clock import ClockError
from sim.drill.live.session import DecisionError

log = logging.getLogger("hotline.drill")
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 422: "invalid_value"}


class ApiError(DecisionError):
    """An error answer raised by a route (same fields as a refused decision)."""


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    """The JSON response of one error."""
    return JSONResponse({"error": {"code": code, "message": message, "field": field}},
                        status_code=status)


async def _on_decision(_: Request, exc: DecisionError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.field)


async def _on_clock(_: Request, exc: ClockError) -> JSONResponse:
    return error_response(409, "clock_state", str(exc), "action")


async def _on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors() or [{"loc": (), "msg": "invalid request", "type": ""}]
    first = errors[0]
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "body is not valid JSON")
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    message = str(first.get("msg", "invalid"))
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return error_response(422, "invalid_value", message, ".".join(loc) or None)


async def _on_http(_: Request, exc: HTTPException) -> JSONResponse:
    code = _CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message)


async def _on_internal(_: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return error_response(500, "internal", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one error shape."""
    app.add_exception_handler(DecisionError, _on_decision)  # type: ignore[arg-type]
    app.add_exception_handler(ClockError, _on_clock)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_internal)
