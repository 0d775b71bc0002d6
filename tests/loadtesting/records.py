"""Small record files (docs/records.md) written by the tests, so the export needs no simulator."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

CALL_COLUMNS = (
    "replication", "call_id", "leg", "caller_id", "attempt", "region", "line", "category",
    "channel", "priority", "incident_id", "arrival", "answered", "talk_end", "released", "ended",
    "outcome", "disposition", "transfer_mode", "to_line", "seat", "redial_of",
)
ORDER_COLUMNS = (
    "replication", "order_id", "kind", "call_id", "linked_order_id", "region", "line",
    "dispatched_to", "category", "urgency", "created", "deadline", "signed", "closed", "on_time",
    "reopened", "satisfaction",
)
CALL_DEFAULTS = {"replication": 0, "leg": 0, "attempt": 1, "region": "620100", "line": "12345",
                 "category": "c1", "channel": "voice", "priority": 1, "incident_id": -1,
                 "transfer_mode": "", "to_line": "", "disposition": "", "seat": "", "redial_of": -1}
ORDER_DEFAULTS = {"replication": 0, "linked_order_id": -1, "region": "620100", "line": "12345",
                  "dispatched_to": "dept-a", "category": "c1", "urgency": "normal", "signed": "",
                  "closed": "", "on_time": "", "reopened": 0, "satisfaction": ""}


def leg(call_id: int, arrival: float, outcome: str = "answered", **fields: object) -> dict:
    """One call-leg row; answered legs get answered/talk_end times unless given."""
    row = {**CALL_DEFAULTS, "call_id": call_id, "caller_id": call_id, "arrival": arrival,
           "outcome": outcome, "answered": "", "talk_end": "", "released": "", "ended": arrival}
    if outcome == "answered":
        row.update(answered=arrival + 5, talk_end=arrival + 65, released=arrival + 90,
                   ended=arrival + 65, disposition="resolved", seat="own")
    row.update(fields)
    return row


def order(order_id: int, call_id: int, created: float, **fields: object) -> dict:
    """One order row."""
    return {**ORDER_DEFAULTS, "order_id": order_id, "kind": "work_order", "call_id": call_id,
            "created": created, "deadline": created + 86400, **fields}


def write_run(directory: Path, calls: list[dict], orders: list[dict] | None = None,
              meta: dict | None = None) -> Path:
    """A run directory with calls.csv.gz, orders.csv.gz (when given) and kpis.json."""
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory / "calls.csv.gz", CALL_COLUMNS, calls)
    if orders is not None:
        _write(directory / "orders.csv.gz", ORDER_COLUMNS, orders)
    doc = {"scenario": "tiny", "seed": 7, "start": "2024-06-03T00:00:00+08:00"} if meta is None else meta
    (directory / "kpis.json").write_text(json.dumps(doc), encoding="utf-8")
    return directory


def _write(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
