"""The one error shape of the project's HTTP APIs: ``{"error": {"code", "message", "field"}}``.

Both the live drill (``sim.drill.live``) and the reference exchange server (``loadtest.server``)
answer every error this way: a client's mistake is a 4xx with a stable code and the field at
fault; request validation (pydantic) is a 422, a body that is not JSON a 400; only a fault of
the server is a 5xx. Each API installs its own handlers, built from these pieces.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

Handler = Callable[[Request, Any], Awaitable[JSONResponse]]
"""An exception handler of a FastAPI app."""

STATUS_CODES: Mapping[int, str] = {400: "bad_request", 401: "unauthorized", 403: "forbidden",
                                   404: "not_found", 405: "method_not_allowed", 409: "conflict",
                                   422: "invalid_value"}
"""The code of an error answer by HTTP status, where no handler names a finer one."""
LOCATIONS = ("body", "query", "path", "header", "cookie")
"""Where pydantic says a request value came from (the first part of an error location)."""


class ApiError(Exception):
    """An error answer: HTTP status, stable code, message and (when one is at fault) field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON response for one error."""
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers)


def api_error_response(exc: ApiError) -> JSONResponse:
    """The response of a raised :class:`ApiError`."""
    return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)


def field_name(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """The dotted field path of a pydantic error location, without ``body``/``query``/…."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or None


def validation_response(exc: RequestValidationError,
                        code_of: Callable[[str], str] = lambda _kind: "invalid_value",
                        ) -> JSONResponse:
    """400 for a body that is not JSON; else 422 naming the first field at fault (and how many
    more there are), its code ``code_of(pydantic's error type)``."""
    errors = exc.errors()
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "body is not valid JSON")
    message = str(first.get("msg", "invalid"))
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return error_response(422, code_of(str(first.get("type", ""))), message,
                          field_name(first.get("loc", ())))


def http_code_message(exc: HTTPException,
                      codes: Mapping[int, str] = STATUS_CODES) -> tuple[str, str]:
    """The code and message of a Starlette ``HTTPException`` (a 404 of an unknown path, …)."""
    code = codes.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return code, message


def internal_response(log: logging.Logger, exc: Exception) -> JSONResponse:
    """Log the traceback of a fault and answer 500 without details."""
    log.exception("internal error", exc_info=exc)
    return error_response(500, "internal", "internal server error")


def install_error_handlers(app: FastAPI, log: logging.Logger, *,
                           validation_code: Callable[[str], str] | None = None,
                           on_http: Handler | None = None,
                           more: Mapping[type[Exception], Handler] | None = None) -> None:
    """Route every exception of ``app`` through the one error shape.

    An :class:`ApiError` answers as raised; request validation as :func:`validation_response`
    (codes by ``validation_code``, default ``invalid_value``); an ``HTTPException`` by
    ``on_http`` (default: :func:`http_code_message`); any other exception is logged to ``log``
    and a 500, unless ``more`` maps its class to a handler.
    """
    code_of = validation_code or (lambda _kind: "invalid_value")

    async def on_api_error(_: Request, exc: ApiError) -> JSONResponse:
        return api_error_response(exc)

    async def on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc, code_of)

    async def on_http_default(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, *http_code_message(exc))

    async def on_internal(_: Request, exc: Exception) -> JSONResponse:
        return internal_response(log, exc)

    app.add_exception_handler(RequestValidationError, on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, on_http or on_http_default)  # type: ignore[arg-type]
    for kind, handler in (more or {}).items():
        app.add_exception_handler(kind, handler)
    app.add_exception_handler(Exception, on_internal)
