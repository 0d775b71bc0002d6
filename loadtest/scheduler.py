"""The open-loop replay scheduler (gevent; no Locust import, so it can be tested on its own).

Every event is due at ``t0 + t / speedup``. One dispatcher greenlet sleeps until the next due
time and hands the event to a sender greenlet, whether or not earlier requests have returned.
At most ``max_in_flight`` calls have a request in flight; when all slots are busy the
dispatcher waits and the sends that follow are *late*, never dropped; that wait for a free slot
is the target's slowness, recorded apart from the load generator's own schedule lag.
Events of one call go out in order on one greenlet: an event due while its call's previous
request is still in flight is queued behind it. Its latency from the scheduled time includes
that wait; its schedule lag starts when the previous request finished (and when a slot was
free), so the lag measures the load generator alone. Latency is recorded from the scheduled time (corrected for coordinated
omission) and from the actual send.
A dependent request of one event (the 2nd, 3rd … of a list) is due when the one before it
completes, so its lag is not a scheduling lag and is left out of the lag histogram.
"""

from __future__ import annotations

import gc
import json
import zlib
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime
from time import perf_counter
from typing import Any, Protocol

import gevent
from gevent.lock import BoundedSemaphore

from loadtest.profile import Prepared, Profile, RequestSpec
from loadtest.results import Recorder
from loadtest.template import MissingValue
from loadtest.trace import Event

# (request spec, due, sent, finished, response length, error) of every scheduled request;
# sent is None for a request that could not be sent.
RequestHook = Callable[[RequestSpec, float, float | None, float, int, str | None], None]


class Sender(Protocol):
    """Sends one filled request; returns the status code and the response body."""

    def send(self, request: Prepared) -> tuple[int, bytes]: ...


class HttpSender:
    """HTTP/1.1 keep-alive connections to one host (geventhttpclient, one per in-flight slot)."""

    def __init__(self, host: str, connections: int, timeout: float) -> None:
        from geventhttpclient import HTTPClient
        from geventhttpclient.url import URL

        url = URL(host)
        self.prefix = url.path.rstrip("/")
        self.client = HTTPClient.from_url(url, concurrency=connections, connection_timeout=timeout,
                                          network_timeout=timeout)

    def send(self, request: Prepared) -> tuple[int, bytes]:
        """Send and read the whole response."""
        response = self.client.request(request.method, self.prefix + request.path,
                                       body=request.body or b"", headers=request.headers)
        try:
            return response.status_code, response.read()
        finally:
            response.release()

    def close(self) -> None:
        """Close every connection."""
        self.client.close()


def partition(events: list[Event], index: int, count: int) -> list[Event]:
    """The events of worker ``index`` of ``count``: whole calls, chosen by a hash of the call id."""
    if count <= 1:
        return events
    return [e for e in events if zlib.crc32(str(e["call_id"]).encode()) % count == index]


