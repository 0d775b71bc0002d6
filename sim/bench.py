"""``hotline bench core``: callers simulated per second, hotline-sim against plain SimPy.

Both run the same Erlang-A model (n = 50 seats, λ = 45 calls/min, mean talk 1 min, mean
patience 2 min) in the same process, one after the other, so the ratio is meaningful on a
shared, noisy machine. The plain version is the idiomatic SimPy program: a generator process
per caller, a ``Resource`` request raced against a patience timeout with ``|``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import simpy

from sim import erlang
from sim.calls import ABANDONED
from sim.network import simulate
from sim.scenario.schema import Scenario
from sim.streams import replication_seeds

SERVERS, RATE_PER_MIN, TALK_MIN, PATIENCE_MIN = 50, 45.0, 1.0, 2.0


@dataclass(frozen=True)
class BenchResult:
    """Throughput and accuracy of one implementation."""

    name: str
    callers: int
    seconds: float
    p_abandon: float
    p_wait: float

    @property
    def rate(self) -> float:
        """Callers simulated per second of wall time."""
        return self.callers / self.seconds


def erlang_a_scenario(callers: int, seed: int = 1) -> Scenario:
    """The benchmark model as a hotline-sim scenario (about ``callers`` arrivals)."""
    minutes = callers / RATE_PER_MIN
    return Scenario.model_validate({
        "name": "bench-erlang-a", "seed": seed, "horizon_hours": minutes / 60.0,
        "drain_hours": 0, "replications": 1,
        "lines": {"110": {"talk": {"dist": "exponential", "mean": TALK_MIN * 60},
                          "patience": {"dist": "exponential", "mean": PATIENCE_MIN * 60}}},
        "centres": {"620100/110": {"calls_per_day": RATE_PER_MIN * 1440, "seats": SERVERS}},
    })


def run_hotline(callers: int, seed: int = 1) -> BenchResult:
    """hotline-sim on the benchmark model."""
    scenario = erlang_a_scenario(callers, seed)
    seq = replication_seeds(scenario.seed, 1)[0]
    t0 = time.perf_counter()
    result = simulate(scenario, seq)
    seconds = time.perf_counter() - t0
    rec = np.array([(r[9], r[10], r[14]) for r in result.records])
    abandoned = rec[:, 2] == ABANDONED
    waited = abandoned | (rec[:, 1] > rec[:, 0])
    return BenchResult("hotline-sim", len(rec), seconds, float(abandoned.mean()),
                       float(waited.mean()))


def run_plain_simpy(callers: int, seed: int = 1) -> BenchResult:
    """The same model as idiomatic SimPy: a process per caller, request | patience timeout."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    seats = simpy.Resource(env, SERVERS)
    counts = {"abandoned": 0, "waited": 0}

    def caller(env: simpy.Environment):
        arrived = env.now
        with seats.request() as request:
            outcome = yield request | env.timeout(rng.exponential(PATIENCE_MIN))
            if request in outcome:
                counts["waited"] += env.now > arrived
                yield env.timeout(rng.exponential(TALK_MIN))
            else:
                counts["abandoned"] += 1
                counts["waited"] += 1

    def source(env: simpy.Environment):
        for _ in range(callers):
            yield env.timeout(rng.exponential(1.0 / RATE_PER_MIN))
            env.process(caller(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - t0
    return BenchResult("plain SimPy", callers, seconds, counts["abandoned"] / callers,
                       counts["waited"] / callers)


def bench_core(callers: int = 1_000_000) -> tuple[list[BenchResult], str]:
    """Run both implementations; return the results and the printed report."""
    ours = run_hotline(callers)
    plain = run_plain_simpy(callers)
    exact = erlang.erlang_a(SERVERS, RATE_PER_MIN, TALK_MIN, PATIENCE_MIN)
    lines = [
        f"Erlang-A model: n={SERVERS}, λ={RATE_PER_MIN:g}/min, talk {TALK_MIN:g} min, "
        f"patience {PATIENCE_MIN:g} min; about {callers:,} callers each",
        f"{'implementation':<14}{'callers':>11}{'seconds':>9}{'callers/s':>11}"
        f"{'P(abandon)':>12}{'P(wait>0)':>11}",
    ]
    for r in (ours, plain):
        lines.append(f"{r.name:<14}{r.callers:>11,}{r.seconds:>9.2f}{r.rate:>11,.0f}"
                     f"{r.p_abandon:>12.6f}{r.p_wait:>11.6f}")
    lines.append(f"{'Erlang A':<14}{'':>11}{'':>9}{'':>11}{exact.p_abandon:>12.6f}"
                 f"{exact.p_wait:>11.6f}")
    ratio = ours.rate / plain.rate
    ok_ab = abs(ours.p_abandon - exact.p_abandon) <= 0.0015
    ok_wait = abs(ours.p_wait - exact.p_wait) <= 0.015
    lines.append(f"ratio hotline-sim / plain SimPy: {ratio:.2f} (target ≥ 3: "
                 f"{'met' if ratio >= 3 else 'MISSED'}); accuracy: P(abandon) "
                 f"{'within' if ok_ab else 'OUTSIDE'} 0.0015, P(wait>0) "
                 f"{'within' if ok_wait else 'OUTSIDE'} 0.015 of Erlang A")
    return [ours, plain], "\n".join(lines)
