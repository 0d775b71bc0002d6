"""Exact event logs of tiny deterministic scenarios: every timestamp and outcome is known."""

from __future__ import annotations

import math

import pytest

from sim.domain.streams import replication_seeds
from sim.model.calls import CallLeg
from sim.model.network import simulate
from sim.scenario import load_scenario


def run(path, *overrides):
    scenario = load_scenario(path, overrides)
    result = simulate(scenario, replication_seeds(scenario.seed, 1)[0])
    return [CallLeg._make(r) for r in result.records]


def events(legs):
    """(call, caller, attempt, outcome, arrival, answered, ended, redial_of) per leg."""
    def t(x):
        return None if math.isnan(x) else round(x, 9)
    return [(leg.call_id, leg.caller_id, leg.attempt, ("answered", "abandoned", "blocked", "bot",
             "unfinished")[leg.outcome], t(leg.arrival), t(leg.answered), t(leg.ended),
             leg.redial_of) for leg in legs]


TINY = {
    "name": "tiny", "horizon_hours": 1, "drain_hours": 0, "replications": 1,
    "lines": {"110": {
        "talk": {"dist": "deterministic", "value": 100},
        "patience": {"dist": "deterministic", "value": 50},
        "redial": {"after_abandon": 1.0, "after_blocked": 0.0, "max_attempts": 2,
                   "delay": {"dist": "deterministic", "value": 30}},
    }},
    "centres": {"620100/110": {"arrival_times": [0, 10, 20, 30], "seats": 2, "trunks": 3}},
}


def test_two_seats_four_calls_one_abandons_and_redials_one_blocked(write_scenario):
    legs = run(write_scenario(TINY))
    assert events(legs) == [
        # A and B take the two seats at once and talk 100 s.
        (0, 0, 1, "answered", 0.0, 0.0, 100.0, -1),
        (1, 1, 1, "answered", 10.0, 10.0, 110.0, -1),
        # C waits (2 talking + 1 waiting = 3 trunks), gives up after 50 s of patience ...
        (2, 2, 1, "abandoned", 20.0, None, 70.0, -1),
        # ... D finds all 3 trunks in use: busy signal.
        (3, 3, 1, "blocked", 30.0, None, 30.0, -1),
        # C dials again 30 s later (t=100): A's seat has just freed (events before arrivals).
        (4, 2, 2, "answered", 100.0, 100.0, 200.0, 2),
    ]
    assert [leg.released for leg in legs if leg.outcome == 0] == [100.0, 110.0, 200.0]


def test_wrapup_holds_the_seat_but_not_the_trunk(write_scenario):
    data = {**TINY, "lines": {"110": {**TINY["lines"]["110"],
                                      "wrapup": {"dist": "deterministic", "value": 15},
                                      "patience": {"dist": "none"}}}}
    data["centres"] = {"620100/110": {"arrival_times": [0, 1, 2], "seats": 1, "trunks": 2}}
    legs = run(write_scenario(data))
    assert events(legs) == [
        (0, 0, 1, "answered", 0.0, 0.0, 100.0, -1),
        (1, 1, 1, "answered", 1.0, 115.0, 215.0, -1),   # waits for talk + wrap-up of call 0
        (2, 2, 1, "blocked", 2.0, None, 2.0, -1),       # 1 talking + 1 waiting = 2 trunks
    ]
    assert [leg.released for leg in legs][:2] == [115.0, 230.0]


def test_seat_whose_shift_ends_finishes_its_call_then_leaves(write_scenario):
    data = {**TINY, "horizon_hours": 3,
            "lines": {"110": {"talk": {"dist": "deterministic", "value": 200},
                              "patience": {"dist": "none"}}},
            "centres": {"620100/110": {"arrival_times": [3500, 3550],
                                       "seats": {"hourly": [1, 0, 1]}}}}
    legs = run(write_scenario(data))
    assert events(legs) == [
        (0, 0, 1, "answered", 3500.0, 3500.0, 3700.0, -1),  # talks past the end of the shift
        (1, 1, 1, "answered", 3550.0, 7200.0, 7400.0, -1),  # no seat from 3600 until 7200
    ]


def test_queue_is_fifo_within_a_class(write_scenario):
    # One seat frees at a time: the queue serves in arrival order.
    data = {**TINY, "lines": {"110": {"talk": {"dist": "deterministic", "value": 10},
                                      "patience": {"dist": "none"}}},
            "centres": {"620100/110": {"arrival_times": [0, 1, 2, 3], "seats": 1}}}
    legs = run(write_scenario(data))
    assert [(leg.call_id, leg.answered) for leg in legs] == [(0, 0.0), (1, 10.0), (2, 20.0),
                                                             (3, 30.0)]


def test_callers_still_waiting_at_the_end_are_unfinished(write_scenario):
    data = {**TINY, "lines": {"110": {"talk": {"dist": "deterministic", "value": 10},
                                      "patience": {"dist": "none"}}},
            "centres": {"620100/110": {"arrival_times": [0, 5], "seats": {"hourly": [0]}}}}
    legs = run(write_scenario(data))
    assert [leg.outcome for leg in legs] == [4, 4]  # unfinished, none lost


@pytest.mark.parametrize("seed", [1, 2])
def test_every_call_has_exactly_one_terminal_record(write_scenario, seed):
    data = {**TINY, "seed": seed, "horizon_hours": 2,
            "lines": {"110": {"talk": {"dist": "exponential", "mean": 60},
                              "patience": {"dist": "exponential", "mean": 30},
                              "redial": {"after_abandon": 0.5, "after_blocked": 0.5}}},
            "centres": {"620100/110": {"calls_per_day": 40000, "seats": 20, "trunks": 25}}}
    legs = run(write_scenario(data))
    ids = [leg.call_id for leg in legs]
    assert len(ids) == len(set(ids)) == max(ids) + 1
    redials = [leg for leg in legs if leg.redial_of >= 0]
    assert redials, "the scenario should produce redials"
    by_id = {leg.call_id: leg for leg in legs}
    for leg in redials:
        first = by_id[leg.redial_of]
        assert first.outcome in (1, 2) and leg.caller_id == first.caller_id
        assert leg.attempt == first.attempt + 1 and leg.arrival > first.ended
