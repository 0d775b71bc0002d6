"""Helpers shared by the server tests: a client that speaks as any platform, test codes,
and PostgreSQL databases made for one session (see conftest.py for the fixtures)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from loadtest.server import ServerHandle
from loadtest.server.codes import category_codes

PG_ENV = "HOTLINE_TEST_POSTGRES_URL"
REGION = "620100"  # 兰州市
OTHER_REGION = "622900"  # 临夏回族自治州
CATEGORY, OTHER_CATEGORY = sorted(category_codes())[:2]
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]
"""PostgreSQL joins when configured; ``test_postgres_backend_is_configured`` reports its skip."""


class Api:
    """An HTTP client for one server that speaks as any platform."""

    def __init__(self, server: ServerHandle) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=10.0)

    def headers(self, platform: str | None, key: str | None = None) -> dict[str, str]:
        """Authorization (and Idempotency-Key) headers."""
        out = self.server.headers(platform) if platform else {}
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    def post(self, platform: str | None, path: str, body: Any = None, *,
             key: str | None = None, **kwargs: Any) -> httpx.Response:
        """POST JSON as ``platform``."""
        return self.client.post(path, json=body, headers=self.headers(platform, key), **kwargs)

    def get(self, platform: str | None, path: str, **params: Any) -> httpx.Response:
        """GET as ``platform``."""
        return self.client.get(path, params=params, headers=self.headers(platform))

    def call(self, platform: str = "12345", **fields: Any) -> dict[str, Any]:
        """Register a call and return it (asserting 201)."""
        body = {"line": platform, "region": REGION, "category": CATEGORY,
                "caller": "13800000000", **fields}
        r = self.post(platform, "/v1/calls", body)
        assert r.status_code == 201, r.text
        return r.json()

    def order(self, platform: str = "12345", **fields: Any) -> dict[str, Any]:
        """Create a work order and return it (asserting 201)."""
        body = {"kind": "work_order", "region": REGION, "category": CATEGORY,
                "urgency": "normal", "department": "城管局", **fields}
        r = self.post(platform, "/v1/orders", body)
        assert r.status_code == 201, r.text
        return r.json()

    def counts(self) -> dict[str, int]:
        """How many calls, transfers and orders are stored."""
        m = self.get("admin", "/metrics").json()
        return {k: m[k]["total"] for k in ("calls", "transfers", "orders")}

    def close(self) -> None:
        """Close the client."""
        self.client.close()


def postgres_database() -> Iterator[str]:
    """Create a fresh database from ``HOTLINE_TEST_POSTGRES_URL``, yield its URL, drop it."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL not available: {PG_ENV} is not set (.ci/run sets it)")
    import psycopg

    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
