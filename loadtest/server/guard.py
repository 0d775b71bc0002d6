"""An ASGI middleware in front of the app: body size (413), media type (415), UTF-8 (400),
and the request counters shown by ``/metrics`` (all updated on the event loop's thread).

The body is read here, bounded, before any parsing, so an oversized or undecodable body never
reaches the JSON parser and a slow client cannot make the server buffer without limit.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loadtest.server.errors import error_response

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestGuard:
    """Bound and check request bodies; count responses by status class."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, counters: Counter[str]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.counters = counters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.counters["served"] += 1
                self.counters[f"{message['status'] // 100}xx"] += 1
                if (b"idempotent-replayed", b"true") in message.get("headers", ()):
                    self.counters["idempotent_replays"] += 1
            await send(message)

        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, counting_send)
            return
        body, problem = await self._read_body(scope, receive)
        if problem is not None:
            await problem(scope, receive, counting_send)
            return
        first = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, replay(first, receive), counting_send)

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, Any]:
        declared = content_type = b""
        for name, value in scope.get("headers", ()):  # ASGI header names are lower case
            if name == b"content-length":
                declared = value
            elif name == b"content-type":
                content_type = value
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return b"", self._too_large()
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            body = message.get("body", b"")  # the common case: the whole body at once
            if len(body) > self.max_body_bytes:
                return b"", self._too_large()
            return body, _check_body(body, content_type.decode("latin-1"))
        chunks, size = [], 0
        while message["type"] == "http.request":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
            message = await receive()
        body = b"".join(chunks)
        return body, _check_body(body, content_type.decode("latin-1"))

    def _too_large(self) -> Any:
        return error_response(413, "body_too_large",
                              f"body exceeds {self.max_body_bytes} bytes", "body")


def _check_body(body: bytes, content_type: str | None) -> Any:
    if not body:
        return None
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/")
                                            and media.endswith("+json")):
        return error_response(415, "unsupported_media_type",
                              "send the body as application/json", "Content-Type")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return error_response(400, "invalid_json", "body is not valid UTF-8", "body")
    return None


def replay(first: Message, receive: Receive) -> Receive:
    """A ``receive`` that gives ``first`` (a message already received) again, then the rest."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return again
