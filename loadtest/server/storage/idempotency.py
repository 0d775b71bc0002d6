"""Idempotency keys: a create's response kept with the row it created, per platform and key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from loadtest.server.storage.lean import Lean


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
    row = Lean.of(conn).run("SELECT fingerprint, status_code, body FROM idempotency_keys"
                         " WHERE platform = ? AND key = ?", (platform, key)).fetchone()
    return None if row is None else StoredResponse(row[0], int(row[1]), row[2])


def remember(conn: Connection, platform: str, key: str, stored: StoredResponse,
             now: datetime) -> None:
    """Keep the response in the current transaction (a concurrent twin fails on the key)."""
    db = Lean.of(conn)
    db.run("INSERT INTO idempotency_keys (platform, key, fingerprint, status_code, body,"
           " created_at) VALUES (?, ?, ?, ?, ?, ?)",
           (platform, key, stored.fingerprint, stored.status_code, stored.body, db.stamp(now)))
