"""Every error the API returns has one shape: ``{"error": {"code", "message", "field"}}``.

Client mistakes are 4xx with the field at fault; only a fault of the server is 5xx.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

log = logging.getLogger("hotline.server")

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "body_too_large",
                 415: "unsupported_media_type", 422: "invalid_value"}
_LOCATIONS = ("body", "query", "path", "header", "cookie")


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


def field_name(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """The dotted field path of a pydantic error location, without ``body``/``query``/…."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or None


def _validation_code(kind: str) -> str:
    if kind == "extra_forbidden":
        return "unknown_field"
    if kind == "missing":
        return "missing_field"
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type"):
        return "wrong_type"
    return "invalid_value"


async def _on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "body is not valid JSON")
    field = field_name(first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return error_response(422, _validation_code(str(first.get("type", ""))), message, field)


async def _on_api_error(_: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)


async def _on_http(request: Request, exc: HTTPException) -> JSONResponse:
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = getattr(exc, "headers", None)
    if exc.status_code == 400:
        code, message = "invalid_json", f"body is not valid JSON ({message})"
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return error_response(exc.status_code, code, message, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the API serves at the request's path, from its OpenAPI document (Starlette
    lists only the first matching route's, so GET and POST on one path answered ``Allow: POST``)."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = request.app.state.allowed_methods = _method_table(request.app.openapi())
    path = request.url.path
    for pattern, methods in table:
        if pattern.fullmatch(path):
            return methods
    return []


def _method_table(openapi: dict[str, Any]) -> list[tuple[re.Pattern[str], list[str]]]:
    table = []
    for template, operations in openapi.get("paths", {}).items():
        pattern = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)))
        methods = {m.upper() for m in operations}
        if "GET" in methods:
            methods.add("HEAD")  # served for every GET route
        table.append((pattern, sorted(methods)))
    return table


async def _on_busy(_: Request, exc: Exception) -> JSONResponse:
    return await busy_response(exc)


async def busy_response(exc: Exception) -> JSONResponse:
    """503 with Retry-After for a locked database or an exhausted pool; else the 500 answer."""
    if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
        log.exception("internal error", exc_info=exc)
        return error_response(500, "internal", "internal server error")
    return error_response(503, "busy", "the database is busy; retry with the same "
                          "Idempotency-Key", headers={"Retry-After": "1"})


async def _on_internal(_: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return error_response(500, "internal", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one error shape."""
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _on_busy)
    app.add_exception_handler(OperationalError, _on_busy)
    app.add_exception_handler(Exception, _on_internal)
