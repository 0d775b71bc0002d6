"""What a replay measured: per request kind, latency from the scheduled time and from the send.

A :class:`Recorder` collects raw values in arrays during the replay (cheap enough for the send
loop); :meth:`Recorder.summary` turns them into HdrHistograms (microseconds, 3 significant
digits, so percentiles are within 0.1 %) that travel from Locust workers to the master as
encoded strings, where :func:`merge` adds them up.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3


def new_histogram() -> HdrHistogram:
    """An empty histogram for 1 µs … 1 h at 3 significant digits."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def _histogram(values: array) -> HdrHistogram:
    hist = new_histogram()
    for seconds in values:
        hist.record_value(min(max(int(seconds * 1e6), LOWEST_US), HIGHEST_US))
    return hist


def _encode(values: array) -> str:
    return _histogram(values).encode().decode("ascii")


@dataclass
class KindSeries:
    """Raw values of one request kind, seconds."""

    from_scheduled: array = field(default_factory=lambda: array("d"))
    from_sent: array = field(default_factory=lambda: array("d"))
    failed: int = 0
    not_sent: int = 0


class Recorder:
    """Collects one process's measurements; ``summary()`` makes them mergeable."""

    def __init__(self, late_after: float) -> None:
        self.late_after = late_after
        self.kinds: dict[str, KindSeries] = {}
        self.lag = array("d")
        self.slot_wait = array("d")
        self.scheduled = self.sent = self.failed = self.not_sent = self.late = 0
        self.first_sent = self.last_sent = self.last_done = None
        self.errors: dict[str, int] = {}

    def _kind(self, name: str) -> KindSeries:
        series = self.kinds.get(name)
        if series is None:
            series = self.kinds[name] = KindSeries()
        return series

    def schedule(self, count: int) -> None:
        """Count requests planned for this process."""
        self.scheduled += count

    def send_lag(self, lag: float, slot_wait: float = 0.0) -> None:
        """A scheduled send: the load generator's own lag, and the wait for an in-flight slot.

        ``lag`` is the generator's delay (dependent steps excluded); ``slot_wait`` is the time
        every in-flight slot was taken by requests the target had not answered yet (the
        target's slowness, not the generator's). A send is *late* when both together exceed
        ``late_after``.
        """
        self.lag.append(lag)
        self.slot_wait.append(slot_wait)
        if lag + slot_wait > self.late_after:
            self.late += 1

    def done(self, name: str, due: float, sent: float, finished: float, error: str | None) -> None:
        """A request that was sent: its scheduled, send and completion times (perf-counter s)."""
        series = self._kind(name)
        self.sent += 1
        self.first_sent = sent if self.first_sent is None else min(self.first_sent, sent)
        self.last_sent = sent if self.last_sent is None else max(self.last_sent, sent)
        self.last_done = finished if self.last_done is None else max(self.last_done, finished)
        if error is not None:  # a failure is never a latency sample (it may be fast)
            series.failed += 1
            self.failed += 1
            self._error(name, error)
            return
        series.from_scheduled.append(finished - due)
        series.from_sent.append(finished - sent)

    def skipped(self, name: str, reason: str) -> None:
        """A scheduled request that could not be sent (a value it needs is missing)."""
        self._kind(name).not_sent += 1
        self.not_sent += 1
        self._error(name, f"not sent: {reason}")

    def _error(self, name: str, message: str) -> None:
        key = f"{name}: {message[:200]}"
        self.errors[key] = self.errors.get(key, 0) + 1

    def summary(self, t0: float, last_due: float) -> dict[str, Any]:
        """A JSON-able summary; times are seconds after ``t0`` (the replay's t = 0).

        ``last_due`` is this process's last scheduled send, seconds after ``t0``.
        """
        def rel(value: float | None) -> float | None:
            return None if value is None else value - t0

        return {
            "last_due": last_due, "scheduled": self.scheduled, "sent": self.sent, "failed": self.failed,
            "not_sent": self.not_sent, "late": self.late, "late_after": self.late_after,
            "first_sent": rel(self.first_sent), "last_sent": rel(self.last_sent),
            "last_done": rel(self.last_done), "errors": dict(self.errors),
            "lag": _encode(self.lag), "slot_wait": _encode(self.slot_wait),
            "kinds": {name: {"from_scheduled": _encode(s.from_scheduled),
                             "from_sent": _encode(s.from_sent),
                             "count": len(s.from_sent) + s.failed,
                             "failed": s.failed, "not_sent": s.not_sent}
                      for name, s in self.kinds.items()},
        }


@dataclass
class KindTotals:
    """Merged measurements of one request kind."""

    from_scheduled: HdrHistogram = field(default_factory=new_histogram)
    from_sent: HdrHistogram = field(default_factory=new_histogram)
    count: int = 0
    failed: int = 0
    not_sent: int = 0

    def percentile_ms(self, basis: str, q: float) -> float | None:
        """The ``q``-th percentile (0-100) in ms of latency from ``scheduled`` or ``sent``."""
        hist = self.from_scheduled if basis == "scheduled" else self.from_sent
        return hist.get_value_at_percentile(q) / 1000 if hist.get_total_count() else None


@dataclass
class Totals:
    """The merged measurements of all processes of one replay."""

    scheduled: int = 0
    sent: int = 0
    failed: int = 0
    not_sent: int = 0
    late: int = 0
    late_after: float = 0.0
    processes: int = 0
    last_sent: float = 0.0
    last_done: float = 0.0
    scheduled_span: float = 0.0
    lag: HdrHistogram = field(default_factory=new_histogram)
    slot_wait: HdrHistogram = field(default_factory=new_histogram)
    kinds: dict[str, KindTotals] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def merge(summaries: list[dict[str, Any]]) -> Totals:
    """Add up the summaries of every process."""
    totals = Totals(processes=len(summaries))
    for doc in summaries:
        for name in ("scheduled", "sent", "failed", "not_sent", "late"):
            setattr(totals, name, getattr(totals, name) + doc[name])
        totals.late_after = doc["late_after"]
        totals.last_sent = max(totals.last_sent, doc["last_sent"] or 0.0)
        totals.last_done = max(totals.last_done, doc["last_done"] or 0.0)
        totals.scheduled_span = max(totals.scheduled_span, doc.get("last_due") or 0.0)
        totals.lag.add(HdrHistogram.decode(doc["lag"]))
        totals.slot_wait.add(HdrHistogram.decode(doc["slot_wait"]))
        for message, count in doc["errors"].items():
            totals.errors[message] = totals.errors.get(message, 0) + count
        for name, kind in doc["kinds"].items():
            into = totals.kinds.setdefault(name, KindTotals())
            into.from_scheduled.add(HdrHistogram.decode(kind["from_scheduled"]))
            into.from_sent.add(HdrHistogram.decode(kind["from_sent"]))
            into.count += kind["count"]
            into.failed += kind["failed"]
            into.not_sent += kind["not_sent"]
    return totals
