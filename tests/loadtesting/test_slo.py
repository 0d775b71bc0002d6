"""SLO files and the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.results import Recorder, merge
from loadtest.slo import evaluate, format_verdict, load_slo, verdict_document
from sim.errors import InputError


def _totals(latencies_s: list[float], failed: int = 0, not_sent: int = 0):
    rec = Recorder(late_after=0.01)
    rec.schedule(len(latencies_s) + not_sent)
    for i, lat in enumerate(latencies_s):
        due = i * 0.01
        rec.send_lag(0.001)
        rec.done("order.create", due, due + 0.001, due + lat, "HTTP 500" if i < failed else None)
    for _ in range(not_sent):
        rec.skipped("order.create", "nothing kept")
    return merge([rec.summary(0.0, (len(latencies_s) - 1) * 0.01)])


def _slo(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "slo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_verdict_passes_and_fails_on_percentiles(tmp_path: Path) -> None:
    slo = load_slo(_slo(tmp_path, "requests:\n  order.create: {p50_ms: 20, p99_ms: 500}\n"
                                  "error_rate: 0.05\nachieved_rate: 0.9\nschedule_lag: {p99_ms: 5}\n"))
    ok = evaluate(slo, _totals([0.010] * 99 + [0.300]))
    assert all(c.passed for c in ok)
    bad = evaluate(slo, _totals([0.010] * 98 + [2.0, 2.0]))
    assert [c.target for c in bad if not c.passed] == ["order.create p99"]
    doc = verdict_document(slo, _totals([0.010] * 98 + [2.0, 2.0]), bad)
    assert doc["pass"] is False and doc["latency_basis"] == "scheduled"
    assert "FAIL" in format_verdict(doc) and "HdrHistogram" in format_verdict(doc)


def test_unsent_requests_count_as_errors_and_are_accounted(tmp_path: Path) -> None:
    slo = load_slo(_slo(tmp_path, "error_rate: 0.01\n"))
    checks = evaluate(slo, _totals([0.01] * 10, not_sent=5))
    assert {c.target: c.passed for c in checks} == {
        "error rate": False, "every scheduled request sent or counted": True}


@pytest.mark.parametrize(("text", "key", "message"), [
    ("requests:\n  order.creat: {p99_ms: 1}\n", "requests.order.creat", "no request of the profile"),
    ("requests:\n  '*': {p98_ms: 1}\n", "requests.*.p98_ms", "unknown key"),
    ("error_rate: 2\n", "error_rate", "between 0 and 1"),
    ("latency: wall\n", "latency", "scheduled"),
    ("schedule_lag: {p99_ms: -1}\n", "schedule_lag.p99_ms", "between 0"),
])
def test_slo_errors_name_the_key(tmp_path: Path, text, key, message) -> None:
    with pytest.raises(InputError, match=message) as info:
        load_slo(_slo(tmp_path, text), ["order.create"])
    assert info.value.key == key and info.value.line == 1 + (text.count("\n") > 1)


def test_default_slo_loads() -> None:
    assert load_slo().latency == "scheduled"
