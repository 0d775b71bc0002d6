"""``hotline bench core``: callers simulated per second, hotline-sim against plain SimPy and
against a hand-written event loop.

All three run the same Erlang-A model (n = 50 seats, λ = 45 calls/min, mean talk 1 min, mean
patience 2 min) in the same process, one after the other, so the ratios are meaningful on a
shared, noisy machine. The baseline is the idiomatic SimPy program, drawn as SimPy's own
examples draw it (the bank-renege example): a generator process per caller, a ``Resource``
request raced against a patience timeout with ``|``, times from ``random.expovariate``. The
floor is a plain ``heapq`` loop of about 40 lines (``run_heapq_floor``): what pure Python costs
with no simulation framework at all.
"""

from __future__ import annotations

import heapq
import os
import random
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from sim.domain.streams import replication_seeds
from sim.model.calls import ABANDONED
from sim.model.network import simulate
from sim.model.record import FIELD
from sim.queueing import erlang
from sim.scenario.schema import Scenario

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
    cols = FIELD["arrival"], FIELD["answered"], FIELD["outcome"]
    rec = np.array([[r[c] for c in cols] for r in result.records])
    abandoned = rec[:, 2] == ABANDONED
    waited = abandoned | (rec[:, 1] > rec[:, 0])
    return BenchResult("hotline-sim", len(rec), seconds, float(abandoned.mean()),
                       float(waited.mean()))


