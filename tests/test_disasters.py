"""Disasters on tiny scenarios: surge curves, incidents, outages, remote seats, the bot, merging."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from sim.domain.streams import replication_seeds
from sim.model.calls import OUTCOMES, CallLeg
from sim.model.network import Network, simulate
from sim.model.surges import suppression_factor, surge_multiple
from sim.scenario import load_scenario
from sim.scenario.disasters import Suppression, Surge


def run(write_scenario, data):
    scenario = load_scenario(write_scenario(data))
    seq = replication_seeds(scenario.seed, 1)[0]
    net = Network(scenario, seq)
    result = simulate(scenario, seq, network=net)
    return net, result, [CallLeg._make(r) for r in result.records]


def base(**extra):
    data = {"name": "tiny", "horizon_hours": 2, "drain_hours": 0, "replications": 1,
            "lines": {"110": {"talk": {"dist": "deterministic", "value": 600}}},
            "centres": {"620100/110": {"seats": 1}}}
    data.update(extra)
    return data


def test_surge_curve_values():
    s = Surge(peak=5, rise_hours=1, half_life_hours=2)
    t = np.array([-1.0, 0.0, 0.5, 1.0, 3.0, 5.0])
    # rises linearly to the peak over an hour, then halves every 2 h; intensity 0.5
    assert np.allclose(surge_multiple(s, 0.5, t), [1, 1, 2, 3, 2, 1.5])
    delayed = Surge(peak=3, delay_hours=24, rise_hours=0, half_life_hours=1)
    assert np.allclose(surge_multiple(delayed, 1.0, np.array([23.9, 24.0, 25.0])), [1, 3, 2])
    table = Surge(table=((0, 1), (2, 3), (4, 3)))
    assert np.allclose(surge_multiple(table, 1.0, np.array([-1, 1, 3, 9])), [1, 2, 3, 3])
    sup = Suppression(hours=3, factor=0.3, recovery_hours=10)
    assert np.allclose(suppression_factor(sup, 1.0, np.array([-1, 0, 2.9, 3, 8, 13])),
                       [1, 0.3, 0.3, 0.3, 0.65, 1])


def test_arrivals_follow_the_surge(write_scenario):
    data = base(horizon_hours=12, seed=3)
    data["centres"] = {"620100/110": {"calls_per_day": 24000, "seats": 400}}
    data["lines"]["110"]["talk"] = {"dist": "deterministic", "value": 1}
    data["disasters"] = [{"name": "q", "start_hours": 4, "regions": {"620100": 1.0},
                          "lines": {"110": {"peak": 3, "rise_hours": 0, "half_life_hours": 2}}}]
    _, _, legs = run(write_scenario, data)
    arrivals = np.array([leg.arrival for leg in legs]) / 3600
    before = ((arrivals >= 2) & (arrivals < 4)).sum()
    after = ((arrivals >= 4) & (arrivals < 6)).sum()
    expected_after = 1000 * 2 * (1 + 2 * (1 - 2 ** -1) / math.log(2))  # ∫ 1 + 2·2^(-t/2)
    assert abs(before - 2000) < 4.5 * math.sqrt(2000)
    assert abs(after - expected_after) < 4.5 * math.sqrt(expected_after)


def test_one_incidents_calls_share_its_id(write_scenario):
    data = base(horizon_hours=48, seed=5)
    data["centres"] = {"620100/110": {"seats": 50}}
    data["incidents"] = {"110": {"rate_per_day": 3, "callers": {"dist": "deterministic",
                                                                "value": 4},
                                 "spread": {"dist": "deterministic", "value": 60},
                                 "categories": {"-": 1}}}
    data["horizon_hours"] = 48
    _, _, legs = run(write_scenario, data)
    by_incident = defaultdict(list)
    for leg in legs:
        by_incident[leg.incident_id].append(leg)
    assert -1 not in by_incident and len(by_incident) >= 2
    for calls in by_incident.values():
        first = min(c.arrival for c in calls)
        if first < 48 * 3600 - 60:
            assert sorted(round(c.arrival - first, 6) for c in calls) == [0, 60, 60, 60]


def test_an_outage_sends_calls_to_the_fallback(write_scenario):
    data = base()
    data["centres"] = {"620100/110": {"seats": 1, "arrival_times": [10, 4000]},
                       "620400/110": {"seats": 1}}  # Baiyin borders Lanzhou
    data["outages"] = [{"centre": "620100/110", "start_hours": 0, "end_hours": 1}]
    net, result, legs = run(write_scenario, data)
    where = [(net.plans[leg.centre].key, leg.arrival, leg.answered) for leg in legs]
    assert where == [("620400/110", 10.0, 10.0), ("620100/110", 4000.0, 4000.0)]
    assert result.rerouted == {0: 1}


def test_an_outage_with_no_fallback_up_gives_a_busy_signal(write_scenario):
    data = base()
    data["centres"] = {"620100/110": {"seats": 1, "arrival_times": [10]}}
    data["outages"] = [{"centre": "620100/110", "start_hours": 0, "end_hours": 1}]
    _, _, legs = run(write_scenario, data)
    assert [OUTCOMES[leg.outcome] for leg in legs] == ["blocked"]


BORROW = {"line": "110", "check_minutes": 5, "window_minutes": 10,
          "trigger": {"service_level_below": 0.8, "waiting_per_seat_above": 100, "min_calls": 0,
                      "hold_minutes": 10},
          "release": {"service_level_above": 0.95, "waiting_per_seat_below": 0.1,
                      "hold_minutes": 30},
          "activation_minutes": 30, "cap": 10, "step": 4, "donor_floor": 0.5,
          "donor_min_seats": 1, "donor_margin": 0.0, "talk_factor": 1.0}


def borrowing_scenario(donor_calls=()):
    data = base(horizon_hours=3)
    data["lines"]["110"]["target"] = {"seconds": 15, "level": 0.9}
    data["centres"] = {
        "620100/110": {"seats": 1, "arrival_times": [60.0 * i for i in range(30)]},
        "620400/110": {"seats": 4, "arrival_times": list(donor_calls)},
    }
    data["borrowing"] = [BORROW]
    return data


def test_remote_seats_trigger_after_the_hold_arrive_after_the_delay_release_with_hysteresis(
        write_scenario):
    net, result, legs = run(write_scenario, borrowing_scenario())
    events = result.seat_events
    lend = [e for e in events if e.kind == "lend"]
    # Checks at 300, 600, 900 s: bad from the first check (SL 0 over the window); held 10 min
    # only at 900. The donor keeps 2 of its 4 seats (floor 0.5), so it lends 2.
    assert [(e.t, e.recipient, e.donor, e.seats) for e in lend] == [(900.0, 0, 1, 2)]
    arrive = [e for e in events if e.kind == "arrive"]
    assert [(e.t, e.seats) for e in arrive] == [(900.0 + 1800.0, 2)]
    release = [e for e in events if e.kind == "release"]
    assert len(release) == 1 and release[0].answering
    # borrowed seats answered calls, and talked at the recipient
    borrowed = [leg for leg in legs if leg.seat == 2]
    assert borrowed and all(leg.answered >= 2700 for leg in borrowed)
    # hysteresis: released only after 30 min of good checks, i.e. after the queue emptied
    last_answer = max(leg.answered for leg in legs if leg.centre == 0)
    assert release[0].t >= last_answer + 1800 - 300


def test_a_donor_below_its_target_does_not_lend(write_scenario):
    busy_donor = [30.0 * i for i in range(60)]  # 4 seats, 600 s talks, a call every 30 s
    _, result, _ = run(write_scenario, borrowing_scenario(busy_donor))
    assert [e for e in result.seat_events if e.kind == "lend"] == []


def test_the_bot_answers_without_a_seat(write_scenario):
    data = base()
    data["centres"] = {"620100/110": {"seats": 1, "arrival_times": [0, 1, 2]}}
    data["bot"] = {"lines": ["110"], "when": "always", "kinds": ["consultation"],
                   "contain": 1.0, "online": 0.0, "bot_time": {"dist": "deterministic",
                                                               "value": 30}}
    _, _, legs = run(write_scenario, data)
    assert [(OUTCOMES[leg.outcome], leg.answered, leg.talk_end, leg.seat) for leg in legs] == [
        ("bot", 0.0, 30.0, 3), ("bot", 1.0, 31.0, 3), ("bot", 2.0, 32.0, 3)]


def test_merged_utility_line_is_answered_by_12345_seats(write_scenario):
    data = base()
    data["lines"] = {"12345": {"talk": {"dist": "deterministic", "value": 100}},
                     "power": {"talk": {"dist": "deterministic", "value": 50}}}
    data["centres"] = {"620100/12345": {"seats": 1, "arrival_times": [0]},
                       "620100/power": {"seats": 1, "arrival_times": [10]}}
    separate = run(write_scenario, data)[2]
    assert [(leg.centre, leg.answered) for leg in separate] == [(0, 0.0), (1, 10.0)]
    data["merge"] = {"lines": ["power"], "into": "12345"}
    merged = run(write_scenario, data)[2]
    # 2 seats in one pool: the power call still counts for the power line (centre 1) and
    # keeps power's own talk time (S18 pools seats, not the calls' nature)
    assert [(leg.centre, leg.answered, leg.talk_end) for leg in merged] == [
        (0, 0.0, 100.0), (1, 10.0, 60.0)]


@pytest.mark.parametrize("bad", [
    {"disasters": [{"name": "x", "regions": {"999999": 1}, "lines": {"110": {}}}]},
    {"outages": [{"centre": "620400/110", "start_hours": 0, "end_hours": 1}]},
    {"borrowing": [{"line": "119"}]},
])
def test_disaster_keys_are_checked(write_scenario, bad):
    from sim.domain.errors import ScenarioError
    with pytest.raises(ScenarioError):
        load_scenario(write_scenario(base(**bad)))
