"""``hotline bench server`` reports each target's median round, its spread, and the verdict
on the medians (not the best round)."""

from __future__ import annotations

from typing import Any

import pytest

import loadtest.bench as bench


def _search(target: str, rate: float) -> dict[str, Any]:
    kinds = {"order.create": {"p50_ms": rate / 1000, "p99_ms": 2.0},
             "order.update": {"p50_ms": 1.0, "p99_ms": 3.0}}
    return {"target": target, "rate": rate, "best": {"rate": rate, "kinds": kinds},
            "trials": [{"rate": rate}]}


def test_summary_is_the_median_round_with_its_spread() -> None:
    row = bench.summarise_rounds("t", [_search("t", r) for r in (900.0, 300.0, 500.0)])
    assert (row["rate"], row["low"], row["high"]) == (500.0, 300.0, 900.0)
    assert row["best"]["rate"] == 500.0  # the latencies shown are the median round's
    assert [t["rate"] for t in row["trials"]] == [900.0, 300.0, 500.0]


def test_even_rounds_take_the_mean_of_the_middle_two() -> None:
    row = bench.summarise_rounds("t", [_search("t", r) for r in (400.0, 100.0, 300.0, 900.0)])
    assert row["rate"] == 350.0 and (row["low"], row["high"]) == (100.0, 900.0)


def test_verdict_and_ratio_are_on_the_medians(monkeypatch: pytest.MonkeyPatch) -> None:
    # One lucky server round (best of rounds would say 0.6) must not pass the target.
    plan = iter([(1000.0, 300.0), (1000.0, 600.0), (1000.0, 350.0)])

    def fake_round(_s: float, _db: str | None, _w: int) -> list[dict[str, Any]]:
        trivial, server = next(plan)
        return [_search("trivial endpoint", trivial),
                _search("reference server, 1 worker", server)]

    monkeypatch.setattr(bench, "_round", fake_round)
    lines: list[str] = []
    result = bench.bench_server(rounds=3, echo=lines.append)
    assert result["ratio"] == pytest.approx(0.35)
    assert result["ratio_rounds"] == pytest.approx([0.3, 0.6, 0.35])
    out = "\n".join(lines)
    assert "median of 3 alternating rounds" in out
    assert "300-600" in out and "1000-1000" in out
    assert "0.35 (medians; rounds: 0.30, 0.60, 0.35); misses the target >= 0.5" in out
