"""The exchange server's ASGI app (FastAPI): 12345 ↔ 110 linkage of calls, transfers, orders."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.types import ASGIApp

from loadtest.server import routes_calls, routes_orders, routes_transfers
from loadtest.server.auth import Caller, TokenTable
from loadtest.server.config import ServerSettings
from loadtest.server.errors import install_error_handlers
from loadtest.server.fastpath import FastWrites
from loadtest.server.guard import RequestGuard
from loadtest.server.queries import reject_unknown_query
from loadtest.server.schemas import ErrorOut, Health
from loadtest.server.storage import Database
from loadtest.server.storage.stats import counts
from loadtest.server.storage.writer import GroupWriter

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in (
        (400, "malformed JSON or UTF-8"), (401, "missing or unknown token"),
        (403, "not allowed for this platform"), (404, "no such record"),
        (409, "illegal status transition or reused Idempotency-Key"),
        (413, "body too large"), (415, "body is not application/json"),
        (422, "invalid field"))}


def create_app(settings: ServerSettings, *, create_schema: bool = True) -> FastAPI:
    """The app for these settings; the schema is created at startup unless told not to."""
    db = Database(settings.db_url, sqlite_synchronous=settings.sqlite_synchronous)
    writer = GroupWriter(db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if create_schema:
            db.create_schema()
        yield
        writer.close()
        db.dispose()

    app = FastAPI(title="hotline-sim exchange server", version="1",
                  summary="12345 ↔ 110 linkage platform: calls, transfers, orders",
                  lifespan=lifespan, responses=_ERRORS)
    app.state.db = db
    app.state.writer = writer
    app.state.tokens = TokenTable(settings.tokens)
    app.state.counters = Counter()
    app.state.started = time.monotonic()
    install_error_handlers(app)
    for module in (routes_calls, routes_transfers, routes_orders):
        app.include_router(module.router)
    strict = [Depends(reject_unknown_query)]
    app.add_api_route("/healthz", healthz, methods=["GET"], response_model=Health,
                      tags=["service"], summary="Liveness and database reachability",
                      dependencies=strict)
    app.add_api_route("/metrics", metrics, methods=["GET"], tags=["service"],
                      summary="Counts of records and requests", dependencies=strict)
    return app


def serving_app(settings: ServerSettings, *, create_schema: bool = True) -> ASGIApp:
    """What uvicorn serves: the request guard, then the fast path of the hot writes, then the
    FastAPI app. Both wrappers sit outside FastAPI's own middleware stack, which profiling
    showed to cost as much as a whole fast write; the guard still checks and counts every
    request, fast or not."""
    app = create_app(settings, create_schema=create_schema)
    return RequestGuard(FastWrites(app, app.state), max_body_bytes=settings.max_body_bytes,
                        counters=app.state.counters)


def app_from_env() -> ASGIApp:
    """The app for the settings in ``HOTLINE_SERVER_SETTINGS`` (uvicorn worker factory)."""
    # The supervising process created the schema before starting workers.
    return serving_app(ServerSettings.from_env(), create_schema=False)


async def healthz(request: Request) -> dict[str, str]:
    """``{"status": "ok"}`` once the database answers (no token needed)."""
    request.app.state.db.ping()
    return {"status": "ok"}


def metrics(request: Request, _platform: Caller) -> dict[str, Any]:
    """Counts of calls, transfers and orders by status, and of requests this process served."""
    state = request.app.state
    with state.db.read() as conn:
        summary = counts(conn)
    counters = dict(state.counters)
    summary["requests"] = {"served": counters.pop("served", 0),
                           "idempotent_replays": counters.pop("idempotent_replays", 0),
                           "by_class": counters}
    summary["database"] = state.db.dialect
    summary["group_commit"] = {"batches": state.writer.batches,
                               "transactions": state.writer.transactions}
    summary["uptime_s"] = round(time.monotonic() - state.started, 3)
    return summary
