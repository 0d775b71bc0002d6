"""The loop's heap of times and buckets runs entries in SimPy's order, ties included."""

from __future__ import annotations

import random

import pytest
import simpy
from simpy.events import NORMAL, URGENT

from sim.model.events import Callback
from sim.model.loop import ModelEnvironment


def _program(env: simpy.Environment, seed: int, model: bool) -> list[tuple]:
    """Entries at few distinct times (many ties), of both priorities, some scheduling more
    entries (at the same time too) when they run; returns what ran, when, in order."""
    rng = random.Random(seed)
    log: list[tuple] = []
    labels = iter(range(10**6))

    def add(delay: float) -> None:
        label = next(labels)
        urgent = rng.random() < 0.3
        children = [rng.choice((0.0, 0.0, 1.0, 2.5)) for _ in range(rng.choice((0, 0, 1, 2)))]

        def run(_event) -> None:
            log.append((env.now, label))
            for d in children:
                add(d)
        if model and not urgent and label % 2:  # the model's own path: an entry, no event
            Callback(run).after(env, delay)
            return
        event = simpy.Event(env)
        event._ok, event._value = True, None
        event.callbacks.append(run)
        env.schedule(event, URGENT if urgent else NORMAL, delay)

    for _ in range(60):
        add(float(rng.randrange(5)))
    env.run()
    return log


@pytest.mark.parametrize("seed", range(8))
def test_entries_run_in_simpys_order_ties_included(seed):
    ours = _program(ModelEnvironment(), seed, model=True)
    assert len(ours) > 100
    assert len({t for t, _ in ours}) < len(ours) / 4  # ties, many of them
    assert ours == _program(simpy.Environment(), seed, model=False)


def test_arrivals_come_after_the_entries_due_at_their_time():
    env = ModelEnvironment()
    seen: list[tuple] = []
    for label, (at, delay) in enumerate([(1.0, 0.0), (2.0, 0.0), (2.0, 1.0)]):
        Callback(lambda e, label=label, delay=delay: (
            seen.append(("entry", env.now, label)),
            delay and Callback(lambda _e: seen.append(("late", env.now))).after(env, delay),
        )).at(env, at)
    env.run_with_arrivals([0.5, 2.0, 2.0, 3.5],
                          lambda i: seen.append(("arrival", env.now, i)))
    assert seen == [("arrival", 0.5, 0), ("entry", 1.0, 0), ("entry", 2.0, 1),
                    ("entry", 2.0, 2), ("arrival", 2.0, 1), ("arrival", 2.0, 2),
                    ("late", 3.0), ("arrival", 3.5, 3)]
    assert env.heap == [] and env.due == {}  # nothing left behind, not even the sentinel


def test_an_entry_at_infinity_survives_the_arrivals():
    env = ModelEnvironment()
    seen = []
    Callback(lambda _e: seen.append(env.now)).at(env, float("inf"))
    env.run_with_arrivals([1.0], lambda i: seen.append(i))
    assert seen == [0, float("inf")]
