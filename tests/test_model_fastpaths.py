"""The model's hot paths keep their plain definitions: keyed draws inlined, orders' own timers."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sim.domain.draws import (
    CLASSIFY,
    GOLDEN,
    MASK,
    SALT,
    TALK_ON,
    mix64,
    uniform,
    uniform_array,
)
from sim.domain.streams import Streams
from sim.model.events import Callback
from sim.model.linkage.orders import OrderSystem
from sim.model.loop import ModelEnvironment
from sim.scenario.linkage import Orders


def test_uniform_is_mix64_of_the_salted_key():
    rng = random.Random(7)
    for _ in range(20_000):
        key, slot = rng.getrandbits(64), rng.randrange(1, TALK_ON + 1)
        assert uniform(key, slot) == (mix64(key ^ (slot * GOLDEN & MASK)) >> 11) * 2.0**-53
    assert SALT[CLASSIFY] == CLASSIFY * GOLDEN & MASK


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_uniform_array_is_uniform_for_every_key(dtype):
    """The numpy form gives the very floats of the scalar one (feed keys: int64 >= 0)."""
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 1 << 63, 5000, dtype=np.int64).astype(dtype)
    if dtype == np.uint64:
        keys[:100] |= np.uint64(1 << 63)  # (the top bit set: keys mixed by redial_key)
    for slot in range(1, TALK_ON + 1):
        got = uniform_array(keys, slot)
        assert got.dtype == np.float64
        assert got.tolist() == [uniform(int(k), slot) for k in keys.tolist()]


class _Watched(OrderSystem):
    """An order system that notes the time of every processing step it runs."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.worked: list[float] = []

    def _worked(self, order_id: int) -> None:
        self.worked.append(self.env.now)
        super()._worked(order_id)


def _run_orders(end: float, capacity: int = 200
                ) -> tuple[ModelEnvironment, _Watched, list[tuple[float, int]]]:
    """Orders created at many moments, among other events on the loop; returns what ran when."""
    env = ModelEnvironment()
    system = _Watched(env, Orders(reopen=0.3, desk_capacity=capacity), end,
                      Streams(np.random.SeedSequence(5)))
    seen: list[tuple[float, int]] = []
    for i in range(400):
        at = (i * 7919) % 86_400 * 1.0
        Callback(lambda e: seen.append((env.now, e.tag)), -1).at(env, at)
        Callback(lambda e: system.create("work_order", e.tag, f"r{e.tag % 3}", "12345",
                                         f"desk{e.tag % 2}", "C", ("normal", "urgent",
                                                                   "emergency")[e.tag % 3]),
                 i).at(env, at)
    env.run()
    return env, system, seen


@pytest.mark.parametrize("capacity", [200, 10])  # desks never full; desks with queues
def test_orders_steps_run_in_time_order_and_the_clock_ends_at_the_last_step(capacity):
    env, system, _ = _run_orders(end=60 * 86_400.0, capacity=capacity)
    records = system.finish()
    assert len(records) == 400 and all(r.closed == r.closed for r in records)  # all closed
    # the processing steps (closes and reopens) ran in time order: their times never go back
    assert len(system.worked) >= 400 and system.worked == sorted(system.worked)
    assert all(r.created <= r.signed <= r.closed for r in records)
    # no timer outlives the orders: the clock stops at the last close
    assert env.now == max(r.closed for r in records) == system.worked[-1]


def test_orders_after_the_end_of_observation_stay_open():
    end = 2 * 86_400.0
    env, system, _ = _run_orders(end=end)
    records = system.finish()
    still = [r for r in records if r.closed != r.closed]
    assert still and all(r.deadline < end or r.on_time == -1 for r in still)
    assert env.now <= end


def test_reopen_survey_and_scores_follow_the_spec():
    """The reopen and survey draws and the Beta scores (drawn in blocks per region) keep their
    probabilities and means: each within four standard errors of the spec."""
    env = ModelEnvironment()
    spec = Orders(reopen=0.2, desk_capacity=10_000,
                  deadline_hours={"emergency": 2.0, "urgent": 24.0, "normal": 1e6})
    system = _Watched(env, spec, 1e12, Streams(np.random.SeedSequence(11)))
    n = 4000
    for i in range(n):
        Callback(lambda e: system.create("work_order", e.tag, f"r{e.tag % 2}", "12345", "d",
                                         "C", "normal"), i).at(env, float(i))
    env.run()
    orders = system.finish().columns()
    steps = len(system.worked)  # processing steps: n closes, the rest reopens
    reopens = int(orders["reopened"].sum())
    assert steps == n + reopens and (orders["closed"] == orders["closed"]).all()
    p = reopens / steps  # (a step after three reopens cannot reopen: a handful at p = 0.2)
    assert abs(p - 0.2) < 4 * (0.2 * 0.8 / steps) ** 0.5
    scores = orders["satisfaction"][orders["satisfaction"] == orders["satisfaction"]]
    sat = spec.satisfaction
    assert abs(len(scores) / n - sat.surveyed) < 4 * (sat.surveyed * (1 - sat.surveyed) / n) ** 0.5
    assert (orders["on_time"] == 1).all()  # a deadline of 1e6 hours
    sd = (sat.on_time * (1 - sat.on_time) / (sat.concentration + 1)) ** 0.5  # Beta's
    assert abs(scores.mean() - sat.on_time) < 4 * sd / len(scores) ** 0.5
