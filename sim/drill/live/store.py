"""SQLite persistence of a live drill: access tokens, the clock and every decision.

Every write is committed (WAL, ``synchronous=FULL``) before the caller acknowledges it, so a
server killed with ``kill -9`` and restarted on the same file loses nothing it acknowledged.
A decision's client-generated ``decision_id`` is its primary key and its inject is unique:
a retried submission finds the row it already wrote instead of writing a second one.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.domain.errors import InputError
from sim.drill.score import COLUMNS, Response

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, role TEXT NOT NULL,
                                   trainee TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS clock (id INTEGER PRIMARY KEY CHECK (id = 1), status TEXT NOT NULL,
                                  drill_s REAL NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY, trainee TEXT NOT NULL, inject_id INTEGER NOT NULL UNIQUE,
    category TEXT NOT NULL, handling TEXT NOT NULL, target_line TEXT NOT NULL,
    first_dispatch TEXT NOT NULL, decided_at_s REAL NOT NULL);
"""
DECISION_FIELDS = ("decision_id", *COLUMNS)
"""The columns of the decisions table (and the keys of a decision as the API returns it)."""
TRAINER = "trainer"
TRAINEE = "trainee"


@dataclass(frozen=True)
class Decision(Response):
    """One stored decision of a trainee on an inject (drill seconds from the start): a response
    with the id its console gave it."""

    decision_id: str = field(kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        """The decision as the API returns it (``DECISION_FIELDS`` in order)."""
        return {name: getattr(self, name) for name in DECISION_FIELDS}


def fingerprint(answers: Path) -> str:
    """A digest of the drill's answer key: a database belongs to one drill."""
    return hashlib.sha256(answers.read_bytes()).hexdigest()[:16]


class Store:
    """The drill's database file (created on first use)."""

    def __init__(self, path: Path, drill_id: str, trainees: list[str],
                 reset: bool = False) -> None:
        self.path = path
        self._lock = _lock(path)
        if reset:  # under the lock: never under a server that is still running
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._lock.close()
            raise InputError(f"not a live-drill database ({exc}); give another --db or start "
                             "again with --reset", source=path) from None
        self._claim(drill_id, trainees)

    def _claim(self, drill_id: str, trainees: list[str]) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'drill'").fetchone()
        if row is not None and row[0] != drill_id:
            raise InputError("this database belongs to another drill (its answer key differs); "
                             "give another --db or start again with --reset", source=self.path)
        if row is not None:
            return
        self.conn.execute("BEGIN IMMEDIATE")  # one transaction: a kill mid-way leaves nothing
        try:
            self.conn.execute("INSERT INTO meta VALUES ('drill', ?)", (drill_id,))
            self.conn.execute("INSERT INTO clock VALUES (1, 'ready', 0)")
            self.conn.execute("INSERT INTO tokens VALUES (?, ?, '')",
                              (secrets.token_urlsafe(18), TRAINER))
            self.conn.executemany("INSERT INTO tokens VALUES (?, ?, ?)",
                                  [(secrets.token_urlsafe(18), TRAINEE, t) for t in trainees])
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def tokens(self) -> dict[str, tuple[str, str]]:
        """token → (role, trainee)."""
        rows = self.conn.execute("SELECT token, role, trainee FROM tokens")
        return {token: (role, trainee) for token, role, trainee in rows}

    def clock(self) -> tuple[str, float]:
        """The last saved clock: (status, drill seconds)."""
        status, drill_s = self.conn.execute("SELECT status, drill_s FROM clock").fetchone()
        return status, float(drill_s)

    def save_clock(self, status: str, drill_s: float) -> None:
        """Save the clock (on every change, and as a heartbeat while it runs)."""
        self.conn.execute("UPDATE clock SET status = ?, drill_s = ? WHERE id = 1",
                          (status, drill_s))

    def decisions(self) -> list[Decision]:
        """Every decision, in the order they were made."""
        rows = self.conn.execute(f"SELECT {', '.join(DECISION_FIELDS)} FROM decisions "
                                 "ORDER BY decided_at_s, rowid")
        return [Decision(**dict(zip(DECISION_FIELDS, row, strict=True))) for row in rows]

    def add_decision(self, decision: Decision) -> None:
        """Insert and commit one decision (the caller checked it is new)."""
        # autocommit mode: the statement is committed (and synced) when execute returns
        self.conn.execute(f"INSERT INTO decisions ({', '.join(DECISION_FIELDS)}) "
                          f"VALUES ({', '.join('?' * len(DECISION_FIELDS))})",
                          [getattr(decision, f) for f in DECISION_FIELDS])

    def close(self) -> None:
        """Close the connection and let another server open the file."""
        self.conn.close()
        self._lock.close()


def _lock(path: Path):
    """An exclusive lock next to the database: one server per drill (freed even by kill -9)."""
    import fcntl

    try:
        handle = open(f"{path}.lock", "a")  # noqa: SIM115 (held until close)
    except OSError as exc:
        raise InputError(f"cannot open the database: {exc.strerror}", source=path) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise InputError("another `hotline drill serve` is using this database; stop it or "
                         "give another --db", source=path) from None
    return handle
