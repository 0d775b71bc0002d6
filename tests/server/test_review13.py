"""Findings of the review of issue 13's throughput change (the joining transport, the group writer,
the pipelined path), kept as regression tests: the first three failed on the reviewed tree."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from loadtest.server import ServerHandle
from loadtest.server.protocol import CoalescingTransport, _Flusher
from tests.server.support import CATEGORY, REGION


class _Recorder(asyncio.Protocol):
    def __init__(self) -> None:
        self.paused = False

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False


def test_writes_above_the_high_water_mark_pause_the_protocol_within_the_turn() -> None:
    # asyncio's contract: write() past the high-water mark calls protocol.pause_writing()
    # before it returns, so uvicorn's next send() waits in flow.drain(). The joining transport
    # defers every write to the end of the turn: a response body sent in many chunks within
    # one turn is buffered here without bound and the protocol is never paused meanwhile.
    async def scenario() -> tuple[bool, int]:
        loop = asyncio.get_running_loop()
        a, b = socket.socketpair()
        b.setblocking(False)  # nobody reads: a slow client
        transport, proto = await loop.connect_accepted_socket(_Recorder, a)
        transport.set_write_buffer_limits(high=64 * 1024)
        joined = CoalescingTransport(transport, _Flusher(loop))
        for _ in range(256):  # 16 MiB in one turn
            joined.write(b"x" * 65536)
        paused, size = proto.paused, joined.get_write_buffer_size()
        transport.abort()
        b.close()
        return paused, size

    paused, size = asyncio.run(scenario())
    assert paused, f"{size} bytes buffered and the protocol was never paused"


def test_one_connection_whose_write_fails_does_not_strand_the_others() -> None:
    # _Flusher.flush swaps its dirty list and then flushes each transport; if one raises
    # (e.g. RuntimeError from a transport after write_eof), the connections after it keep
    # their pending bytes and are never marked again: their responses are never sent.
    class Broken:
        def write(self, data: bytes) -> None:
            raise RuntimeError("Cannot call write() after write_eof()")

        def is_closing(self) -> bool:
            return False

    class Ok:
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        def is_closing(self) -> bool:
            return False

    async def scenario() -> list[bytes]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda *_: None)
        flusher = _Flusher(loop)
        ok = Ok()
        bad, good = CoalescingTransport(Broken(), flusher), CoalescingTransport(ok, flusher)
        bad.write(b"a")
        good.write(b"first answer")
        for _ in range(3):
            await asyncio.sleep(0)
        good.write(b"second answer")  # a later response on the good connection
        for _ in range(3):
            await asyncio.sleep(0)
        return ok.writes

    assert asyncio.run(scenario()) == [b"first answer", b"second answer"]


def _pipelined(server: ServerHandle, n: int) -> list[tuple[int, Any]]:
    body = json.dumps({"kind": "work_order", "region": REGION, "category": CATEGORY,
                       "urgency": "normal", "department": "城管局"}).encode()
    auth = server.headers("12345")["Authorization"]
    one = (f"POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(one * n)
        data = b""
        out: list[tuple[int, Any]] = []
        while len(out) < n:
            chunk = s.recv(65536)
            assert chunk, f"connection closed after {len(out)} of {n} responses"
            data += chunk
            while b"\r\n\r\n" in data:
                head, rest = data.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                length = next(int(v) for k, v in (h.split(":", 1) for h in lines[1:])
                              if k.lower() == "content-length")
                if len(rest) < length:
                    break
                out.append((int(lines[0].split()[1]), json.loads(rest[:length])))
                data = rest[length:]
    return out


def test_pipelined_creates_on_one_connection_are_answered_in_order_each_once(
        server: ServerHandle) -> None:
    answers = _pipelined(server, 40)
    assert [status for status, _ in answers] == [201] * 40
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == 40 and ids == sorted(ids)  # in order, none repeated or lost


def test_disk_full_fails_the_batch_with_json_and_the_server_recovers(tmp_path) -> None:
    import os
    import subprocess

    import httpx
    import pytest

    from loadtest.server import start_server

    mnt = tmp_path / "fs"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                                            str(mnt)]).returncode:
        pytest.skip("needs root to mount a tmpfs")
    server = None
    try:
        server = start_server(mnt / "x.db")
        body = {"kind": "work_order", "region": REGION, "category": CATEGORY,
                "urgency": "normal", "department": "城管局"}
        with httpx.Client(base_url=server.url, timeout=10.0,
                          headers=server.headers("12345")) as client:
            assert client.post("/v1/orders", json=body).status_code == 201
            filler = mnt / "filler"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k"],
                           capture_output=True)
            failures, acked = [], []
            for _ in range(200):
                r = client.post("/v1/orders", json=body)
                if r.status_code == 201:
                    acked.append(r.json()["id"])
                else:
                    failures.append((r.status_code, r.headers.get("content-type"), r.text))
                    if len(failures) >= 3:
                        break
            assert failures, "no request failed on a full disk"
            for status, ctype, _text in failures:
                assert status >= 400 and ctype and ctype.startswith("application/"), failures
            filler.unlink()
            r = client.post("/v1/orders", json=body)
            assert r.status_code == 201, r.text  # recovered once space is back
            for oid in acked:  # every acknowledged order is stored
                assert client.get(f"/v1/orders/{oid}").status_code == 200
    finally:
        if server is not None:
            server.stop()
        subprocess.run(["umount", str(mnt)])


def test_closing_the_writer_during_a_commit_stops_it(tmp_path) -> None:
    # writer.close() cancels the writer's task. If the cancel lands while the batch's COMMIT
    # is on the commit thread, _serve's `except BaseException` swallows the CancelledError
    # (answers the batch with it) and loops back to the queue: the task never stops, and
    # _run_batch's _reset() invalidates the connection while the COMMIT still runs on it.
    import threading
    import time

    from loadtest.server.storage import Database
    from loadtest.server.storage.lean import Lean
    from loadtest.server.storage.writer import GroupWriter

    db = Database(f"sqlite:///{tmp_path / 'g.db'}")
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (name TEXT)")
    writer = GroupWriter(db)
    in_commit = threading.Event()
    real = writer._pool.submit

    def slow_submit(fn, *args):
        def run():
            in_commit.set()
            time.sleep(0.3)
            return fn(*args)
        return real(run)

    writer._pool.submit = slow_submit  # run_in_executor calls executor.submit

    def job(conn, _now):
        Lean(conn).run("INSERT INTO t (name) VALUES ('x')", ())
        return "x"

    async def scenario() -> bool:
        request = asyncio.ensure_future(writer.submit(job))
        while not in_commit.is_set():
            await asyncio.sleep(0.005)
        task = writer._task
        writer.close()
        await asyncio.sleep(0.5)
        request.cancel()
        stopped = task.done()
        task.cancel()
        await asyncio.sleep(0.05)
        return stopped

    assert asyncio.run(scenario()), "the writer's task kept running after close()"
    db.dispose()


def _raw(server: ServerHandle, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_http10_and_connection_close_get_the_whole_answer_then_the_close(
        server: ServerHandle) -> None:
    body = json.dumps({"kind": "work_order", "region": REGION, "category": CATEGORY,
                       "urgency": "normal", "department": "城管局"}).encode()
    auth = server.headers("12345")["Authorization"]
    for version, extra in (("1.0", ""), ("1.1", "Connection: close\r\n")):
        head = (f"POST /v1/orders HTTP/{version}\r\nHost: x\r\nAuthorization: {auth}\r\n{extra}"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        data = _raw(server, head.encode() + body)  # returns once the server closes
        status = data.split(b"\r\n", 1)[0]
        assert b" 201 " in status, data[:200]
        payload = data.split(b"\r\n\r\n", 1)[1]
        assert json.loads(payload)["id"] > 0


def test_a_close_after_pipelined_requests_answers_them_all_first(server: ServerHandle) -> None:
    auth = server.headers("12345")["Authorization"]
    get = f"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n".encode()
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data = _raw(server, get * 9 + last)
    assert data.count(b"HTTP/1.1 200") == 10, data[-300:]
