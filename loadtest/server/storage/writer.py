"""Group commit: one writer per server process runs the write transactions of concurrent
requests together and commits them at once (one ``COMMIT``, one fsync for the batch).

A request hands its transaction (a function of a connection and the time) to
:meth:`GroupWriter.submit` and awaits the result. The writer task takes every transaction
waiting, runs them in one database transaction, commits, and only then answers every request of
the batch: a 2xx is never sent for a write that is not committed (with SQLite's
``synchronous=FULL``, on disk). If the commit fails, every request of the batch fails. A
request whose transaction fails is answered its own error; the others of its batch are not
affected (see ``_run_batch``).
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from loadtest.server.storage.engine import WROTE, Database

Transaction = Callable[[Connection, datetime], Any]
_DATABASE_ERRORS = (DBAPIError, sqlite3.Error, psycopg.Error)
SWITCH_INTERVAL_S = 0.0005
MAX_BATCH = 128
"""Most transactions committed together (bounds the latency one batch adds)."""


@dataclass
class _Job:
    run: Transaction
    future: asyncio.Future[Any]
    result: Any = None
    error: BaseException | None = None


class GroupWriter:
    """The process's single writer: batches transactions, one commit per batch."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db, self.max_batch = db, max_batch
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None
        self._conn: Connection | None = None
        self._pool = ThreadPoolExecutor(1) if db.dialect == "sqlite" else None
        if self._pool is not None:
            # The commit thread gets the GIL back as soon as its fsync ends, not after the
            # loop's 5 ms switch interval (which would add 5 ms to every batch under load).
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self.batches = self.transactions = 0

    async def submit(self, run: Transaction) -> Any:
        """Run ``run(conn, now)`` in the next batch; its result once the batch is committed."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._serve())
        job = _Job(run, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(job)
        return await job.future

    async def _serve(self) -> None:
        """Take every waiting transaction, run them as one batch, answer each.

        The batch runs on the event loop's thread: SQLite's statements take microseconds and
        PostgreSQL's are short round trips on loopback, while handing a batch to a thread and
        back cost more (profiled: hundreds of µs of GIL hand-over per switch on a busy 2-core
        machine, up to the 5 ms switch interval while the loop is busy). Only SQLite's COMMIT,
        the fsync, goes to the commit thread: one hop per batch (see ``_run_batch``). Requests
        that arrive meanwhile are read by the loop and make the next batch.
        """
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._run_batch(batch)
            except BaseException as exc:  # noqa: BLE001 - the commit failed: nobody is answered 2xx
                for job in batch:
                    job.error, job.result = exc, None
                self._answer(batch)
                if not isinstance(exc, Exception):  # cancelled (close()): stop serving
                    raise
                continue
            self._answer(batch)

    @staticmethod
    def _answer(batch: list[_Job]) -> None:
        for job in batch:
            if job.future.done():  # the client went away; the write stands
                continue
            if job.error is not None:
                job.future.set_exception(job.error)
            else:
                job.future.set_result(job.result)

    async def _run_batch(self, batch: list[_Job]) -> None:
        """One transaction for the batch, one commit.

        No savepoint per job (two more statements each, round trips on PostgreSQL): a job that
        fails before writing anything is answered its error and the batch goes on; one that
        fails after writing rolls the whole transaction back, and the batch runs again without
        it, so a neighbour's work is redone, never half kept.
        """
        pending = list(batch)
        while pending:
            conn = self._connection()
            try:
                transaction = conn.begin()
                broken = self._run_jobs(conn, pending)
                if broken is None:
                    if self._pool is not None:
                        # SQLite: the COMMIT (its fsync) on the commit thread, as one driver
                        # call that holds the GIL for no Python code, so the loop's thread
                        # keeps it meanwhile; SQLAlchemy's bookkeeping stays here (the
                        # driver then has nothing left to commit).
                        raw = conn.connection.driver_connection
                        await asyncio.get_running_loop().run_in_executor(
                            self._pool, raw.execute, "COMMIT")
                    transaction.commit()
                    self.batches += 1
                    self.transactions += sum(job.error is None for job in pending)
                    return
                transaction.rollback()
            except BaseException:
                self._reset()
                raise
            pending = [job for job in pending if job is not broken and job.error is None]

    @staticmethod
    def _run_jobs(conn: Connection, jobs: list[_Job]) -> _Job | None:
        """Run every job; the first that failed after writing (the batch must be redone)."""
        for job in jobs:
            conn.info[WROTE] = False
            try:
                job.result, job.error = job.run(conn, datetime.now(UTC)), None
            except Exception as exc:  # noqa: BLE001 - this request's error, answered to it alone
                job.result, job.error = None, exc
                if conn.info[WROTE] or isinstance(exc, _DATABASE_ERRORS):
                    return job  # PostgreSQL aborts the transaction on any database error
        return None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.db.write_connection()
        return self._conn

    def _reset(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                pass
            self._conn = None

    def close(self) -> None:
        """Stop the writer (pending requests have been answered by then) and close its connection."""
        if self._task is not None:
            self._task.cancel()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
