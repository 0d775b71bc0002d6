"""The benchmarks' own models are right (so their ratios compare like with like), and each
bench command runs and reports what it promises."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.bench.core import (
    PATIENCE_MIN,
    RATE_PER_MIN,
    SERVERS,
    TALK_MIN,
    run_heapq_floor,
    run_plain_simpy,
)
from sim.queueing import erlang

EXACT = erlang.erlang_a(SERVERS, RATE_PER_MIN, TALK_MIN, PATIENCE_MIN)


def _inside_99(values: list[float], exact: float) -> bool:
    """Is ``exact`` inside the 99 % Student-t interval of the replications' mean?"""
    v = np.asarray(values)
    half = stats.t.ppf(0.995, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return abs(v.mean() - exact) <= half


@pytest.mark.parametrize("impl, reps, callers", [
    (run_heapq_floor, 10, 30_000),
    pytest.param(run_plain_simpy, 6, 30_000, marks=pytest.mark.slow),
])
def test_benchmark_models_agree_with_erlang_a(impl, reps, callers):
    runs = [impl(callers, seed) for seed in range(1, reps + 1)]
    assert _inside_99([r.p_abandon for r in runs], EXACT.p_abandon)
    assert _inside_99([r.p_wait for r in runs], EXACT.p_wait)
    assert all(r.callers == callers and r.seconds > 0 for r in runs)


def test_bench_core_reports_both_ratios(cli):
    result = cli("bench", "core", "--callers", "5000")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "plain SimPy" in out and "heapq loop" in out and "Erlang A" in out
    assert "hotline-sim / plain SimPy" in out and "hotline-sim / heapq loop" in out
    assert "reproduce: hotline bench core --callers 5000 --rounds 5" in out
    assert "by round" in out


@pytest.mark.slow
def test_bench_model_splits_the_replication(cli):
    result = cli("bench", "model", "--set", "horizon_hours=3", "--set", "drain_hours=1",
                 "--callers", "5000")
    assert result.exit_code == 0, result.output
    for word in ("simulate", "summarise", "write", "legs/s", "callers/s",
                 "ratio whole model / fast path", "peak memory"):
        assert word in result.output
    assert "targets apply to the baseline week" in result.output and ": met" not in result.output


def test_bench_model_verdicts_only_for_the_baseline_week():
    from sim.bench.model import ModelTimings, format_model, is_reference
    from sim.experiments.runner import prepare

    assert is_reference(prepare("gansu-baseline"))
    assert is_reference(prepare("gansu-baseline", replications=1))
    assert not is_reference(prepare("gansu-baseline", ("horizon_hours=6",)))
    assert not is_reference(prepare("flood"))
    m = ModelTimings("x", 1000, 1.0, 0.1, 0.1, 100.0)
    baseline, other = format_model(m, 5000.0, 5000), format_model(m, 5000.0, 5000, False)
    assert baseline.count(": met") + baseline.count(": MISSED") == 3
    assert "met" not in other and "MISSED" not in other
    assert "(targets apply to the baseline week" in other


def test_bench_model_bad_override_is_exit_2(cli):
    result = cli("bench", "model", "--set", "horizon_hours=soon")
    assert result.exit_code == 2
    assert "horizon_hours" in result.output


@pytest.mark.slow
def test_bench_cluster_times_one_and_two_workers(cli):
    pytest.importorskip("distributed")
    result = cli("bench", "cluster", "--set", "horizon_hours=2", "--set", "drain_hours=1",
                 "-r", "2", "--rounds", "1")
    assert result.exit_code == 0, result.output
    assert "speed-up 2 workers / 1 worker" in result.output
    assert "the machine's ceiling, a plain pool of 1 and of 2 processes" in result.output
