"""Idempotency keys: a create's response kept with the row it created, per platform and key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from loadtest.server.storage.tables import idempotency_keys


@dataclass(frozen=True)
class StoredResponse:
    """The first answer given to a key, and what request it answered."""

    fingerprint: str
    status_code: int
    body: str


def fingerprint(method: str, path: str, canonical_body: str) -> str:
    """A digest of the request a key was first used with."""
    text = f"{method} {path}\n{canonical_body}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lookup(conn: Connection, platform: str, key: str) -> StoredResponse | None:
    """The stored response for this platform's key, if any."""
    row = conn.execute(
        select(idempotency_keys.c.fingerprint, idempotency_keys.c.status_code,
               idempotency_keys.c.body)
        .where(idempotency_keys.c.platform == platform, idempotency_keys.c.key == key)
    ).first()
    return None if row is None else StoredResponse(row.fingerprint, row.status_code, row.body)


def remember(conn: Connection, platform: str, key: str, stored: StoredResponse,
             now: datetime) -> None:
    """Keep the response in the current transaction (a concurrent twin fails on the key)."""
    conn.execute(insert(idempotency_keys).values(
        platform=platform, key=key, fingerprint=stored.fingerprint,
        status_code=stored.status_code, body=stored.body, created_at=now))