class Replayer:
    """Replays events open-loop against one sender; measurements go to ``recorder``."""

    def __init__(self, events: list[Event], profile: Profile, sender: Sender, recorder: Recorder,
                 *, start: datetime | None, speedup: float = 1.0, max_in_flight: int = 100,
                 on_request: RequestHook | None = None) -> None:
        self.events, self.profile, self.sender, self.recorder = events, profile, sender, recorder
        self.start, self.speedup, self.max_in_flight = start, speedup, max_in_flight
        self.on_request = on_request
        self._slots = BoundedSemaphore(max_in_flight)
        self._queued: dict[Any, deque[tuple[Event, float]]] = {}
        self._kept: dict[Any, dict[str, Any]] = {}
        self._remaining = Counter(e["call_id"] for e in events if profile.specs_for(e))
        recorder.schedule(profile.count(events))

    @property
    def last_due(self) -> float:
        """Seconds from t = 0 to the last scheduled send."""
        return self.events[-1]["t"] / self.speedup if self.events else 0.0

    def run(self, t0: float) -> None:
        """Dispatch every event at ``t0 + t / speedup`` (perf-counter seconds); wait for the end."""
        gc.collect()
        gc.freeze()  # long-lived objects out of the collector's way: no long pauses mid-replay
        try:
            self._dispatch(t0)
            for _ in range(self.max_in_flight):  # every slot back: every request finished
                self._slots.acquire()
        finally:
            gc.unfreeze()

    def _dispatch(self, t0: float) -> None:
        speedup, slots, queued = self.speedup, self._slots, self._queued
        unblocked = 0.0  # when the dispatcher last got a slot after all were taken
        for n, event in enumerate(self.events):
            if not self.profile.specs_for(event):
                continue
            due = t0 + event["t"] / speedup
            wait = due - perf_counter()
            if wait > 0:
                gevent.sleep(wait)
            elif n % 32 == 0:
                gevent.sleep(0)  # behind schedule: still let responses be read
            call = event["call_id"]
            waiting = queued.get(call)
            if waiting is not None:
                waiting.append((event, due, max(due, unblocked)))
                continue
            if slots.locked():  # every slot taken by a request the target has not answered
                slots.acquire()
                unblocked = perf_counter()
            else:
                slots.acquire()
            queued[call] = deque()
            gevent.spawn(self._call_chain, call, event, due, max(due, unblocked))

    def _call_chain(self, call: Any, event: Event, due: float, free: float) -> None:
        """Send this event, then any events of the same call that fell due meanwhile.

        ``free`` is when the dispatcher could first send it: its due time, or later when it
        had to wait for an in-flight slot (that wait is the target's, not the generator's).
        """
        try:
            ready = free
            while True:
                finished = self._send_event(call, event, due, ready, free - due)
                waiting = self._queued[call]
                if not waiting:
                    break
                event, due, free = waiting.popleft()
                ready = max(free, finished)  # it could not go before its call's previous request
        finally:
            del self._queued[call]
            self._slots.release()

    def _send_event(self, call: Any, event: Event, due: float, ready: float,
                    slot_wait: float) -> float:
        """Send the requests of one event; return when the last one finished."""
        kept = self._kept.setdefault(call, {})
        finished = due
        for step, spec in enumerate(self.profile.specs_for(event)):
            finished = self._send_one(spec, event, kept, due if step == 0 else finished,
                                      ready if step == 0 else None, slot_wait)
        self._remaining[call] -= 1
        if self._remaining[call] <= 0:
            self._kept.pop(call, None)
            del self._remaining[call]
        return finished

    def _send_one(self, spec: RequestSpec, event: Event, kept: dict[str, Any], due: float,
                  ready: float | None, slot_wait: float = 0.0) -> float:
        """Send one request; return when it finished (the due time of a dependent request).

        ``ready`` is the earliest the load generator could send it (its due time, or when the
        call's previous request finished); the schedule lag is measured from it. None for a
        dependent request, which has no schedule of its own. ``slot_wait`` is how long the
        event waited for a free in-flight slot before that.
        """
        try:
            request = self.profile.prepare(spec, self.profile.scope(event, kept, self.start))
        except MissingValue as exc:
            now = perf_counter()
            self.recorder.skipped(spec.name, str(exc))
            if self.on_request:
                self.on_request(spec, due, None, now, 0, f"not sent: {exc}")
            return now
        sent = perf_counter()
        if ready is not None:
            self.recorder.send_lag(sent - ready, slot_wait)
        body, error = b"", None
        try:
            status, body = self.sender.send(request)
            if not spec.succeeded(status):
                error = f"HTTP {status}: {body[:100].decode('utf-8', 'replace')}"
            elif spec.keep:
                error = _keep(spec, event, kept, body)
        except Exception as exc:  # noqa: BLE001 - any failure of one request is a counted error
            error = f"{type(exc).__name__}: {exc}"
        finished = perf_counter()
        self.recorder.done(spec.name, due, sent, finished, error)
        if self.on_request:
            self.on_request(spec, due, sent, finished, len(body), error)
        return finished


def _keep(spec: RequestSpec, event: Event, kept: dict[str, Any], body: bytes) -> str | None:
    """Store the kept values of a response; an error message when one is missing."""
    try:
        document = json.loads(body)
        for rule in spec.keep:
            value = rule.extract(document)
            if rule.key_field is None:
                kept[rule.name] = value
            else:
                kept.setdefault(rule.name, {})[event.get(rule.key_field)] = value
    except (ValueError, KeyError) as exc:
        return f"response lacks {exc} to keep" if isinstance(exc, KeyError) else "response is not JSON"
    return None
