"""Group commit: one writer per server process runs the write transactions of concurrent
requests together and commits them at once (one ``COMMIT``, one fsync for the batch).

A request hands its transaction (a function of a connection and the time) to
:meth:`GroupWriter.submit` and awaits the result. The writer task takes every transaction
waiting, runs each inside a savepoint of one database transaction (a request that fails rolls
back its own savepoint, not its neighbours'), commits, and only then answers every request of
the batch: a 2xx is never sent for a write that is not committed (with SQLite's
``synchronous=FULL``, on disk). If the commit fails, every request of the batch fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RootTransaction

from loadtest.server.storage.engine import Database

Transaction = Callable[[Connection, datetime], Any]
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
        machine, up to the 5 ms switch interval while the loop is busy). Requests that arrive
        meanwhile wait in the socket buffers and make the next batch.
        """
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                self._run_batch(batch)
            except BaseException as exc:  # noqa: BLE001 - the commit failed: nobody is answered 2xx
                for job in batch:
                    job.error, job.result = exc, None
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

    def _run_batch(self, batch: list[_Job]) -> None:
        """One transaction, a savepoint per job, one commit (all in the writer thread)."""
        self._commit(self._run_jobs(batch))

    def _run_jobs(self, batch: list[_Job]) -> RootTransaction:
        """Begin the batch's transaction and run every job in its own savepoint."""
        conn = self._connection()
        try:
            transaction = conn.begin()
            cursor = conn.connection.driver_connection.cursor()
            for job in batch:
                self._run_job(conn, cursor, job)
        except BaseException:
            self._reset()
            raise
        return transaction

    def _commit(self, transaction: RootTransaction) -> None:
        try:
            transaction.commit()
        except BaseException:
            self._reset()
            raise
        self.batches += 1

    def _run_job(self, conn: Connection, cursor: Any, job: _Job) -> None:
        # Plain SAVEPOINT statements: SQLAlchemy's nested transactions cost more than the SQL.
        cursor.execute("SAVEPOINT job")
        try:
            job.result = job.run(conn, datetime.now(UTC))
        except Exception as exc:  # noqa: BLE001 - this request's error, answered to it alone
            cursor.execute("ROLLBACK TO SAVEPOINT job")
            cursor.execute("RELEASE SAVEPOINT job")
            job.error = exc
        else:
            cursor.execute("RELEASE SAVEPOINT job")
        self.transactions += 1

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
