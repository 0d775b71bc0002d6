"""Platform tokens and who may see what.

Each platform (12345, 110, 119, 120, 122, admin) has one bearer token. A platform sees the
calls it registered or that were transferred to it, and the orders it owns or that were
dispatched to it; admin sees everything. Missing or unknown token: 401; known but not allowed:
403 with no data.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from loadtest.server.errors import ApiError

ADMIN = "admin"
_bearer = HTTPBearer(auto_error=False, description="the platform's token")


class TokenTable:
    """Token → platform lookup in constant time per token."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._pairs = [(t.encode("utf-8"), p) for p, t in tokens.items()]

    def platform_of(self, token: str) -> str | None:
        """The platform holding ``token``, or None."""
        raw = token.encode("utf-8", "surrogateescape")
        found = None
        for candidate, platform in self._pairs:
            if hmac.compare_digest(candidate, raw):
                found = platform
        return found


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, "Authorization",
                    headers={"WWW-Authenticate": "Bearer"})


async def current_platform(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The platform whose token the request carries (a FastAPI dependency)."""
    if credentials is None:
        raise _unauthorized("missing bearer token")
    platform = request.app.state.tokens.platform_of(credentials.credentials)
    if platform is None:
        raise _unauthorized("unknown token")
    return platform


Caller = Annotated[str, Depends(current_platform)]
"""The requesting platform, as an endpoint parameter."""


def require_own_line(platform: str, line: str | None, field: str) -> None:
    """403 unless ``line`` is the platform's own (admin may act for any line)."""
    if platform != ADMIN and line is not None and line != platform:
        raise ApiError(403, "forbidden", f"platform {platform} cannot act for line {line}",
                       field)


def require_visible(platform: str, lines: Iterable[str | None], what: str) -> None:
    """403 unless the platform is admin or one of ``lines``."""
    if platform != ADMIN and platform not in set(lines):
        raise ApiError(403, "forbidden", f"this {what} is not visible to platform {platform}")
