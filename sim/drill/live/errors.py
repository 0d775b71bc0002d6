"""Every error of the live drill's API is JSON: ``{"error": {"code", "message", "field"}}``.

A client's mistake is a 4xx naming the field at fault; request validation (pydantic) is a 422.
The shape and its pieces are the project's one (:mod:`sim.domain.api_errors`).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sim.domain.api_errors import (
    ApiError,
    api_error_response,
    error_response,
    http_code_message,
    internal_response,
    validation_response,
)
from sim.drill.live.clock import ClockError

log = logging.getLogger("hotline.drill")


async def _on_api_error(_: Request, exc: ApiError) -> JSONResponse:
    return api_error_response(exc)


async def _on_clock(_: Request, exc: ClockError) -> JSONResponse:
    return error_response(409, "clock_state", str(exc), "action")


async def _on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    return validation_response(exc)


async def _on_http(_: Request, exc: HTTPException) -> JSONResponse:
    return error_response(exc.status_code, *http_code_message(exc))


async def _on_internal(_: Request, exc: Exception) -> JSONResponse:
    return internal_response(log, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one error shape."""
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(ClockError, _on_clock)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_internal)
