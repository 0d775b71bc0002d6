"""Every error the API returns has one shape: ``{"error": {"code", "message", "field"}}``.

Client mistakes are 4xx with the field at fault; only a fault of the server is 5xx. The shape
and its pieces are the project's one (:mod:`sim.domain.api_errors`); this module adds the
server's own answers (finer validation codes, ``Allow`` on 405, 503 for a busy database).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from sim.domain import api_errors
from sim.domain.api_errors import STATUS_CODES, http_code_message, internal_response
from sim.domain.api_errors import ApiError as ApiError  # raised by the routes
from sim.domain.api_errors import error_response as error_response  # used by the fast path

log = logging.getLogger("hotline.server")

_STATUS_CODES = {**STATUS_CODES, 413: "body_too_large", 415: "unsupported_media_type"}


def _validation_code(kind: str) -> str:
    if kind == "extra_forbidden":
        return "unknown_field"
    if kind == "missing":
        return "missing_field"
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type"):
        return "wrong_type"
    return "invalid_value"


async def _on_http(request: Request, exc: HTTPException) -> JSONResponse:
    code, message = http_code_message(exc, _STATUS_CODES)
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
        return internal_response(log, exc)
    return error_response(503, "busy", "the database is busy; retry with the same "
                          "Idempotency-Key", headers={"Retry-After": "1"})


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one error shape."""
    api_errors.install_error_handlers(app, log, validation_code=_validation_code, on_http=_on_http,
                                      more={PoolTimeout: _on_busy, OperationalError: _on_busy})
