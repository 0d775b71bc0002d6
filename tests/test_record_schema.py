"""The call-leg record layout is declared once (``sim.model.record``); every form follows it."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from sim.model.calls import ABANDONED, ANSWERED, GUIDANCE, Call
from sim.model.record import (
    CALL_COLUMNS,
    LEG_FIELDS,
    LEG_NAMES,
    TIME_FIELDS,
    CallLeg,
    unpack_record,
)
from sim.results.records import Names, format_calls_csv, to_columns

DOCS = Path(__file__).resolve().parents[1] / "docs" / "records.md"


def test_docs_list_the_csv_columns_in_order() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## `calls.csv.gz`", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    assert tuple(documented) == CALL_COLUMNS


def test_call_leg_and_time_fields_follow_the_schema() -> None:
    assert CallLeg._fields == LEG_NAMES
    assert set(TIME_FIELDS) == {f.name for f in LEG_FIELDS if f.dtype == "time"}
    assert "negotiation_end" in TIME_FIELDS and "outcome" not in TIME_FIELDS


def _leg(outcome: int) -> tuple:
    call = Call(call_id=7, caller_id=3, attempt=2, centre=1, category=4, arrival=10.0,
                deadline=70.0, priority=1, redial_of=5, incident_id=9)
    call.answered, call.talk_end, call.disposition = 12.5, 40.0, GUIDANCE
    return unpack_record(call.record(45.0, 40.0, outcome))


def test_a_record_carries_every_field_by_name() -> None:
    leg = CallLeg(*_leg(ANSWERED))
    assert (leg.call_id, leg.caller_id, leg.attempt, leg.centre, leg.category) == (7, 3, 2, 1, 4)
    assert (leg.arrival, leg.answered, leg.talk_end, leg.released, leg.ended) == (
        10.0, 12.5, 40.0, 45.0, 40.0)
    assert (leg.outcome, leg.disposition, leg.redial_of, leg.incident_id) == (
        ANSWERED, GUIDANCE, 5, 9)
    assert math.isnan(leg.hold_end) and math.isnan(leg.negotiation_end)
    assert leg.deadline == 70.0


def test_a_leg_not_answered_has_no_disposition() -> None:
    assert CallLeg(*_leg(ABANDONED)).disposition == -1


def test_columns_and_csv_rows_follow_the_schema() -> None:
    cols = to_columns([_leg(ANSWERED)])
    assert list(cols) == list(LEG_NAMES)
    assert all(cols[n].dtype == (np.float64 if n in TIME_FIELDS else np.int64) for n in cols)
    names = Names(centre_regions=["620100", "622900"], centre_lines=["12345", "110"],
                  categories=["c0", "c1", "c2", "c3", "c4"], lines=["12345", "110"])
    row = format_calls_csv(cols, 2, names).rstrip("\n").split(",")
    assert dict(zip(CALL_COLUMNS, row, strict=True)) == {
        "replication": "2", "call_id": "7", "leg": "0", "caller_id": "3", "attempt": "2",
        "region": "622900", "line": "110", "category": "c4", "channel": "voice",
        "priority": "1", "incident_id": "9", "arrival": "10.000", "answered": "12.500",
        "talk_end": "40.000", "released": "45.000", "ended": "40.000", "outcome": "answered",
        "disposition": "guidance", "transfer_mode": "", "to_line": "", "seat": "",
        "redial_of": "5", "parent_leg": "-1", "hold_end": "", "negotiation_end": "",
        "deadline": "70.000"}
