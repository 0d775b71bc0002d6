"""The database engine: one code path for SQLite and PostgreSQL, one transaction per request.

SQLite runs in WAL mode with ``synchronous=FULL`` by default (``NORMAL`` on request: it still
keeps every commit across a crash of the server process, as the WAL is written before COMMIT
returns, but not across a power cut), a busy timeout, and ``BEGIN IMMEDIATE`` for writes so a
writer never has to upgrade a read snapshot (which fails at once in WAL mode instead of
waiting). Writes in one process are also serialised by a lock, which is fairer than SQLite's
sleeping busy handler.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine

from loadtest.server.storage.tables import metadata

BUSY_TIMEOUT_MS = 15_000
_WRITE = "hotline_write"
WROTE = "hotline_wrote"
"""``Connection.info`` flag: a statement other than SELECT ran since the group writer reset it."""


class Database:
    """An engine plus the transaction helpers every storage function receives a connection from."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "full") -> None:
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        self.engine = _make_engine(url, sqlite_synchronous)
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None

    def create_schema(self) -> None:
        """Create the tables that do not exist yet."""
        with self.write() as conn:
            metadata.create_all(conn, checkfirst=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends without an exception."""
        with self._write_lock or nullcontext(), self.engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    def write_connection(self) -> Connection:
        """A connection whose transactions are writes (``BEGIN IMMEDIATE`` on SQLite), for the
        group writer, which serialises them itself."""
        return self.engine.connect().execution_options(**{_WRITE: True})

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _make_engine(url: str, synchronous: str) -> Engine:
    pool: dict[str, Any] = {"pool_size": 16, "max_overflow": 16, "pool_timeout": 20,
                            "pool_pre_ping": False}
    if not url.startswith("sqlite"):
        engine = create_engine(url, **pool)
        _track_writes(engine)
        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False,
                                              "timeout": BUSY_TIMEOUT_MS / 1000}, **pool)
    _track_writes(engine)
    level = {"full": "FULL", "normal": "NORMAL"}[synchronous]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN is ours (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={level}")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        # On the driver connection: SQLAlchemy's statement path costs more than SQLite's BEGIN.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _track_writes(engine: Engine) -> None:
    """Flag in ``Connection.info`` every statement that may write (see ``WROTE``)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info[WROTE] = True
