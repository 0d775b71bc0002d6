"""Export a trace from a run's records (``calls.csv.gz``, ``orders.csv.gz``; docs/records.md).

Records are read by column name, never by position, so columns added to the records (such as
``hold_end``, ``negotiation_end`` and ``deadline`` of call legs) and outcomes the export does
not turn into events (``not_joined``, ``unfinished``) are tolerated.

One replication is exported. Blocked calls never reach a platform and produce no events. A
window keeps the calls *received* inside it (so every exported call starts with its creation)
and their events up to the window's end, with times shifted so the window starts at ``t = 0``.
A line filter keeps the calls first received on one of the lines and, of those, the events on
those lines. Rules and fields: docs/trace.md.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from loadtest.trace import Event, TraceHeader, write_trace
from sim.domain.errors import InputError
from sim.domain.lines import LINES

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?"
                       r"(?:(\d+(?:\.\d+)?)s?)?$")


def parse_offset(text: str, start: datetime | None, source: str = "--window") -> float:
    """Seconds since the run start from ``3600``, ``1h``, ``1h30m``, ``90m``, ``45s`` or an ISO time."""
    text = text.strip()
    match = _DURATION.match(text)
    if text and match and any(match.groups()):
        d, h, m, s = (float(g) if g else 0.0 for g in match.groups())
        return d * 86400 + h * 3600 + m * 60 + s
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"expected seconds, a duration like 1h30m, or an ISO time; got {text!r}",
                         source=source) from None
    if start is None:
        raise InputError("an ISO time needs the run's start in kpis.json", source=source)
    if (moment.tzinfo is None) != (start.tzinfo is None):
        moment = moment.replace(tzinfo=start.tzinfo)
    return (moment - start).total_seconds()


def parse_window(text: str, start: datetime | None = None) -> tuple[float, float]:
    """``START/END`` as seconds since the run start; END must follow START."""
    if text.count("/") != 1:
        raise InputError(f"expected START/END, got {text!r}", source="--window")
    first, last = (parse_offset(part, start) for part in text.split("/"))
    if not 0 <= first < last:
        raise InputError(f"expected 0 <= START < END, got {first:g}/{last:g} s", source="--window")
    return first, last


def parse_lines(text: str | None) -> tuple[str, ...] | None:
    """``12345,110`` as a tuple of line names (None for all lines)."""
    if not text:
        return None
    lines = tuple(part.strip() for part in text.split(",") if part.strip())
    if not lines:
        raise InputError(f"expected lines like 12345,110, got {text!r}", source="--lines")
    return lines


def read_meta(run_dir: Path) -> dict[str, Any]:
    """``kpis.json`` keys the header needs (scenario, seed, start), read defensively."""
    try:
        doc = json.loads((run_dir / "kpis.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    doc = doc if isinstance(doc, dict) else {}
    return {"scenario": doc.get("scenario") or run_dir.name, "seed": doc.get("seed"),
            "start": doc.get("start")}


def _rows(path: Path, replication: int) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if int(row.get("replication") or 0) == replication:
                yield row


def _num(row: dict[str, str], name: str) -> float | None:
    value = row.get(name, "")
    return float(value) if value not in ("", "nan", None) else None


def _int(row: dict[str, str], name: str, default: int | None = None) -> int | None:
    value = row.get(name, "")
    return int(float(value)) if value not in ("", None) else default


def _base(row: dict[str, str], t: float, kind: str, call_id: int) -> Event:
    return {"t": t, "kind": kind, "call_id": call_id, "line": row["line"],
            "region": row["region"], "category": row["category"]}


def call_events(legs: list[dict[str, str]]) -> list[Event]:
    """The platform events of one call from its legs (leg 0 first); none for a blocked call."""
    first = legs[0]
    if first["outcome"] == "blocked":
        return []
    call_id = int(first["call_id"])
    received = _base(first, _num(first, "arrival") or 0.0, "call.received", call_id)
    received.update(caller_id=_int(first, "caller_id"), attempt=_int(first, "attempt", 1),
                    channel=first.get("channel") or "voice", priority=_int(first, "priority", 0),
                    incident_id=_int(first, "incident_id", -1))
    events = [received]
    for index, leg in enumerate(legs):
        if leg["outcome"] == "blocked":
            break
        number = _int(leg, "leg", index)
        if leg["outcome"] in ("answered", "bot") and _num(leg, "answered") is not None:
            event = _base(leg, _num(leg, "answered"), "call.answered", call_id)
            events.append({**event, "leg": number, "seat": leg.get("seat") or None})
        if leg["outcome"] == "abandoned":
            event = _base(leg, _num(leg, "ended") or _num(leg, "arrival"), "call.abandoned", call_id)
            events.append({**event, "leg": number})
        after = legs[index + 1] if index + 1 < len(legs) else {}
        handover = _handover(leg, after, number, call_id)
        if handover is not None:
            events.append(handover)
    return events


def _handover(leg: dict[str, str], after: dict[str, str], number: int, call_id: int
              ) -> Event | None:
    """The ``call.transferred`` event by which the call leaves ``leg`` for the next centre.

    A transfer (S3 one-key, S4 three-way) goes to the leg's ``to_line``; a three-way call whose
    receiving platform hands it back (disposition ``returned``, or a receiver that did not join
    in time, outcome ``not_joined``) goes back to the first receiver, whose next leg is the
    return leg: the platform sees that as a transfer back, so the answer of the return leg is
    an answer of a leg the server knows.
    """
    disposition = leg.get("disposition")
    if disposition == "transfer":
        to_line = leg.get("to_line") or after.get("line")
        mode = after.get("transfer_mode") or "one_key"
    elif after and (disposition == "returned" or leg.get("outcome") == "not_joined"):
        to_line, mode = after.get("line"), after.get("transfer_mode") or "three_way"
    else:
        return None
    if not to_line or to_line == leg["line"]:
        return None
    # the transfer happens when the next centre is reached (during the talk, for three-way)
    when = _num(after, "arrival") if after else None
    when = when if when is not None else _num(leg, "talk_end") or _num(leg, "ended")
    event = _base(leg, when, "call.transferred", call_id)
    return {**event, "leg": number, "to_line": to_line, "mode": mode}


def order_events(row: dict[str, str], lines_known: set[str]) -> list[Event]:
    """``order.created`` / ``order.updated`` (signed) / ``order.closed`` for one order row."""
    call_id = int(row["call_id"])
    ident = {"order_id": int(row["order_id"]), "order_kind": row["kind"]}
    linked = _int(row, "linked_order_id", -1)
    dispatched = row.get("dispatched_to") or None
    created = {**_base(row, _num(row, "created") or 0.0, "order.created", call_id), **ident,
               "urgency": row.get("urgency") or "normal", "deadline": _num(row, "deadline"),
               "dispatched_to": dispatched,
               "dispatched_to_line": dispatched if dispatched in lines_known else None,
               "linked_order_id": None if linked in (None, -1) else linked}
    events = [created]
    if _num(row, "signed") is not None:
        events.append({**_base(row, _num(row, "signed"), "order.updated", call_id), **ident,
                       "status": "signed"})
    if _num(row, "closed") is not None:
        on_time = _int(row, "on_time")
        events.append({**_base(row, _num(row, "closed"), "order.closed", call_id), **ident,
                       "status": "closed", "on_time": None if on_time is None else bool(on_time),
                       "reopened": _int(row, "reopened", 0), "satisfaction": _num(row, "satisfaction")})
    return events


def _group(path: Path, replication: int, key: str) -> dict[int, list[dict[str, str]]]:
    groups: dict[int, list[dict[str, str]]] = defaultdict(list)
    if path.is_file():
        for row in _rows(path, replication):
            groups[int(row[key])].append(row)
    return groups


def build_events(run_dir: Path, *, replication: int = 0, window: tuple[float, float] | None = None,
                 lines: tuple[str, ...] | None = None) -> list[Event]:
    """All selected events of one replication, sorted by ``t`` (stable), times window-relative."""
    calls = _group(run_dir / "calls.csv.gz", replication, "call_id")
    orders = _group(run_dir / "orders.csv.gz", replication, "call_id")
    lines_known = set(LINES) | {leg["line"] for legs in calls.values() for leg in legs}
    begin, end = window if window else (0.0, float("inf"))
    selected: list[Event] = []
    for call_id in sorted(calls):
        legs = sorted(calls[call_id], key=lambda row: _int(row, "leg", 0))
        events = call_events(legs)
        if not events or not begin <= events[0]["t"] < end:
            continue
        if lines and events[0]["line"] not in lines:
            continue
        events.extend(_orders_of_call(events, orders.get(call_id, []), lines_known))
        selected.extend(_tidy(events, begin, end, lines))
    selected.sort(key=lambda event: event["t"])
    return selected


def _orders_of_call(events: list[Event], rows: list[dict[str, str]],
                    lines_known: set[str]) -> list[Event]:
    """A call's order events; an order owned by a line the call never reached is preceded by a
    ``system_dispatch`` transfer (S5 系统派件) from the call's current line to the owner, and
    an order linked to one of another line (S8) is dispatched to that line."""
    reached = {e["line"] for e in events} | {e["to_line"] for e in events
                                             if e["kind"] == "call.transferred"}
    owner = {int(r["order_id"]): r["line"] for r in rows}
    out: list[Event] = []
    for row in sorted(rows, key=lambda r: (_num(r, "created") or 0.0, int(r["order_id"]))):
        created = order_events(row, lines_known)
        other = owner.get(_int(row, "linked_order_id", -1))
        if other and other != row["line"] and created[0]["dispatched_to_line"] is None:
            created[0]["dispatched_to_line"] = other  # S8: the rest is handed to the other line
        if row["line"] not in reached:
            out.append(_dispatch(events, created[0], row["line"]))
            reached.add(row["line"])
        out.extend(created)
    return out


def _dispatch(events: list[Event], order: Event, to_line: str) -> Event:
    """The S5 transfer from the line the call is at when ``order`` is created to ``to_line``."""
    at = events[0]
    for event in events:
        if event["t"] <= order["t"] and event["kind"] in ("call.answered", "call.received"):
            at = event
    return {**_base(at, order["t"], "call.transferred", order["call_id"]),
            "leg": at.get("leg", 0), "to_line": to_line, "mode": "system_dispatch"}


def _tidy(events: list[Event], begin: float, end: float,
          lines: tuple[str, ...] | None) -> list[Event]:
    """One call's events in time order, never going back in time, cut and shifted to the window."""
    ordered = [e for _, e in sorted(enumerate(events), key=lambda p: (p[1]["t"], p[0]))]
    kept, previous = [], 0.0
    for event in ordered:
        previous = max(previous, event["t"])
        if previous >= end or (lines and event["line"] not in lines):
            continue
        event["t"] = round(previous - begin, 3)
        if event.get("deadline") is not None:
            event["deadline"] = round(event["deadline"] - begin, 3)
        kept.append(event)
    return kept


def export_trace(run_dir: str | Path, out: str | Path, *, replication: int = 0,
                 window: str | tuple[float, float] | None = None,
                 lines: str | tuple[str, ...] | None = None) -> TraceHeader:
    """Write the trace of one replication of ``run_dir`` to ``out``; return its header."""
    run_dir = Path(run_dir)
    if not (run_dir / "calls.csv.gz").is_file():
        raise InputError("not a run directory (no calls.csv.gz)", source=run_dir)
    meta = read_meta(run_dir)
    start = _parse_start(meta["start"])
    if isinstance(window, str):
        window = parse_window(window, start)
    if isinstance(lines, str):
        lines = parse_lines(lines)
    events = build_events(run_dir, replication=replication, window=window, lines=lines)
    begin = window[0] if window else 0.0
    shifted = (start + timedelta(seconds=begin)).isoformat() if start else meta["start"]
    header = TraceHeader(
        scenario=meta["scenario"], seed=meta["seed"], start=shifted, replication=replication,
        window=window, lines=lines, events=len(events),
        duration=events[-1]["t"] if events else 0.0,
        extra={"run_start": meta["start"], "source": str(run_dir)},
    )
    write_trace(out, header, events)
    return header


def _parse_start(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
