"""One write transaction per request, with safe retries through ``Idempotency-Key``.

The created row and the key's stored response are committed together, before the answer is
sent; a repeated key returns the stored answer and writes nothing. The same key with a
different request is a client error (409), not a silent replay of something else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from loadtest.server.errors import ApiError
from loadtest.server.storage import Database
from loadtest.server.storage.idempotency import StoredResponse, fingerprint, lookup, remember

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=r"^[\x21-\x7e]{1,255}$",
    description="repeat it on a retry; the first answer comes back and nothing is created")]
Action = Callable[[Connection, datetime], dict[str, Any]]


def utcnow() -> datetime:
    """The server's clock, in UTC."""
    return datetime.now(UTC)


def run_write(request: Request, platform: str, key: str | None, payload: BaseModel,
              status: int, action: Action) -> Response:
    """Run ``action`` in one write transaction and answer with its result as JSON."""
    db: Database = request.app.state.db
    fp = fingerprint(request.method, request.url.path, payload.model_dump_json())
    try:
        with db.write() as conn:
            if key is not None and (stored := lookup(conn, platform, key)) is not None:
                return _replay(request, stored, fp)
            now = utcnow()
            text = json.dumps(action(conn, now), ensure_ascii=False, separators=(",", ":"))
            if key is not None:
                remember(conn, platform, key, StoredResponse(fp, status, text), now)
    except IntegrityError:
        # A concurrent request with the same key committed first (PostgreSQL): answer as it did.
        if key is None:
            raise
        with db.read() as conn:
            stored = lookup(conn, platform, key)
        if stored is None:
            raise
        return _replay(request, stored, fp)
    return Response(text, status_code=status, media_type="application/json")


def _replay(request: Request, stored: StoredResponse, fp: str) -> Response:
    if stored.fingerprint != fp:
        raise ApiError(409, "idempotency_key_reused",
                       "this Idempotency-Key was used for a different request",
                       "Idempotency-Key")
    return Response(stored.body, status_code=stored.status_code, media_type="application/json",
                    headers={"Idempotent-Replayed": "true"})
