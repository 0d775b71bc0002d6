"""Endpoint profiles: templates, kept values, and errors with key paths before any traffic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.profile import load_profile
from loadtest.template import MissingValue, Scope, compile_template, render
from loadtest.trace import Trace, TraceHeader
from sim.domain.errors import InputError

RECEIVED = {"t": 0.0, "kind": "call.received", "call_id": 7, "line": "12345", "region": "620100",
            "category": "c1", "caller_id": 70, "attempt": 1, "channel": "voice", "priority": 1,
            "incident_id": -1}


def _scope(event: dict, kept: dict | None = None) -> Scope:
    def derived(name: str, ev: dict) -> object:
        raise MissingValue(name)
    return Scope(event, derived, kept or {})


def test_templates_keep_types_and_fill_text() -> None:
    tree = compile_template({"id": "{call_id}", "text": "call {call_id}", "s": "{call_id!s}",
                             "none": "{missing?}", "order": "{kept.order@order_id}",
                             "brace": "{{literal}}", "n": 3})
    scope = _scope({**RECEIVED, "order_id": 2}, {"order": {2: 99}})
    assert render(tree, scope) == {"id": 7, "text": "call 7", "s": "7", "none": None,
                                   "order": 99, "brace": "{literal}", "n": 3}
    with pytest.raises(MissingValue, match="nothing kept"):
        render(compile_template("{kept.call}"), _scope(RECEIVED))


def test_reference_profile_fills_every_kind() -> None:
    profile = load_profile()
    assert set(profile.requests) == {"call.received", "call.answered", "call.transferred",
                                     "call.abandoned", "order.created", "order.updated",
                                     "order.closed"}
    spec, = profile.specs("call.received")
    from datetime import datetime
    start = datetime.fromisoformat("2024-06-03T00:00:00+08:00")
    prepared = profile.prepare(spec, profile.scope({**RECEIVED, "t": 90.0}, {}, start))
    assert (prepared.method, prepared.path) == ("POST", "/v1/calls")
    assert prepared.headers["Authorization"] == "Bearer dev-12345"
    body = json.loads(prepared.body)
    assert body["external_id"] == "7" and body["caller"] == "70"
    assert body["received_at"] == "2024-06-03T00:01:30+08:00"
    assert [s.name for s in profile.specs("order.closed")] == ["order.update", "order.update", "order.close"]


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "key", "line", "message"), [
    ("events:\n  call.received:\n    method: FETCH\n    path: /x\n",
     "events.call.received.method", 3, "expected one of GET"),
    ("events:\n  call.received:\n    method: GET\n    path: x\n",
     "events.call.received.path", 4, "starting with /"),
    ("events:\n  call.lost: {method: GET, path: /x}\n", "events.call.lost", 2, "unknown event kind"),
    ("events:\n  call.received: {method: GET, path: /x, bodyy: 1}\n",
     "events.call.received.bodyy", 2, "unknown key"),
    ("events:\n  call.received: {method: GET, path: '/x/{kept.call}'}\n",
     "events.call.received", 2, "no request keeps 'call'"),
    ("events:\n  call.received:\n    - {method: GET, path: /x}\n    - {method: GET, path: '/{a b}'}\n",
     "events.call.received.1.path", 4, "bad placeholder"),
    ("headers: [1]\nevents:\n  call.received: {method: GET, path: /x}\n", "headers", 1, "mapping"),
    ("events: {call.received: [unclosed\n", None, None, "not valid YAML"),
])
def test_profile_errors_name_key_path_and_line(tmp_path: Path, text, key, line, message) -> None:
    path = _profile(tmp_path, text)
    with pytest.raises(InputError, match=message) as info:
        load_profile(path)
    assert info.value.source == str(path) and info.value.key == key
    if line is not None:
        assert info.value.line == line


def test_check_trace_names_the_trace_line_that_cannot_be_filled(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path, 'tokens: {"12345": a}\nheaders: {X-Token: "{token}"}\n'
                                    "events:\n  call.received: {method: GET, path: /x}\n"))
    event = {**RECEIVED, "line": "96777"}
    trace = Trace(TraceHeader("s", 1, "2024-06-03T00:00:00"), [RECEIVED, event], tmp_path / "t.jsonl")
    with pytest.raises(InputError, match="no token for line 96777") as info:
        profile.check_trace(trace)
    assert info.value.line == 3
    assert profile.check_trace(Trace(trace.header, [RECEIVED])) == 1
    reference = load_profile()  # the reference profile leaves lines the server lacks out
    assert reference.count([RECEIVED, event]) == 1 and reference.check_trace(trace) == 1


def test_when_selects_events_by_field(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path, "events:\n  call.received:\n"
                                    "    - {method: GET, path: /a, when: {line: [110, null]}}\n"
                                    "    - {method: GET, path: /b}\n"))
    assert [s.path.value for s in profile.specs_for({**RECEIVED, "line": "110"})] == ["/a", "/b"]
    assert [s.path.value for s in profile.specs_for(RECEIVED)] == ["/b"]
