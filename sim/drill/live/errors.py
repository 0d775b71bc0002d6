"""Every error of the live drill's API is JSON: ``{"error": {"code", "message", "field"}}``.

A client's mistake is a 4xx naming the field at fault; request validation (pydantic) is a 422.
The shape and its handlers are the project's one (:mod:`sim.domain.api_errors`); a clock
action the clock's state refuses is a 409 at ``action``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sim.domain import api_errors
from sim.domain.api_errors import error_response
from sim.drill.live.clock import ClockError

log = logging.getLogger("hotline.drill")


async def _on_clock(_: Request, exc: ClockError) -> JSONResponse:
    return error_response(409, "clock_state", str(exc), "action")


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one error shape."""
    api_errors.install_error_handlers(app, log, more={ClockError: _on_clock})
