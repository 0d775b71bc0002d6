"""The trace: export from records (exact event logs), window and line selection, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.export import export_trace, parse_window
from loadtest.trace import TraceHeader, read_trace, write_trace
from sim.domain.errors import InputError
from tests.loadtesting.records import leg, order, write_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    calls = [
        leg(1, 10.0, disposition="transfer", to_line="110"),
        leg(1, 75.0, leg=1, line="110", transfer_mode="one_key", disposition="police_order"),
        leg(2, 12.0, outcome="blocked"),
        leg(3, 20.0, outcome="abandoned", ended=50.0),
        leg(4, 700.0),
    ]
    orders = [order(1, 1, 140.0, kind="police_order", line="110", signed=200.0, closed=500.0,
                    on_time=1, satisfaction=0.8)]
    return write_run(tmp_path / "run", calls, orders)


def _log(path: Path) -> list[tuple]:
    return [(e["t"], e["kind"], e["call_id"], e["line"]) for e in read_trace(path).events]


def test_export_gives_the_exact_event_log(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "trace.jsonl"
    header = export_trace(run_dir, out)
    assert _log(out) == [
        (10.0, "call.received", 1, "12345"), (15.0, "call.answered", 1, "12345"),
        (20.0, "call.received", 3, "12345"), (50.0, "call.abandoned", 3, "12345"),
        (75.0, "call.transferred", 1, "12345"), (80.0, "call.answered", 1, "110"),
        (140.0, "order.created", 1, "110"), (200.0, "order.updated", 1, "110"),
        (500.0, "order.closed", 1, "110"), (700.0, "call.received", 4, "12345"),
        (705.0, "call.answered", 4, "12345"),
    ]
    events = read_trace(out).events
    assert events[4]["to_line"] == "110" and events[4]["mode"] == "one_key"
    assert events[8]["satisfaction"] == 0.8 and events[8]["on_time"] is True
    assert events[6]["linked_order_id"] is None and events[6]["order_kind"] == "police_order"
    first = json.loads(out.read_text().splitlines()[0])
    assert first["format"] == "hotline-trace" and first["version"] == 1
    assert (first["scenario"], first["seed"], first["start"]) == ("tiny", 7, "2024-06-03T00:00:00+08:00")
    assert header.events == 11


def test_window_keeps_calls_received_in_it_shifted_to_zero(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.jsonl"
    header = export_trace(run_dir, out, window="15s/3m")
    assert _log(out) == [(5.0, "call.received", 3, "12345"), (35.0, "call.abandoned", 3, "12345")]
    assert header.start == "2024-06-03T00:00:15+08:00" and header.window == (15.0, 180.0)


def test_lines_select_calls_first_received_there(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "l.jsonl"
    export_trace(run_dir, out, lines="12345")
    kinds = [(k, line) for _, k, c, line in _log(out) if c == 1]
    assert kinds == [("call.received", "12345"), ("call.answered", "12345"),
                     ("call.transferred", "12345")]
    export_trace(run_dir, out, lines="110")
    assert _log(out) == []


def test_no_orders_file_means_no_order_events(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [leg(1, 1.0)])
    out = tmp_path / "t.jsonl"
    export_trace(run, out)
    assert [k for _, k, _, _ in _log(out)] == ["call.received", "call.answered"]


def test_window_forms() -> None:
    assert parse_window("10h/10h10m") == (36000.0, 36600.0)
    assert parse_window("60/120") == (60.0, 120.0)
    with pytest.raises(InputError, match="START < END"):
        parse_window("2h/1h")
    with pytest.raises(InputError, match="--window"):
        parse_window("soon")


def _write_lines(path: Path, lines: list[object]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


HEADER = TraceHeader("s", 1, "2024-06-03T00:00:00").to_json()
EVENT = {"t": 1.0, "kind": "call.abandoned", "call_id": 1, "line": "110", "region": "620100",
         "category": "c1", "leg": 0}


@pytest.mark.parametrize(("lines", "line", "key", "message"), [
    ([{"format": "x"}], 1, "format", "header"),
    ([{**HEADER, "version": 9}], 1, "version", "unsupported version"),
    ([HEADER, {**EVENT, "kind": "call.lost"}], 2, "kind", "unknown kind"),
    ([HEADER, {k: v for k, v in EVENT.items() if k != "leg"}], 2, "leg", "missing field"),
    ([HEADER, EVENT, {**EVENT, "t": 0.5}], 3, "t", "sorted"),
    ([HEADER, {**EVENT, "t": "soon"}], 2, "t", "number"),
    ([HEADER, {**EVENT, "t": float("nan")}], 2, "t", "finite"),
    ([HEADER, {**EVENT, "t": float("inf")}], 2, "t", "finite"),
    ([HEADER, EVENT, {**EVENT, "t": 1e300}], 3, "t", "between 0 and"),
    ([HEADER, {**EVENT, "leg": float("-inf")}], 2, "leg", "finite"),
])
def test_bad_traces_name_line_and_field(tmp_path: Path, lines, line, key, message) -> None:
    path = _write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(InputError, match=message) as info:
        read_trace(path)
    assert (info.value.source, info.value.line, info.value.key) == (str(path), line, key)


def test_not_json_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(HEADER) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON") as info:
        read_trace(path)
    assert info.value.line == 2


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_trace(path, TraceHeader("s", 1, None, events=1), [EVENT])
    trace = read_trace(path)
    assert trace.events == [EVENT] and trace.header.scenario == "s"
    assert not list(tmp_path.glob(".*partial*"))
