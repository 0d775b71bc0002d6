"""The trace: the contract between the simulator and the load tester (DESIGN §5, docs/trace.md).

JSON Lines. Line 1 is the header (format name, version, scenario, seed, start timestamp, the
window and lines it was cut with); every further line is one event, sorted by ``t`` with the
events of one call in their original order. This module writes and reads that format; a bad
file is an :class:`~sim.domain.errors.InputError` naming the file, the line and the field.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sim.domain.errors import InputError

FORMAT = "hotline-trace"
VERSION = 1
SUPPORTED_VERSIONS = (1,)

EVENT_KINDS = (
    "call.received", "call.answered", "call.transferred", "call.abandoned",
    "order.created", "order.updated", "order.closed",
)
COMMON_FIELDS = ("t", "kind", "call_id", "line", "region", "category")
# Fields each kind carries beyond the common ones (a value may be null where docs/trace.md says so).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "call.received": ("caller_id", "attempt", "channel", "priority", "incident_id"),
    "call.answered": ("leg", "seat"),
    "call.transferred": ("leg", "to_line", "mode"),
    "call.abandoned": ("leg",),
    "order.created": ("order_id", "order_kind", "urgency", "deadline", "dispatched_to",
                      "dispatched_to_line", "linked_order_id"),
    "order.updated": ("order_id", "order_kind", "status"),
    "order.closed": ("order_id", "order_kind", "status", "on_time", "reopened", "satisfaction"),
}

Event = dict[str, Any]
MAX_SECONDS = 1e10
"""Largest time offset of an event (about 317 years): times stay within calendar dates."""


@dataclass(frozen=True)
class TraceHeader:
    """The first line of a trace: where the events came from and how they were cut."""

    scenario: str | None
    seed: int | None
    start: str | None
    replication: int = 0
    window: tuple[float, float] | None = None
    lines: tuple[str, ...] | None = None
    events: int = 0
    duration: float = 0.0
    format: str = FORMAT
    version: int = VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The header as the JSON object written on line 1."""
        doc = asdict(self)
        extra = doc.pop("extra")
        doc["window"] = list(self.window) if self.window else None
        doc["lines"] = list(self.lines) if self.lines else None
        head = {"format": doc.pop("format"), "version": doc.pop("version")}
        return {**head, **doc, **extra}


@dataclass(frozen=True)
class Trace:
    """A validated trace: its header and its events (plain dicts, sorted by ``t``)."""

    header: TraceHeader
    events: list[Event]
    path: Path | None = None


def write_trace(path: str | Path, header: TraceHeader, events: Iterable[Event]) -> None:
    """Write a trace through a temporary file renamed at the end (never a half-written trace)."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with open(temp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header.to_json(), ensure_ascii=False) + "\n")
            for event in events:
                fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def read_trace(path: str | Path) -> Trace:
    """Read and validate a trace; raise ``InputError`` (file, line, field) on the first problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such trace file", source=path)
    with open(path, encoding="utf-8") as fh:
        lines = _numbered(fh, path)
        first = next(lines, None)
        if first is None:
            raise InputError("empty file; expected a header line", source=path, line=1)
        header = parse_header(first[1], path)
        numbered = [(number, check_event(doc, path, number)) for number, doc in lines]
    _check_order(numbered, path)
    events = [event for _, event in numbered]
    if header.events and header.events != len(events):
        raise InputError(f"header says {header.events} events, the file has {len(events)}",
                         source=path, line=1, key="events")
    return Trace(header, events, path)


def _numbered(fh: Iterable[str], path: Path) -> Iterator[tuple[int, Any]]:
    for number, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg} (column {exc.colno})",
                             source=path, line=number) from None


def parse_header(doc: Any, path: Path) -> TraceHeader:
    """Validate the header object of line 1."""
    def fail(message: str, key: str | None = None) -> InputError:
        return InputError(message, source=path, line=1, key=key)

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise fail(f'expected a header object with "format": "{FORMAT}"', "format")
    version = doc.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise fail(f"unsupported version {version!r}; this reader knows {list(SUPPORTED_VERSIONS)}",
                   "version")
    window = doc.get("window")
    if window is not None and not (isinstance(window, list) and len(window) == 2
                                   and all(_is_finite(x) for x in window)):
        raise fail("expected [start, end] in seconds or null", "window")
    known = {f for f in TraceHeader.__dataclass_fields__ if f != "extra"}
    return TraceHeader(
        scenario=doc.get("scenario"), seed=doc.get("seed"), start=doc.get("start"),
        replication=int(doc.get("replication") or 0),
        window=tuple(window) if window else None,
        lines=tuple(doc["lines"]) if doc.get("lines") else None,
        events=int(doc.get("events") or 0), duration=float(doc.get("duration") or 0.0),
        version=version, extra={k: v for k, v in doc.items() if k not in known},
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def check_event(doc: Any, path: Path | str, number: int) -> Event:
    """Validate one event object (line ``number``) and return it."""
    def fail(message: str, key: str | None = None) -> InputError:
        return InputError(message, source=path, line=number, key=key)

    if not isinstance(doc, dict):
        raise fail("expected an event object")
    kind = doc.get("kind")
    if kind not in KIND_FIELDS:
        raise fail(f"unknown kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}", "kind")
    for name in COMMON_FIELDS + KIND_FIELDS[kind]:
        if name not in doc:
            raise fail(f"missing field (a {kind} event needs {name})", name)
    for name, value in doc.items():  # JSON readers accept NaN and Infinity; JSON does not
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(f"expected a finite number, got {value!r}", name)
    t = doc["t"]
    if not _is_number(t) or not 0 <= t <= MAX_SECONDS:
        raise fail(f"expected a number of seconds between 0 and {MAX_SECONDS:g}, got {t!r}", "t")
    deadline = doc.get("deadline")
    if deadline is not None and not (_is_number(deadline) and abs(deadline) <= MAX_SECONDS):
        raise fail(f"expected null or a number of seconds within ±{MAX_SECONDS:g}, "
                   f"got {deadline!r}", "deadline")
    call_id = doc["call_id"]
    if not isinstance(call_id, int | str) or isinstance(call_id, bool):
        raise fail(f"expected an integer or string, got {call_id!r}", "call_id")
    for name in ("line", "region", "category"):
        if not isinstance(doc[name], str):
            raise fail(f"expected a string, got {doc[name]!r}", name)
    return doc


def _check_order(numbered: list[tuple[int, Event]], path: Path) -> None:
    previous = 0.0
    for number, event in numbered:
        if event["t"] < previous:
            raise InputError(f"events must be sorted by t; {event['t']} follows {previous}",
                             source=path, line=number, key="t")
        previous = event["t"]
