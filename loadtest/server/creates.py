"""One write transaction per request, committed by the group writer, with safe retries
through ``Idempotency-Key``.

The created row and the key's stored response are committed together, before the answer is
sent; a repeated key returns the stored answer and writes nothing. The same key with a
different request is a client error (409), not a silent replay of something else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from loadtest.server.errors import ApiError
from loadtest.server.storage.idempotency import StoredResponse, fingerprint, lookup, remember
from loadtest.server.storage.writer import GroupWriter

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=r"^[\x21-\x7e]{1,255}$",
    description="repeat it on a retry; the first answer comes back and nothing is created")]
Action = Callable[[Connection, datetime], dict[str, Any]]
_JSON_OPTIONS = orjson.OPT_UTC_Z  # UTC times end in Z, as pydantic writes them


def utcnow() -> datetime:
    """The server's clock, in UTC."""
    return datetime.now(UTC)


def dump_json(document: Any) -> bytes:
    """A response body: compact UTF-8 JSON (orjson), times in ISO 8601 with Z for UTC."""
    return orjson.dumps(document, option=_JSON_OPTIONS)


class JsonBody(Response):
    """A JSON response with no extra header, its headers made directly (the same bytes as
    ``Response(body, status, media_type="application/json")``, without its header logic)."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int) -> None:  # noqa: D107
        self.body, self.status_code, self.background = body, status_code, None
        self.raw_headers = [(b"content-length", b"%d" % len(body)),
                            (b"content-type", b"application/json")]


async def run_write(request: Request, platform: str, key: str | None, payload: BaseModel,
                    status: int, action: Action) -> Response:
    """Run ``action`` in the next group commit and answer with its result as JSON."""
    writer: GroupWriter = request.app.state.writer
    fp = fingerprint(request.method, request.url.path, payload.model_dump_json()) if key else ""
    return await commit_write(writer, platform, key, fp, status, action)


async def commit_write(writer: GroupWriter, platform: str, key: str | None, fp: str,
                       status: int, action: Action) -> Response:
    """``action`` in the writer's next batch; its JSON answer once committed (or the stored
    answer of ``key``, whose request had fingerprint ``fp``)."""

    def transaction(conn: Connection, now: datetime) -> Response:
        if key is not None and (stored := lookup(conn, platform, key)) is not None:
            return _replay(stored, fp)
        text = dump_json(action(conn, now))
        if key is not None:
            remember(conn, platform, key, StoredResponse(fp, status, text.decode()), now)
        return JsonBody(text, status)

    try:
        return await writer.submit(transaction)
    except IntegrityError:
        # A concurrent request with the same key committed first (another worker process on
        # PostgreSQL): answer as it did.
        if key is None:
            raise
        stored = await writer.submit(lambda conn, _: lookup(conn, platform, key))
        if stored is None:
            raise
        return _replay(stored, fp)


def _replay(stored: StoredResponse, fp: str) -> Response:
    if stored.fingerprint != fp:
        raise ApiError(409, "idempotency_key_reused",
                       "this Idempotency-Key was used for a different request",
                       "Idempotency-Key")
    return Response(stored.body, status_code=stored.status_code, media_type="application/json",
                    headers={"Idempotent-Replayed": "true"})