def run_plain_simpy(callers: int, seed: int = 1) -> BenchResult:
    """The same model as idiomatic SimPy: a process per caller, request | patience timeout."""
    rng = random.Random(seed)
    env = simpy.Environment()
    seats = simpy.Resource(env, SERVERS)
    counts = {"abandoned": 0, "waited": 0}

    def caller(env: simpy.Environment):
        arrived = env.now
        with seats.request() as request:
            outcome = yield request | env.timeout(rng.expovariate(1.0 / PATIENCE_MIN))
            if request in outcome:
                counts["waited"] += env.now > arrived
                yield env.timeout(rng.expovariate(1.0 / TALK_MIN))
            else:
                counts["abandoned"] += 1
                counts["waited"] += 1

    def source(env: simpy.Environment):
        for _ in range(callers):
            yield env.timeout(rng.expovariate(RATE_PER_MIN))
            env.process(caller(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - t0
    return BenchResult("plain SimPy", callers, seconds, counts["abandoned"] / callers,
                       counts["waited"] / callers)


def run_heapq_floor(callers: int, seed: int = 1) -> BenchResult:
    """The same model as a bare discrete-event loop: one heap of (time, sequence, kind, caller).

    Arrivals, seat releases and patience deadlines are events, as in any event-scheduling
    simulator; a caller answered before their deadline leaves a stale deadline event that is
    skipped when it comes up (lazy cancellation). No framework, no records: the floor of what
    an event loop costs in pure Python.
    """
    rng = random.Random(seed)
    expo, push, pop = rng.expovariate, heapq.heappush, heapq.heappop
    arrive, release, renege = 0, 1, 2
    heap: list[tuple[float, int, int, int]] = [(expo(RATE_PER_MIN), 0, arrive, 0)]
    queue: deque[int] = deque()  # waiting callers, first come first served
    waiting: set[int] = set()
    free, seq, arrived, abandoned, waited = SERVERS, 1, 0, 0, 0
    t0 = time.perf_counter()
    while heap:
        now, _, kind, caller = pop(heap)
        if kind == arrive:
            arrived += 1
            if arrived < callers:
                push(heap, (now + expo(RATE_PER_MIN), seq, arrive, arrived))
                seq += 1
            if free:
                free -= 1
                push(heap, (now + expo(1.0 / TALK_MIN), seq, release, caller))
            else:
                waited += 1
                queue.append(caller)
                waiting.add(caller)
                push(heap, (now + expo(1.0 / PATIENCE_MIN), seq, renege, caller))
            seq += 1
        elif kind == release:
            while queue and queue[0] not in waiting:  # reneged while queued
                queue.popleft()
            if queue:
                served = queue.popleft()
                waiting.discard(served)
                push(heap, (now + expo(1.0 / TALK_MIN), seq, release, served))
                seq += 1
            else:
                free += 1
        elif caller in waiting:  # a patience deadline that is not stale
            waiting.discard(caller)
            abandoned += 1
    seconds = time.perf_counter() - t0
    return BenchResult("heapq loop", callers, seconds, abandoned / callers, waited / callers)


CORE_TARGET = 6.0  # issue 16: the fast path at least 6 × idiomatic SimPy
TOLERANCE = {"p_abandon": 0.0015, "p_wait": 0.015}  # about 10 % and 5 % of Erlang A's values


IMPLEMENTATIONS = (run_hotline, run_plain_simpy, run_heapq_floor)


def interleaved(callers: int, rounds: int) -> tuple[list[BenchResult], list[float]]:
    """Run the implementations in ``rounds`` alternating rounds of ``callers / rounds`` callers
    (round ``r`` seeded ``r + 1``), so a change of load on a shared machine hits all of them;
    return their totals and the hotline-sim / SimPy ratio of each round."""
    per_round = [[run(max(1, callers // rounds), seed) for run in IMPLEMENTATIONS]
                 for seed in range(1, rounds + 1)]
    totals = []
    for runs in zip(*per_round, strict=True):
        n = sum(r.callers for r in runs)
        totals.append(BenchResult(runs[0].name, n, sum(r.seconds for r in runs),
                                  sum(r.p_abandon * r.callers for r in runs) / n,
                                  sum(r.p_wait * r.callers for r in runs) / n))
    return totals, [ours.rate / plain.rate for ours, plain, _ in per_round]


def bench_core(callers: int = 1_000_000, rounds: int = 5) -> tuple[list[BenchResult], str]:
    """Run the three implementations (interleaved rounds); return the results and the report."""
    results, round_ratios = interleaved(callers, rounds)
    exact = erlang.erlang_a(SERVERS, RATE_PER_MIN, TALK_MIN, PATIENCE_MIN)
    lines = [
        f"Erlang-A model: n={SERVERS}, λ={RATE_PER_MIN:g}/min, talk {TALK_MIN:g} min, "
        f"patience {PATIENCE_MIN:g} min; about {callers:,} callers each, in {rounds} "
        f"interleaved rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        f"{'implementation':<14}{'callers':>11}{'seconds':>9}{'callers/s':>11}"
        f"{'P(abandon)':>12}{'P(wait>0)':>11}  accuracy",
    ]
    for r in results:
        ok = (abs(r.p_abandon - exact.p_abandon) <= TOLERANCE["p_abandon"]
              and abs(r.p_wait - exact.p_wait) <= TOLERANCE["p_wait"])
        lines.append(f"{r.name:<14}{r.callers:>11,}{r.seconds:>9.2f}{r.rate:>11,.0f}"
                     f"{r.p_abandon:>12.6f}{r.p_wait:>11.6f}  {'ok' if ok else 'OUTSIDE'}")
    lines.append(f"{'Erlang A':<14}{'':>11}{'':>9}{'':>11}{exact.p_abandon:>12.6f}"
                 f"{exact.p_wait:>11.6f}")
    ours, plain, floor = results
    ratio = ours.rate / plain.rate
    lines.append(f"ratio hotline-sim / plain SimPy: {ratio:.2f} (target ≥ {CORE_TARGET:g}: "
                 f"{'met' if ratio >= CORE_TARGET else 'MISSED'}); hotline-sim / heapq loop: "
                 f"{ours.rate / floor.rate:.2f}; plain SimPy / heapq loop: "
                 f"{plain.rate / floor.rate:.2f}")
    lines.append(f"hotline-sim / plain SimPy by round: "
                 f"{', '.join(f'{r:.2f}' for r in round_ratios)}")
    lines.append(f"accuracy: within {TOLERANCE['p_abandon']} (P(abandon)) and "
                 f"{TOLERANCE['p_wait']} (P(wait>0)) of Erlang A")
    return results, "\n".join(lines)
