"""``hotline loadtest`` end to end on loopback against the trivial endpoint (Locust children)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from loadtest.commands import loadtest
from loadtest.locust_run import LoadtestOptions, run_loadtest
from tests.loadtesting.conftest import call_events, make_trace

pytestmark = pytest.mark.timeout(120)


def _locust_count(out: Path) -> int:
    with open(out / "locust_stats.csv", encoding="utf-8") as fh:
        return int({r["Name"]: r for r in csv.DictReader(fh)}["Aggregated"]["Request Count"])


@pytest.mark.slow
def test_replay_passes_and_the_target_gets_exactly_the_scheduled_requests(trivial, tmp_path) -> None:
    trace = make_trace(tmp_path / "t.jsonl", call_events(100, rate=50))
    out = tmp_path / "out"
    code = run_loadtest(LoadtestOptions(trace=trace, host=trivial.url, speedup=2.0, out=out))
    verdict = json.loads((out / "slo.json").read_text())
    assert code == 0 and verdict["pass"] is True
    assert verdict["requests"]["scheduled"] == verdict["requests"]["sent"] == 200
    assert trivial.get("/_stats")["requests"] == 200 == _locust_count(out)
    assert (out / "locust.html").is_file() and verdict["latency_basis"] == "scheduled"


@pytest.mark.slow
def test_coordinated_omission_stall_is_seen_from_the_scheduled_time(tmp_path) -> None:
    """A 2 s stall with 5 requests in flight at most: ~400 sends fall behind, none is lost."""
    from loadtest.trivial import TrivialServer

    trace = make_trace(tmp_path / "t.jsonl", call_events(1200, rate=200, answered_after=None))
    slo = tmp_path / "slo.yaml"
    slo.write_text("requests:\n  call.create: {p99_ms: 500}\n", encoding="utf-8")
    out = tmp_path / "out"
    with TrivialServer("--stall-after", "300", "--stall-for", "2") as server:
        code = run_loadtest(LoadtestOptions(trace=trace, host=server.url, slo=slo, out=out,
                                            max_in_flight=5))
        received = server.get("/_stats")["requests"]
    verdict = json.loads((out / "slo.json").read_text())
    kind = verdict["kinds"]["call.create"]
    assert code == 1 and not verdict["pass"]
    assert kind["from_scheduled_ms"]["p99"] >= 1500
    assert kind["from_sent_ms"]["p99"] < kind["from_scheduled_ms"]["p99"] / 3
    assert verdict["requests"]["late"] > 200
    assert verdict["requests"]["sent"] == verdict["requests"]["scheduled"] == received == 1200
    failed = [c for c in verdict["checks"] if not c["passed"]]
    assert [c["target"] for c in failed] == ["call.create p99"]


@pytest.mark.slow
def test_two_worker_processes_send_the_same_requests_as_one(tmp_path) -> None:
    from loadtest.trivial import TrivialServer

    trace = make_trace(tmp_path / "t.jsonl", call_events(60, rate=40))
    slo = tmp_path / "slo.yaml"
    slo.write_text("error_rate: 0\n", encoding="utf-8")  # this test is about the requests
    logs = []
    for processes in (1, 2):
        with TrivialServer("--log") as server:
            code = run_loadtest(LoadtestOptions(trace=trace, host=server.url, speedup=2.0, slo=slo,
                                                processes=processes, out=tmp_path / f"o{processes}"))
            logs.append(Counter(map(tuple, server.get("/_log"))))
        assert code == 0
    assert logs[0] == logs[1] and sum(logs[0].values()) == 120
    verdict = json.loads((tmp_path / "o2" / "slo.json").read_text())
    assert verdict["requests"]["processes"] == 2


def _cli(args: list[str]):
    from cli import HotlineGroup

    group = HotlineGroup(commands={"loadtest": loadtest})
    return CliRunner().invoke(group, ["loadtest", *args])


@pytest.mark.parametrize(("trace_text", "profile_text", "message"), [
    ('{"format": "hotline-trace", "version": 1}\n{"t": 1}\n', None, "t.jsonl:2: kind"),
    (None, "events:\n  call.received: {method: GET, path: nope}\n",
     "p.yaml:2: events.call.received.path"),
    ('{"format": "hotline-trace", "version": 1}\n{"t": 0, "kind": "call.abandoned", '
     '"call_id": 1, "line": "12345", "region": "620100", "category": "c1", "leg": 0}\n'
     '{"t": NaN, "kind": "call.abandoned", "call_id": 2, "line": "12345", '
     '"region": "620100", "category": "c1", "leg": 0}\n', None, "t.jsonl:3: t: expected a finite"),
])
def test_malformed_trace_or_profile_exits_2_before_any_request(trivial, tmp_path, trace_text,
                                                                profile_text, message) -> None:
    trace = tmp_path / "t.jsonl"
    if trace_text:
        trace.write_text(trace_text, encoding="utf-8")
    else:
        make_trace(trace, call_events(3, rate=10))
    args = [str(trace), "--host", trivial.url, "--out", str(tmp_path / "out")]
    if profile_text:
        (tmp_path / "p.yaml").write_text(profile_text, encoding="utf-8")
        args += ["--profile", str(tmp_path / "p.yaml")]
    result = _cli(args)
    assert result.exit_code == 2 and message in result.output
    assert trivial.get("/_stats")["requests"] == 0
    assert not (tmp_path / "out" / "slo.json").exists()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:  # a port nothing listens on once this socket is closed
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_server_and_a_latency_only_slo_is_a_fail_for_errors(tmp_path) -> None:
    """Refused connections fail fast; they must not make a latency-only SLO pass."""
    trace = make_trace(tmp_path / "t.jsonl", call_events(30, rate=60, answered_after=None))
    slo = tmp_path / "slo.yaml"
    slo.write_text('requests:\n  "*": {p99_ms: 500}\n', encoding="utf-8")
    out = tmp_path / "out"
    result = _cli([str(trace), "--host", f"http://127.0.0.1:{_closed_port()}", "--slo", str(slo),
                   "--out", str(out)])
    verdict = json.loads((out / "slo.json").read_text())
    assert result.exit_code == 1 and verdict["pass"] is False
    assert verdict["reasons"] == ["errors"] and verdict["requests"]["failed"] == 30
    assert verdict["kinds"]["call.create"]["from_scheduled_ms"]["p99"] is None
