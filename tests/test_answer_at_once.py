"""A first attempt answered at once without its ``Call`` (``Centre.arrive_first``) leaves the
very records the full path (``Call`` and ``arrive``) leaves: every field, every leg."""

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


def _records(scenario: Scenario, at_once: bool, monkeypatch) -> tuple[dict, int]:
    """The sealed columns of one replication, and how many seats freed after a leg answered
    at once (0 when ``at_once`` is off: every leg then takes the full path)."""
    freed = [0]
    seat_freed = Centre._seat_freed

    def counted(self, arg):
        freed[0] += 1
        seat_freed(self, arg)

    monkeypatch.setattr(Centre, "_seat_freed", counted)  # (bound when a centre is built)
    seq = replication_seeds(scenario.seed, 1)[0]
    net = Network(scenario, seq)
    for centre in net.unique_centres:
        centre.at_once = centre.at_once and at_once
    result = simulate(scenario, seq, network=net)
    monkeypatch.undo()
    return result.records.columns(), freed[0]


def _assert_same(scenario: Scenario, monkeypatch) -> None:
    fast, freed = _records(scenario, True, monkeypatch)
    full, none = _records(scenario, False, monkeypatch)
    assert freed > 0 and none == 0  # both paths were taken where they should be
    assert fast.keys() == full.keys()
    for name in fast:
        assert fast[name].dtype == full[name].dtype, name
        assert np.array_equal(fast[name], full[name], equal_nan=True), name


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
