"""The auditor: it finds planted violations, and finds none on every built-in scenario."""

from __future__ import annotations

import math

import pytest

from sim.domain.streams import replication_seeds
from sim.model.audit import Auditor
from sim.model.calls import ANSWERED, BLOCKED, Call
from sim.model.linkage.orders import OrderRecord
from sim.model.linkage.routing import LinkState
from sim.model.network import Network, simulate
from sim.model.record import unpack_record
from sim.scenario import load_scenario
from sim.scenario.catalogue import builtin_scenarios

NAN = math.nan
TINY = {"name": "tiny", "horizon_hours": 1, "drain_hours": 0, "replications": 1,
        "lines": {"110": {"talk": {"dist": "deterministic", "value": 100}}},
        "centres": {"620100/110": {"arrival_times": [0, 10], "seats": 1, "trunks": 2}}}


def leg(call_id, n, *, parent=-1, arrival=0.0, answered=0.0, talk_end=10.0, released=10.0,
        ended=10.0, outcome=ANSWERED, deadline=NAN, hold_end=NAN) -> tuple:
    """A record tuple in ``CallLeg`` order."""
    c = Call(call_id, call_id, 1, 0, 0, arrival, deadline if deadline == deadline else math.inf)
    c.leg, c.parent_leg, c.answered, c.talk_end = n, parent, answered, talk_end
    if hold_end == hold_end:
        c.link = LinkState()
        c.link.hold_end = hold_end
    return unpack_record(c.record(released, ended, outcome))


@pytest.fixture
def auditor(write_scenario):
    scenario = load_scenario(write_scenario(TINY))
    net = Network(scenario, replication_seeds(1, 1)[0], audit=True)
    net.next_call_id = 2
    return net.auditor


def rules(auditor, records, orders=()) -> set[str]:
    """The rules broken by ``records`` (a fresh auditor of the same network each time)."""
    return {v.rule for v in Auditor(auditor.net).check(records, list(orders))}


def test_clean_records_pass(auditor):
    assert rules(auditor, [leg(0, 0), leg(1, 0), leg(1, 1, parent=0, arrival=10, answered=10,
                                                       talk_end=20, released=20, ended=20)]) == set()


@pytest.mark.parametrize("records, rule", [
    ([leg(0, 0), leg(0, 0), leg(1, 0)], "one record"),                       # a leg twice
    ([leg(0, 0)], "one record"),                                             # call 1 lost
    ([leg(0, 0), leg(1, 2, parent=1, arrival=10, answered=10, talk_end=20, released=20,
                     ended=20)], "parent"),                                  # legs 0, 1 missing
    ([leg(0, 0, answered=5, talk_end=3), leg(1, 0)], "order"),               # talk ends first
    ([leg(0, 0, answered=50, talk_end=60, released=60, ended=60, deadline=40), leg(1, 0)],
     "patience"),                                                            # served too late
    ([leg(0, 0, hold_end=5, talk_end=10, released=20), leg(1, 0)], "order"),  # hold before talk
    ([leg(0, 0, answered=NAN, talk_end=NAN, released=NAN, ended=0, outcome=BLOCKED),
      leg(1, 0, arrival=0, answered=0, talk_end=1)], None),
])
def test_planted_record_violations_are_found(auditor, records, rule):
    found = rules(auditor, records)
    assert (rule in found) if rule else not found, found


def test_orders_must_balance(auditor):
    class Orders:
        created = 2
    auditor.net.orders = Orders()
    one = OrderRecord(0, "work_order", 0, -1, "620100", "12345", "d", "c", "normal", 0.0, 1.0,
                      5.0, 10.0, 1, 0, NAN)
    assert "orders" in rules(auditor, [leg(0, 0), leg(1, 0)], [one])  # one of two lost
    Orders.created = 1
    assert rules(auditor, [leg(0, 0), leg(1, 0)], [one]) == set()
    late = one._replace(signed=20.0)  # signed after it closed
    assert "orders" in rules(auditor, [leg(0, 0), leg(1, 0)], [late])


def test_online_checks_catch_a_seat_taken_without_a_free_one(write_scenario):
    scenario = load_scenario(write_scenario(TINY))
    seq = replication_seeds(1, 1)[0]
    net = Network(scenario, seq, audit=True)
    centre = net.centres[0]

    def force(call, now, _answer=centre._answer):
        centre.own_busy = centre.own_seats  # pretend every seat is taken, then answer anyway
        _answer(call, now)
    centre.arrive = lambda call: force(call, net.env.now)
    result = simulate(scenario, seq, network=net)
    assert {v.rule for v in result.violations} >= {"seats"}


AUDITED = [name for name, _ in builtin_scenarios()]
SLICE = {"flood": 24, "jishishan-earthquake": 8}  # reach the disaster; others: 6 hours


@pytest.mark.slow
@pytest.mark.parametrize("name", AUDITED)
def test_every_builtin_and_validation_scenario_keeps_every_invariant(name):
    hours = 3 if name.startswith("validation/") else SLICE.get(name, 6)
    scenario = load_scenario(name, [f"horizon_hours={hours}", "replications=1"])
    seq = replication_seeds(scenario.seed, 1)[0]
    result = simulate(scenario, seq, network=Network(scenario, seq, audit=True))
    assert len(result.records) > 100
    assert result.violations == []
