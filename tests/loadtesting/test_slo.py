"""SLO files and the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.results import Recorder, merge
from loadtest.slo import evaluate, format_verdict, load_slo, verdict_document
from sim.domain.errors import InputError


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
        "error rate": False, "requests scheduled": True,
        "every scheduled request sent or counted": True}


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


def test_failed_requests_are_not_latency_samples_and_a_latency_only_slo_fails(tmp_path) -> None:
    """Every request failed fast (nothing listens): no latency sample, verdict FAIL (errors)."""
    slo = load_slo(_slo(tmp_path, 'requests:\n  "*": {p99_ms: 500}\n'))
    totals = _totals([0.005] * 300, failed=300)
    assert totals.kinds["order.create"].percentile_ms("scheduled", 99) is None
    checks = evaluate(slo, totals)
    doc = verdict_document(slo, totals, checks)
    assert doc["pass"] is False and doc["reasons"] == ["errors"]
    rows = {c.target: c for c in checks}
    assert not rows["order.create p99"].passed and rows["order.create p99"].reason == "errors"
    assert "all 300 failed" in rows["order.create p99"].measured
    assert rows["error rate"].limit == "<= 0" and not rows["error rate"].passed
    text = format_verdict(doc)
    assert "PASS" not in text and "FAIL 未通过 (errors)" in text.splitlines()[-1]


def test_a_few_failures_allowed_by_the_slo_are_named_on_the_latency_row(tmp_path) -> None:
    slo = load_slo(_slo(tmp_path, 'requests:\n  "*": {p99_ms: 500}\nerror_rate: 0.05\n'))
    totals = _totals([0.010] * 100, failed=2)
    rows = {c.target: c for c in evaluate(slo, totals)}
    assert rows["order.create p99"].passed and "2 failed" in rows["order.create p99"].note
    assert rows["error rate"].passed
    strict = load_slo(_slo(tmp_path, 'requests:\n  "*": {p99_ms: 500}\nerror_rate: 0.01\n'))
    rows = {c.target: c for c in evaluate(strict, totals)}
    assert not rows["order.create p99"].passed and rows["order.create p99"].reason == "errors"


def test_a_failed_slow_request_does_not_raise_the_percentiles(tmp_path) -> None:
    slo = load_slo(_slo(tmp_path, 'requests:\n  "*": {p50_ms: 20}\nerror_rate: 0.5\n'))
    # the first 40 of 100 requests fail after 2 s (timeouts); the 60 others take 10 ms
    totals = _totals([2.0] * 40 + [0.010] * 60, failed=40)
    assert totals.kinds["order.create"].percentile_ms("scheduled", 100) < 0.02 * 1000
    assert {c.target: c.passed for c in evaluate(slo, totals)}["order.create p50"]


def test_no_error_rate_in_the_slo_means_none_allowed(tmp_path) -> None:
    slo = load_slo(_slo(tmp_path, 'requests:\n  "*": {p99_ms: 500}\n'))
    rows = {c.target: c for c in evaluate(slo, _totals([0.01] * 50))}
    assert rows["error rate"].passed and "implicit" in rows["error rate"].note
    rows = {c.target: c for c in evaluate(slo, _totals([0.01] * 50, not_sent=1))}
    assert not rows["error rate"].passed


def test_a_replay_that_schedules_nothing_never_passes(tmp_path):
    from loadtest.results import Totals
    from loadtest.slo import evaluate, failure_reasons, load_slo

    path = tmp_path / "lat.yaml"
    path.write_text('requests:\n  "*": {p99_ms: 500}\n', encoding="utf-8")
    slo = load_slo(path)
    checks = evaluate(slo, Totals())
    assert not all(c.passed for c in checks)
    assert "no requests" in failure_reasons(checks)
