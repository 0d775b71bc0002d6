"""Three-way calls (三方通话, S4) from the simulator through the trace to the reference server.

A tiny deterministic network forces every call into a three-way call; with no agreement the
call comes back to the first receiver (a return leg), which the trace must show as a transfer
back so that the platform knows the leg the return leg's answer belongs to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from loadtest.commands import trace
from loadtest.export import call_events
from loadtest.locust_run import LoadtestOptions, run_loadtest
from loadtest.trace import read_trace
from sim.domain.taxonomy import category_codes
from tests.loadtesting.records import leg

pytestmark = pytest.mark.timeout(180)

CODE = sorted(category_codes())[0]  # a code the reference server knows, with these semantics
DIVERSION_LIST = f"""\
categories:
  - {{code: {CODE}, zh: 不清, en: unclear, items: [x], owner: "110", kind: help,
     urgency: normal, handling: police_order, transfer_mode: one_key, scope_unclear: 1.0,
     department: 派出所}}
mix:
  "12345": {{{CODE}: 1.0}}
"""


def _scenario(tmp_path: Path, agreement: float) -> Path:
    (tmp_path / "list.yaml").write_text(DIVERSION_LIST, encoding="utf-8")
    path = tmp_path / "three-way.yaml"
    path.write_text(f"""
name: three-way
horizon_hours: 1
drain_hours: 0
replications: 1
lines:
  "12345": {{talk: {{dist: deterministic, value: 100}}}}
  "110": {{talk: {{dist: deterministic, value: 50}}}}
centres:
  "620100/12345": {{seats: 1, arrival_times: [0, 600, 1200]}}
  "620100/110": {{seats: 1, arrival_times: [300, 900]}}
linkage:
  diversion_list: {tmp_path / 'list.yaml'}
  mix: {{"12345": {{{CODE}: 1}}, "110": {{{CODE}: 1}}}}
  accuracy: {{default: 1.0}}
  three_way: {{negotiation: {{dist: deterministic, value: 30}}, agreement: {agreement}}}
  orders: {{sign_delay: {{dist: deterministic, value: 60}},
            processing: {{dist: deterministic, value: 600}},
            police_processing: {{dist: deterministic, value: 600}}, reopen: 0}}
""", encoding="utf-8")
    return path


def _reached_before_each_event(events: list[dict]) -> None:
    """Every answer or abandonment is of a leg the platform was given by receipt or transfer."""
    open_legs: dict[tuple, int] = {}
    for e in events:
        key = (e["call_id"], e["line"])
        if e["kind"] == "call.received":
            open_legs[key] = open_legs.get(key, 0) + 1
        elif e["kind"] == "call.transferred":
            target = (e["call_id"], e["to_line"])
            open_legs[target] = open_legs.get(target, 0) + 1
        elif e["kind"] in ("call.answered", "call.abandoned"):
            assert open_legs.get(key, 0) > 0, e
            open_legs[key] -= 1


def test_a_returned_three_way_leg_is_followed_by_a_transfer_back() -> None:
    legs = [leg(1, 0.0, disposition="transfer", to_line="110"),
            leg(1, 100.0, leg=1, line="110", transfer_mode="three_way", disposition="returned"),
            leg(1, 130.0, leg=2, line="12345", transfer_mode="three_way",
                disposition="work_order")]
    kinds = [(e["t"], e["kind"], e["line"], e.get("to_line"), e.get("mode"))
             for e in call_events(legs)]
    assert kinds == [
        (0.0, "call.received", "12345", None, None), (5.0, "call.answered", "12345", None, None),
        (100.0, "call.transferred", "12345", "110", "three_way"),
        (105.0, "call.answered", "110", None, None),
        (130.0, "call.transferred", "110", "12345", "three_way"),  # the return
        (135.0, "call.answered", "12345", None, None),
    ]


def test_a_receiver_that_did_not_join_hands_the_call_back_and_new_columns_are_ignored() -> None:
    extra = {"hold_end": "", "negotiation_end": "", "deadline": "150.0"}
    legs = [leg(1, 0.0, disposition="transfer", to_line="110", **extra),
            leg(1, 100.0, "not_joined", leg=1, line="110", transfer_mode="three_way",
                ended=120.0, **extra),
            leg(1, 120.0, leg=2, line="12345", transfer_mode="three_way", **extra)]
    events = call_events(legs)
    assert [(e["kind"], e["line"]) for e in events] == [
        ("call.received", "12345"), ("call.answered", "12345"),
        ("call.transferred", "12345"), ("call.transferred", "110"),
        ("call.answered", "12345")]
    _reached_before_each_event(events)


@pytest.mark.slow
@pytest.mark.parametrize("agreement", [0.0, 1.0])
def test_forced_three_way_calls_replay_with_no_error(tmp_path: Path, agreement: float) -> None:
    from loadtest.server.process import start_server

    out = tmp_path / "trace.jsonl"
    result = CliRunner().invoke(trace, [str(_scenario(tmp_path, agreement)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    events = read_trace(out).events
    modes = [e["mode"] for e in events if e["kind"] == "call.transferred"]
    assert modes.count("three_way") >= 5  # every call: out, and back when there is no agreement
    if agreement == 0.0:
        assert any(e["kind"] == "call.transferred" and e["to_line"] == "12345" for e in events)
    _reached_before_each_event(events)
    slo = tmp_path / "slo.yaml"
    slo.write_text('requests:\n  "*": {p99_ms: 60000}\n', encoding="utf-8")
    with start_server(tmp_path / "server.db") as server:
        code = run_loadtest(LoadtestOptions(trace=out, host=server.url, speedup=200.0, slo=slo,
                                            out=tmp_path / "out"))
    verdict = json.loads((tmp_path / "out" / "slo.json").read_text())
    assert verdict["requests"]["failed"] == 0, verdict["errors"]
    assert code == 0 and verdict["requests"]["sent"] == verdict["requests"]["scheduled"]
