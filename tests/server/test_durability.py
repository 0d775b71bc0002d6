"""An acknowledged write survives ``kill -9`` of the server.

Writers create orders (and calls) as fast as the server answers, half of them with an
Idempotency-Key (the app's path) and half without (the fast path); concurrent requests share
group commits. The server is killed with SIGKILL in the middle of the load, restarted on the
same database, and every order and call it acknowledged must be there with the content it
answered with.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtest.server import start_server
from tests.server.support import BACKENDS, CATEGORY, REGION, postgres_database

WRITERS = 8
ACKS_BEFORE_KILL = 100


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for one crash test."""
    if request.param == "sqlite":
        yield str(tmp_path / "crash.db")
    else:
        yield from postgres_database()


def _writer(url: str, headers: dict[str, str], acked: list[tuple[str, dict[str, Any]]],
            stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=5.0) as client:
        n = 0
        while not stop.is_set():
            n += 1
            path = "/v1/calls" if n % 3 == 0 else "/v1/orders"
            body = ({"line": "12345", "region": REGION, "category": CATEGORY,
                     "external_id": uuid.uuid4().hex} if path == "/v1/calls" else
                    {"kind": "work_order", "region": REGION, "category": CATEGORY,
                     "department": uuid.uuid4().hex, "urgency": "urgent"})
            keyed = {"Idempotency-Key": uuid.uuid4().hex} if n % 2 else {}
            try:
                r = client.post(path, json=body, headers={**headers, **keyed})
            except httpx.TransportError:
                return  # the server is gone
            if r.status_code == 201:
                acked.append((path, r.json()))


@pytest.mark.slow
def test_acknowledged_writes_survive_kill_9(database: str) -> None:
    acked: list[tuple[str, dict[str, Any]]] = []
    stop = threading.Event()
    server = start_server(database)
    try:
        headers = server.headers("12345")
        threads = [threading.Thread(target=_writer, args=(server.url, headers, acked, stop))
                   for _ in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acked) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        commits = httpx.get(server.url + "/metrics", headers=server.headers("admin"),
                            timeout=5).json()["group_commit"]
        server.kill()  # SIGKILL while the writers are still sending
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        stop.set()
        server.stop()
    assert len(acked) >= ACKS_BEFORE_KILL
    assert commits["transactions"] > commits["batches"] > 0  # requests did share commits
    with start_server(database) as again, httpx.Client(base_url=again.url) as client:
        for path, answer in list(acked):
            r = client.get(f"{path}/{answer['id']}", headers=again.headers("admin"))
            assert r.status_code == 200, (path, answer["id"])
            assert r.json() == answer
