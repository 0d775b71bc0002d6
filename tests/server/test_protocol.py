"""One socket write per response: what is written in one loop turn goes out joined, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from loadtest.server import serving as runner
from loadtest.server.config import ServerSettings
from loadtest.server.protocol import CoalescingHttpToolsProtocol, CoalescingTransport, _Flusher


class FakeTransport:
    """Records writes; can be closing."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closing = False
        self.closed_after: int | None = None

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closed_after = len(self.writes)
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


async def _turns(*steps: Any) -> None:
    for step in steps:
        step()
        await asyncio.sleep(0)  # one loop turn
        await asyncio.sleep(0)


def test_writes_of_one_turn_are_one_write_per_connection() -> None:
    async def scenario() -> tuple[FakeTransport, FakeTransport]:
        flusher = _Flusher(asyncio.get_running_loop())
        a_raw, b_raw = FakeTransport(), FakeTransport()
        a, b = CoalescingTransport(a_raw, flusher), CoalescingTransport(b_raw, flusher)

        def respond() -> None:
            a.write(b"HTTP/1.1 201 Created\r\n\r\n")
            b.write(b"head-b ")
            a.write(b'{"id":1}')
            b.write(b"body-b")
            assert a_raw.writes == [] and b_raw.writes == []  # nothing sent within the turn

        await _turns(respond, lambda: a.write(b"second"))
        return a_raw, b_raw

    a_raw, b_raw = asyncio.run(scenario())
    assert a_raw.writes == [b'HTTP/1.1 201 Created\r\n\r\n{"id":1}', b"second"]
    assert b_raw.writes == [b"head-b body-b"]


def test_close_sends_what_is_pending_first_and_nothing_goes_to_a_closing_socket() -> None:
    async def scenario() -> tuple[FakeTransport, FakeTransport]:
        flusher = _Flusher(asyncio.get_running_loop())
        raw, gone = FakeTransport(), FakeTransport()
        t, g = CoalescingTransport(raw, flusher), CoalescingTransport(gone, flusher)
        t.write(b"last answer")
        t.close()
        g.write(b"late")
        gone.closing = True  # the peer went away before the turn ended
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return raw, gone

    raw, gone = asyncio.run(scenario())
    assert raw.writes == [b"last answer"] and raw.closed_after == 1
    assert gone.writes == []


def test_everything_else_is_the_real_transports() -> None:
    async def scenario() -> tuple[int, Any]:
        t = CoalescingTransport(FakeTransport(), _Flusher(asyncio.get_running_loop()))
        t.write(b"12345")
        return t.get_write_buffer_size(), t.get_extra_info("peername")

    assert asyncio.run(scenario()) == (12, ("127.0.0.1", 1))


def test_the_server_serves_with_the_coalescing_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def fake_config(app: Any, **options: Any) -> Any:
        seen.update(options)
        raise Stop

    monkeypatch.setattr(runner.uvicorn, "Config", fake_config)
    monkeypatch.setattr(runner, "Database", lambda *a, **k: type(
        "D", (), {"create_schema": lambda s: None, "dispose": lambda s: None})())
    monkeypatch.setattr(runner, "serving_app", lambda *a, **k: None)
    with pytest.raises(Stop):
        runner.serve(ServerSettings(db_url="sqlite:///:memory:"), port=0)
    assert seen["http"] is CoalescingHttpToolsProtocol

