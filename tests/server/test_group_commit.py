"""The group writer: concurrent transactions share one commit; one request's failure is its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from loadtest.server.storage import Database
from loadtest.server.storage.lean import Lean
from loadtest.server.storage.writer import GroupWriter


class Refused(Exception):
    """A request's own error."""


def _db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'g.db'}")
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (name TEXT)")
    return db


def _insert(name: str, runs: list[str], fail: str | None = None):
    def job(conn, _now):
        runs.append(name)
        if fail == "before":
            raise Refused(name)
        Lean(conn).run("INSERT INTO t (name) VALUES (?)", (name,))
        if fail == "after":
            raise Refused(name)
        return name
    return job


def _names(db: Database) -> list[str]:
    with db.read() as conn:
        return sorted(r[0] for r in conn.execute(text("SELECT name FROM t")))


async def _submit_all(writer: GroupWriter, jobs) -> list:
    return await asyncio.gather(*(writer.submit(j) for j in jobs), return_exceptions=True)


def test_a_failure_after_writing_is_undone_and_its_neighbours_commit(tmp_path: Path) -> None:
    db = _db(tmp_path)
    writer = GroupWriter(db)
    runs: list[str] = []
    jobs = [_insert("a", runs), _insert("b", runs, fail="after"), _insert("c", runs),
            _insert("d", runs, fail="before")]
    results = asyncio.run(_submit_all(writer, jobs))
    assert results[0] == "a" and results[2] == "c"
    assert isinstance(results[1], Refused) and isinstance(results[3], Refused)
    assert _names(db) == ["a", "c"]  # b's row rolled back, a's and c's kept
    # one batch, redone once without b: a ran twice, c and d (clean failure) once each after b
    assert runs == ["a", "b", "a", "c", "d"]
    assert (writer.batches, writer.transactions) == (1, 2)
    writer.close()
    db.dispose()


def test_concurrent_transactions_share_commits(tmp_path: Path) -> None:
    db = _db(tmp_path)
    writer = GroupWriter(db)
    runs: list[str] = []
    results = asyncio.run(_submit_all(writer, [_insert(str(i), runs) for i in range(50)]))
    assert results == [str(i) for i in range(50)] and len(_names(db)) == 50
    assert writer.batches == 1 and writer.transactions == 50  # all waiting: one commit
    writer.close()
    db.dispose()


@pytest.mark.parametrize("fail", ["before", "after"])
def test_a_lone_failure_leaves_nothing(tmp_path: Path, fail: str) -> None:
    db = _db(tmp_path)
    writer = GroupWriter(db)
    results = asyncio.run(_submit_all(writer, [_insert("x", [], fail=fail)]))
    assert isinstance(results[0], Refused) and _names(db) == []
    writer.close()
    db.dispose()


def test_a_failed_commit_fails_the_whole_batch_and_the_writer_recovers(tmp_path: Path) -> None:
    # A deferred foreign key is checked at COMMIT: the COMMIT itself fails (on the commit
    # thread), so no request of the batch may be answered as if it were stored.
    db = Database(f"sqlite:///{tmp_path / 'g.db'}")
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE t (name TEXT, p INTEGER REFERENCES p (id)"
                             " DEFERRABLE INITIALLY DEFERRED)")
    writer = GroupWriter(db)

    def orphan(conn, _now):
        Lean(conn).run("INSERT INTO t (name, p) VALUES ('orphan', 99)", ())
        return "orphan"

    async def scenario() -> tuple[list, list]:
        first = await _submit_all(writer, [_insert("a", []), orphan, _insert("b", [])])
        return first, await _submit_all(writer, [_insert("c", [])])

    first, second = asyncio.run(scenario())
    assert all(isinstance(r, Exception) and "FOREIGN KEY" in str(r) for r in first)
    assert second == ["c"]  # a fresh connection after the failed batch
    assert _names(db) == ["c"]  # nothing of the failed batch was kept
    assert (writer.batches, writer.transactions) == (1, 1)
    writer.close()
    db.dispose()


def test_the_answer_comes_after_the_commit(tmp_path: Path) -> None:
    # Answered = on disk: a second connection sees the row as soon as the request returns.
    db = _db(tmp_path)
    writer = GroupWriter(db)
    other = Database(db.url)

    async def scenario() -> list[list[str]]:
        seen = []
        for name in ("x", "y"):
            await writer.submit(_insert(name, []))
            seen.append(_names(other))
        return seen

    assert asyncio.run(scenario()) == [["x"], ["x", "y"]]
    writer.close()
    other.dispose()
    db.dispose()
