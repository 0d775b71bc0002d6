"""The open-loop scheduler with a stand-in sender (gevent, no Locust, no network)."""

from __future__ import annotations

import gc
import json
from datetime import datetime
from time import perf_counter

import gevent
import pytest

from loadtest.profile import Prepared, load_profile
from loadtest.results import Recorder
from loadtest.scheduler import Replayer, partition

BASE = {"line": "12345", "region": "620100", "category": "c1"}


def received(t: float, call: int) -> dict:
    return {"t": t, "kind": "call.received", "call_id": call, **BASE, "caller_id": call,
            "attempt": 1, "channel": "voice", "priority": 1, "incident_id": -1}


def answered(t: float, call: int) -> dict:
    return {"t": t, "kind": "call.answered", "call_id": call, **BASE, "leg": 0, "seat": "own"}


class FakeSender:
    """Answers after ``delay(request)`` seconds; logs sends; counts requests in flight."""

    def __init__(self, delay=lambda request: 0.0, status: int = 201) -> None:
        self.delay, self.status = delay, status
        self.log: list[tuple[float, str, str]] = []
        self.in_flight = self.peak = 0

    def send(self, request: Prepared) -> tuple[int, bytes]:
        self.log.append((perf_counter(), request.method, request.path))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        gevent.sleep(self.delay(request))
        self.in_flight -= 1
        body = json.loads(request.body or b"{}")
        return self.status, json.dumps({"id": 1000 + int(body.get("external_id", 0))}).encode()


def replay(events, sender, *, cap=50, speedup=1.0, late_after=0.01):
    recorder = Recorder(late_after)
    replayer = Replayer(events, load_profile(), sender, recorder, start=datetime(2024, 6, 3), speedup=speedup,
                        max_in_flight=cap)
    gc.collect()  # so run()'s own collection is quick even late in a long test session
    replayer.run(perf_counter() + 0.3)  # after run()'s gc.collect()
    return recorder


def test_each_call_keeps_its_order_and_its_kept_id() -> None:
    events = sorted([received(i * 0.002, i) for i in range(20)]
                    + [answered(i * 0.002 + 0.001, i) for i in range(20)], key=lambda e: e["t"])
    sender = FakeSender(delay=lambda r: 0.005 if r.path == "/v1/calls" else 0.0)
    recorder = replay(events, sender)
    paths = [p for _, _, p in sender.log]
    assert paths.count("/v1/calls") == 20 and recorder.sent == 40 and recorder.failed == 0
    for call in range(20):  # each answer used the id the server returned for its call
        assert f"/v1/calls/{1000 + call}/events" in paths


def test_sends_are_open_loop_and_on_time() -> None:
    events = [received(i * 0.002, i) for i in range(50)]
    sender = FakeSender(delay=lambda r: 0.05)  # slow answers must not delay the next send
    recorder = replay(events, sender, late_after=0.1)  # generous: CI machines are shared
    starts = [t for t, _, _ in sender.log]
    assert starts[-1] - starts[0] < 0.5  # closed loop would need 50 x 50 ms
    assert sender.peak > 10 and sorted(recorder.lag)[44] < 0.1  # 90 % on time, shared CI
    assert max(recorder.slot_wait) == 0.0  # 25 in flight at most: never short of a slot


def test_in_flight_cap_makes_sends_late_but_never_drops_them() -> None:
    events = [received(i * 0.001, i) for i in range(60)]
    sender = FakeSender(delay=lambda r: 0.05)
    recorder = replay(events, sender, cap=5)
    assert sender.peak == 5
    assert recorder.sent == recorder.scheduled == 60 and recorder.late > 40
    assert max(recorder.slot_wait) > 0.3  # the target's slowness ...
    assert sorted(recorder.lag)[int(0.99 * len(recorder.lag))] < 0.1  # ... not the generator's
    series = recorder.kinds["call.create"]
    assert max(series.from_scheduled) > max(series.from_sent) + 0.3


def test_a_failed_create_makes_later_requests_counted_not_sent() -> None:
    events = [received(0.0, 1), answered(0.001, 1)]
    recorder = replay(events, FakeSender(status=500))
    assert (recorder.scheduled, recorder.sent, recorder.failed, recorder.not_sent) == (2, 1, 1, 1)
    assert any("not sent" in key for key in recorder.errors)


def test_partition_keeps_calls_whole_and_covers_every_event() -> None:
    events = [received(i, i % 7) for i in range(100)]
    parts = [partition(events, k, 3) for k in range(3)]
    assert sorted(map(id, sum(parts, []))) == sorted(map(id, events))
    owners = {e["call_id"]: k for k, part in enumerate(parts) for e in part}
    assert all(owners[e["call_id"]] == k for k, part in enumerate(parts) for e in part)
    assert partition(events, 0, 1) is events


@pytest.mark.parametrize("speedup", [10.0, 100.0])
def test_speedup_compresses_time(speedup: float) -> None:
    events = [received(0.0, 1), received(1.0, 2)]
    sender = FakeSender()
    recorder = replay(events, sender, speedup=speedup)
    gap = sender.log[1][0] - sender.log[0][0]
    lag0, lag1 = recorder.lag
    # due 1/speedup apart (a late first send only shortens the gap by its lag) ...
    assert gap + lag0 - lag1 == pytest.approx(1.0 / speedup, abs=0.002)
    assert 0 <= lag1 < 0.05  # ... and the second goes out on time (shared CI machines)


def test_waiting_for_a_slot_is_reported_apart_from_the_generators_lag() -> None:
    """A stalled target holds every slot: the wait is measured, the generator is not blamed."""
    events = [received(i * 0.002, i) for i in range(40)]
    sender = FakeSender(delay=lambda r: 0.4)  # every answer takes 400 ms; 4 slots
    recorder = replay(events, sender, cap=4)
    assert recorder.sent == 40 and len(recorder.lag) == len(recorder.slot_wait) == 40
    # 40 sends through 4 slots of 400 ms each: the last waits about 9 x 0.4 s for a slot
    assert max(recorder.slot_wait) == pytest.approx(9 * 0.4 - 39 * 0.002, abs=0.25)
    assert max(recorder.lag) < 0.1 and recorder.late >= 30
    series = recorder.kinds["call.create"]
    assert max(series.from_scheduled) >= max(recorder.slot_wait) + 0.4 - 0.05
