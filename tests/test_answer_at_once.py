"""A first attempt answered at once without its ``Call`` (``Centre.arrive_first``, and
``Centre.arrive_settled`` where its routing is settled at answer) leaves the very records and
orders the full path (``Call`` and ``arrive``) leaves: every field, every leg."""

from __future__ import annotations

import numpy as np
import pytest

from sim.bench.core import erlang_a_scenario
from sim.domain.streams import replication_seeds
from sim.model.centre import Centre
from sim.model.network import Network, simulate
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario

SMALL = {
    "name": "at-once", "horizon_hours": 5, "drain_hours": 0, "replications": 1, "seed": 7,
    "lines": {"110": {
        "talk": {"dist": "exponential", "mean": 120},
        "patience": {"dist": "exponential", "mean": 60},
        "redial": {"after_abandon": 0.6, "after_blocked": 0.8, "max_attempts": 3,
                   "delay": {"dist": "exponential", "mean": 60}},
    }, "119": {
        "talk": {"dist": "deterministic", "value": 60},  # ties: seats free at one time
        "patience": {"dist": "deterministic", "value": 30},
    }},
    "centres": {
        # a trunk limit, and seats that change every hour (busy seats leave after their call)
        "620100/110": {"calls_per_day": 2400, "trunks": 14,
                       "seats": {"hourly": [9, 3, 12, 6, 10, 4] * 4}},
        "620200/119": {"calls_per_day": 1800, "seats": 2},
    },
}


def _records(scenario: Scenario, at_once: bool, monkeypatch,
             counted: tuple[str, ...] = ("_seat_freed",)) -> tuple[dict, list[int], dict]:
    """The sealed columns of one replication, how many times each handler ``counted`` ran (a
    seat freeing after a leg answered at once, a talk ending for a leg settled at answer: 0
    when ``at_once`` is off and every leg takes the full path), and the order columns (empty
    without linkage)."""
    freed = [0] * len(counted)

    def counting(i, handler):
        def handle(self, arg):
            freed[i] += 1
            handler(self, arg)
        return handle

    for i, name in enumerate(counted):  # (bound when a centre is built)
        monkeypatch.setattr(Centre, name, counting(i, getattr(Centre, name)))
    seq = replication_seeds(scenario.seed, 1)[0]
    net = Network(scenario, seq)
    for centre in net.unique_centres:
        centre.at_once = centre.at_once and at_once
        centre.settles = centre.settles and at_once
    result = simulate(scenario, seq, network=net)
    monkeypatch.undo()
    orders = result.orders.columns() if result.orders else {}
    return result.records.columns(), freed, orders


def _assert_same(scenario: Scenario, monkeypatch,
                 counted: tuple[str, ...] = ("_seat_freed",)) -> None:
    fast, freed, fast_orders = _records(scenario, True, monkeypatch, counted)
    full, none, full_orders = _records(scenario, False, monkeypatch, counted)
    assert min(freed) > 0 and max(none) == 0  # both paths were taken where they should be
    for fast_columns, full_columns in ((fast, full), (fast_orders, full_orders)):
        assert fast_columns.keys() == full_columns.keys()
        for name in fast_columns:
            a, b = fast_columns[name], full_columns[name]
            assert a.dtype == b.dtype, name
            if a.dtype == object:
                assert a.tolist() == b.tolist(), name
            else:
                assert np.array_equal(a, b, equal_nan=True), name


def test_erlang_a_bench_model(monkeypatch):
    _assert_same(erlang_a_scenario(4000, 3), monkeypatch)


@pytest.mark.parametrize("wrapup", [None, {"dist": "deterministic", "value": 0},
                                    {"dist": "exponential", "mean": 20}])
def test_trunks_shifts_redials_and_ties(write_scenario, monkeypatch, wrapup):
    data = {**SMALL, "lines": {k: dict(v) for k, v in SMALL["lines"].items()}}
    if wrapup is not None:  # (a wrap-up of 0 takes the short path, any other the full one)
        data["lines"]["119"]["wrapup"] = wrapup
    _assert_same(load_scenario(write_scenario(data)), monkeypatch)


def test_earthquake_without_linkage(monkeypatch):
    """Surges, patience and redial multipliers, remote seat borrowing, several centres (three
    lines with no wrap-up take the short path, two with wrap-up the full one)."""
    scenario = load_scenario("scenarios/jishishan-earthquake.yaml", [
        "horizon_hours=8", "drain_hours=1", *(f"lines.{line}.wrapup.value=0"
                                              for line in ("12345", "110", "119"))])
    scenario = scenario.model_copy(update={"linkage": None, "bot": None, "incidents": {}})
    _assert_same(scenario, monkeypatch)


def test_wrapup_without_linkage_takes_the_settled_path(write_scenario, monkeypatch):
    """Legs with wrap-up and no linkage: resolved on the call, answered without a ``Call``."""
    data = {**SMALL, "lines": {k: dict(v) for k, v in SMALL["lines"].items()}}
    data["lines"]["119"]["wrapup"] = {"dist": "deterministic", "value": 15}
    _assert_same(load_scenario(write_scenario(data)), monkeypatch, ("_talked",))


@pytest.mark.parametrize("overrides", [
    [],  # lognormal talk, deterministic wrap-up, trunks, redials, orders, transfers
    # deterministic talk: legs answered at one time (an hour's seats) end at one time (ties)
    ["lines.119.talk={dist: deterministic, value: 60}",
     "lines.120.talk={dist: deterministic, value: 60}"],
])
def test_linkage_legs_settled_at_answer(monkeypatch, overrides):
    """Linkage (routing, orders, three-way calls): first attempts whose routing is settled
    when answered (``rules.settled_at_answer``: resolved on the call, or orders opened when
    the talk ends) leave the full path's records and orders."""
    scenario = load_scenario("scenarios/gansu-baseline.yaml",
                             ["horizon_hours=10", "drain_hours=2", *overrides])
    assert scenario.linkage is not None
    _assert_same(scenario, monkeypatch, ("_talked", "_talked_ordering"))


def test_merged_lines_settled_at_answer(monkeypatch):
    """S18: a merged line's calls reach its region's 12345 seats, whose case applies."""
    scenario = load_scenario("scenarios/utility-merge.yaml", [
        "horizon_hours=10", "drain_hours=2",
        "merge={lines: [water, power, gas, heating], into: '12345'}"])
    assert scenario.merge is not None
    _assert_same(scenario, monkeypatch, ("_talked", "_talked_ordering"))
