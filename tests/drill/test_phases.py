"""The facilitator timeline from the run's time series."""

from __future__ import annotations

from sim.drill.phases import classify, timeline
from sim.drill.traffic import Interval

STEP = 900.0


def series(offered: list[float], borrowed: list[float] | None = None) -> list[Interval]:
    borrowed = borrowed or [0.0] * len(offered)
    return [Interval(i * STEP, o, b) for i, (o, b) in enumerate(zip(offered, borrowed, strict=True))]


def test_without_a_surge_there_is_one_normal_phase():
    phases = timeline(series([10, 12, 11, 13, 10, 9, 12, 11]), start=900, duration=5400)
    assert [(p.phase, p.start_s, p.end_s) for p in phases] == [("normal", 0, 5400)]


def test_normal_surge_remote_seats_recovery():
    offered = [10, 10, 10, 10, 40, 40, 40, 40, 12, 10, 10, 10]
    borrowed = [0, 0, 0, 0, 0, 0, 5, 5, 5, 0, 0, 0]
    assert classify(series(offered, borrowed)) == [
        "normal"] * 4 + ["surge", "surge", "remote_seats", "remote_seats", "recovery"] + ["normal"] * 3
    phases = timeline(series(offered, borrowed), start=2700, duration=6 * STEP)
    assert [(p.phase, p.start_s, p.end_s) for p in phases] == [
        ("normal", 0, 900), ("surge", 900, 2700), ("remote_seats", 2700, 4500),
        ("recovery", 4500, 5400)]
    assert phases[1].offered_per_hour == 160.0 and phases[2].borrowed == 5.0


def test_empty_series_is_normal():
    assert [p.phase for p in timeline([], 0, 3600)] == ["normal"]


def test_surge_against_the_scenarios_normal_level_not_the_daily_peak():
    # a daily peak: offered doubles, and so does the normal level → no surge
    peak = [Interval(i * STEP, 100.0 * (1 + (i >= 4)), 0.0, 100.0 * (1 + (i >= 4)), 0.0)
            for i in range(8)]
    assert set(classify(peak)) == {"normal"}
    # one centre surges (excess 60 calls over a network normal of 200) → surge, then recovery
    local = [Interval(i * STEP, 200.0 + (60.0 if i in (3, 4) else 0.0), 0.0, 200.0,
                      60.0 if i in (3, 4) else 0.0) for i in range(8)]
    assert classify(local) == ["normal"] * 3 + ["surge", "surge", "recovery"] + ["normal"] * 2


def test_a_scripted_burst_in_a_real_run_is_a_surge(built):
    import json

    doc = json.loads((built / "answers.json").read_text(encoding="utf-8"))
    phases = [p["phase"] for p in doc["phases"]]
    assert phases[0] == "normal" and "surge" in phases
    assert doc["meta"]["window_start_s"] == 5400 - 3600 / 6   # lead-in before the surge
