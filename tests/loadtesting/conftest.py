"""Fixtures of the load-test tests: loopback targets started as child processes, stopped by PID."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtest.trace import TraceHeader, write_trace
from loadtest.trivial import TrivialServer

START = "2024-06-03T10:00:00+08:00"
BASE = {"line": "12345", "region": "620100", "category": "c1"}


@pytest.fixture
def trivial() -> Iterator[TrivialServer]:
    """The trivial endpoint, logging every request."""
    server = TrivialServer("--log")
    try:
        yield server
    finally:
        server.stop()


def call_events(calls: int, rate: float, answered_after: float | None = 0.5) -> list[dict]:
    """``calls`` calls received at ``rate`` per second, each answered ``answered_after`` s later."""
    events = []
    for i in range(calls):
        t = round(i / rate, 6)
        events.append({"t": t, "kind": "call.received", "call_id": i, **BASE, "caller_id": i,
                       "attempt": 1, "channel": "voice", "priority": 1, "incident_id": -1})
        if answered_after is not None:
            events.append({"t": round(t + answered_after, 6), "kind": "call.answered",
                           "call_id": i, **BASE, "leg": 0, "seat": "own"})
    return sorted(events, key=lambda e: e["t"])


def make_trace(path: Path, events: list[dict]) -> Path:
    """Write a trace file of ``events``."""
    write_trace(path, TraceHeader("test", 1, START, events=len(events),
                                  duration=events[-1]["t"] if events else 0.0), events)
    return path
