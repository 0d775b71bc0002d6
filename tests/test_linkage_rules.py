"""Each routing rule of the seed on a tiny deterministic network: exact hops, seat-holding times
and orders. One call at t=0; seats have fixed talk times (12345: 100 s, 110: 50 s, 119: 40 s);
no wrap-up; nobody abandons; classification is right unless a test says otherwise."""

from __future__ import annotations

import math

from sim.domain.streams import replication_seeds
from sim.model.calls import DISPOSITIONS, OUTCOMES, TRANSFER_MODES, CallLeg
from sim.model.network import Network, simulate
from sim.scenario import load_scenario

CATEGORIES = """\
categories:
  - {code: A-LOCAL, zh: 本地, en: local, items: [x], owner: "12345", kind: consultation,
     urgency: normal, handling: resolve, transfer_mode: one_key}
  - {code: B-POLICE, zh: 警情, en: police, items: [x], owner: "110", kind: report,
     urgency: urgent, handling: police_order, transfer_mode: one_key, department: 派出所}
  - {code: C-UNCLEAR, zh: 不清, en: unclear, items: [x], owner: "110", kind: help,
     urgency: normal, handling: police_order, transfer_mode: one_key, scope_unclear: 1.0,
     department: 派出所}
  - {code: D-GASLEAK, zh: 燃气泄漏, en: gas leak, items: [x], owner: gas, kind: emergency,
     urgency: emergency, handling: dispatch, transfer_mode: one_key, danger: true,
     department: 燃气抢修}
  - {code: E-DISPUTE, zh: 纠纷, en: dispute, items: [x], owner: "110", kind: help,
     urgency: urgent, handling: dual, transfer_mode: three_way, violent_dispute: true,
     department: 乡镇}
  - {code: F-HARASS, zh: 骚扰, en: harassment, items: [x], owner: "110", kind: harassment,
     urgency: normal, handling: resolve, transfer_mode: system_dispatch, harassment: true}
  - {code: G-OUT, zh: 诉讼, en: litigation, items: [x], owner: none, kind: out_of_scope,
     urgency: normal, handling: guidance}
  - {code: H-FIRE, zh: 火灾, en: fire, items: [x], owner: "119", kind: emergency,
     urgency: emergency, handling: dispatch, transfer_mode: one_key, danger: true,
     department: 消防}
  - {code: I-WORK, zh: 工单, en: work order, items: [x], owner: "12345", kind: help,
     urgency: normal, handling: work_order, transfer_mode: system_dispatch, department: 住建局}
mix:
  "12345": {A-LOCAL: 1.0}
"""


def scenario_yaml(tmp_path, category: str, dialled: str | dict = "12345", *,
                  agreement: float = 1.0, accuracy: str = "{default: 1.0}",
                  max_hops: int = 3, priority: bool = True) -> str:
    (tmp_path / "list.yaml").write_text(CATEGORIES, encoding="utf-8")
    calls = dialled if isinstance(dialled, dict) else {dialled: [0]}

    def times(line: str) -> str:
        return f", arrival_times: {calls[line]}" if line in calls else ""

    return f"""
name: rules
horizon_hours: 1
drain_hours: 0
replications: 1
lines:
  "12345": {{talk: {{dist: deterministic, value: 100}}}}
  "110": {{talk: {{dist: deterministic, value: 50}}}}
  "119": {{talk: {{dist: deterministic, value: 40}}}}
centres:
  "620100/12345": {{seats: 1{times('12345')}}}
  "620100/110": {{seats: 1{times('110')}}}
  "620100/119": {{seats: 1}}
linkage:
  diversion_list: {tmp_path / 'list.yaml'}
  mix: {{"12345": {{{category}: 1}}, "110": {{{category}: 1}}, "119": {{{category}: 1}}}}
  accuracy: {accuracy}
  transfer_talk_factor: 0.5
  transfer_priority: {str(priority).lower()}
  max_hops: {max_hops}
  three_way: {{negotiation: {{dist: deterministic, value: 30}}, agreement: {agreement}}}
  orders: {{sign_delay: {{dist: deterministic, value: 60}},
            processing: {{dist: deterministic, value: 3600}},
            police_processing: {{dist: deterministic, value: 600}}, reopen: 0}}
"""


def run(tmp_path, *args, **kwargs):
    path = tmp_path / "s.yaml"
    path.write_text(scenario_yaml(tmp_path, *args, **kwargs), encoding="utf-8")
    scenario = load_scenario(path)
    seq = replication_seeds(scenario.seed, 1)[0]
    net = Network(scenario, seq)
    result = simulate(scenario, seq, network=net)
    legs = [CallLeg._make(r) for r in result.records]
    lines = [p.line for p in net.plans]

    def show(leg):
        t = [None if math.isnan(x) else round(x, 6) for x in (leg.arrival, leg.answered,
                                                              leg.talk_end, leg.released)]
        return (leg.leg, lines[leg.centre], *t, OUTCOMES[leg.outcome],
                DISPOSITIONS[leg.disposition] if leg.disposition >= 0 else "",
                TRANSFER_MODES[leg.transfer_mode], leg.parent_leg)

    orders = [(o.kind, o.line, o.dispatched_to, o.created, o.linked_order_id)
              for o in result.orders]
    run.holds = [(leg.leg, *[None if math.isnan(x) else round(x, 6)
                             for x in (leg.hold_end, leg.negotiation_end)]) for leg in legs]
    return [show(leg) for leg in legs], orders


def test_own_matter_is_resolved_on_the_call(tmp_path):
    legs, orders = run(tmp_path, "A-LOCAL")
    assert legs == [(0, "12345", 0, 0, 100, 100, "answered", "resolved", "", -1)]
    assert orders == []


def test_work_order_goes_to_the_department(tmp_path):
    legs, orders = run(tmp_path, "I-WORK")
    assert legs == [(0, "12345", 0, 0, 100, 100, "answered", "work_order", "", -1)]
    assert orders == [("work_order", "12345", "住建局", 100.0, -1)]


def test_one_key_transfer_carries_the_record_and_talks_shorter(tmp_path):
    legs, orders = run(tmp_path, "B-POLICE")
    assert legs == [
        (0, "12345", 0, 0, 100, 100, "answered", "transfer", "", -1),
        # reaches 110 at t=100 (priority is tested with a competing caller below); talk
        # 50 s x 0.5 (record carried)
        (1, "110", 100, 100, 125, 125, "answered", "police_order", "one_key", 0),
    ]
    assert orders == [("police_order", "110", "派出所", 125.0, -1)]


def test_unclear_scope_three_way_holds_both_seats_then_owner_takes_it(tmp_path):
    legs, orders = run(tmp_path, "C-UNCLEAR", agreement=1.0)
    assert legs == [
        # 12345 talks 0-100, then its seat is held through the 30 s negotiation to 130
        (0, "12345", 0, 0, 100, 130, "answered", "transfer", "", -1),
        # 110 joins at 100; negotiation 30 s, then it talks on 50 x 0.5 = 25 s
        (1, "110", 100, 100, 155, 155, "answered", "police_order", "three_way", 0),
    ]
    assert run.holds == [(0, 130, None), (1, None, 130)]  # hold end; negotiation end
    assert orders == [("police_order", "110", "派出所", 155.0, -1)]


def test_three_way_without_agreement_first_receiver_keeps_it(tmp_path):
    legs, orders = run(tmp_path, "C-UNCLEAR", agreement=0.0)
    assert legs == [
        (0, "12345", 0, 0, 100, 130, "answered", "transfer", "", -1),
        (1, "110", 100, 100, 130, 130, "answered", "returned", "three_way", 0),
        # no agreement at 130: back to 12345 on the same seat (it never freed); the first
        # receiver (S7) talks on 100 x 0.5 and dispatches an order to the owner.
        (2, "12345", 130, 130, 180, 180, "answered", "system_dispatch", "three_way", 1),
    ]
    assert run.holds == [(0, 130, None), (1, None, 130), (2, None, None)]
    assert orders == [("police_order", "110", "派出所", 180.0, -1)]


def test_danger_goes_to_110_first_then_to_the_owner(tmp_path):
    legs, orders = run(tmp_path, "D-GASLEAK")
    assert legs == [
        (0, "12345", 0, 0, 100, 100, "answered", "transfer", "", -1),
        # S7: 110 dispatches first (police order), then passes it on; gas has no centre here,
        # so the gas company gets a system-dispatched work order.
        (1, "110", 100, 100, 125, 125, "answered", "system_dispatch", "one_key", 0),
    ]
    assert orders == [("police_order", "110", "属地派出所", 125.0, -1),
                      ("work_order", "gas", "燃气抢修", 125.0, -1)]


def test_fire_dialled_at_110_police_first_then_one_key_to_119(tmp_path):
    legs, orders = run(tmp_path, "H-FIRE", dialled="110")
    assert legs == [
        (0, "110", 0, 0, 50, 50, "answered", "transfer", "", -1),
        (1, "119", 50, 50, 70, 70, "answered", "dispatch", "one_key", 0),  # 40 x 0.5
    ]
    assert orders == [("police_order", "110", "属地派出所", 50.0, -1)]


def test_violent_dispute_at_110_police_order_now_and_linked_work_order(tmp_path):
    legs, orders = run(tmp_path, "E-DISPUTE", dialled="110")
    assert legs == [(0, "110", 0, 0, 50, 50, "answered", "dual_order", "", -1)]
    assert orders == [("police_order", "110", "乡镇", 50.0, 1), ("work_order", "12345", "乡镇", 50.0, 0)]


def test_harassment_at_12345_is_passed_to_110_without_voice(tmp_path):
    legs, orders = run(tmp_path, "F-HARASS")
    assert legs == [(0, "12345", 0, 0, 100, 100, "answered", "system_dispatch", "", -1)]
    assert [o[:2] for o in orders] == [("police_order", "110")]


def test_out_of_scope_gets_guidance_only(tmp_path):
    legs, orders = run(tmp_path, "G-OUT")
    assert legs == [(0, "12345", 0, 0, 100, 100, "answered", "guidance", "", -1)]
    assert orders == []


def test_misclassified_call_bounces_until_the_hop_cap(tmp_path):
    # 12345 always misclassifies its own matter (the only other line served... by 110 and 119:
    # use max_hops 2), 110 classifies right and sends it back.
    legs, _ = run(tmp_path, "A-LOCAL", accuracy='{"12345": 0.0, default: 1.0}', max_hops=2)
    assert [(leg[0], leg[1], leg[7], leg[8]) for leg in legs][:2] == [
        (0, "12345", "transfer", ""), (1, legs[1][1], "transfer", "one_key")]
    assert legs[1][1] in ("110", "119")
    assert legs[2][:2] == (2, "12345") and legs[2][7] == "resolved"  # the cap: it stays
    assert len(legs) == 3


def test_transferred_call_queues_ahead_of_new_calls(tmp_path):
    # 110: X talks 0-50, Y 60-110, W waits from 70; Z, transferred from 12345 at 100, is
    # answered first when Y's seat frees at 110, then W.
    legs, _ = run(tmp_path, "B-POLICE", dialled={"12345": [0], "110": [0, 60, 70]})
    at_110 = sorted((leg[3], leg[2], leg[8]) for leg in legs if leg[1] == "110")
    assert at_110 == [(0, 0, ""), (60, 60, ""), (110, 100, "one_key"), (135, 70, "")]


def test_without_transfer_priority_the_earlier_caller_goes_first(tmp_path):
    # The control of the test above: the same calls, transferred calls queue like new ones, so
    # W (waiting since 70) is answered at 110 and Z (transferred at 100) after W's 50 s.
    legs, _ = run(tmp_path, "B-POLICE", dialled={"12345": [0], "110": [0, 60, 70]},
                  priority=False)
    at_110 = sorted((leg[3], leg[2], leg[8]) for leg in legs if leg[1] == "110")
    assert at_110 == [(0, 0, ""), (60, 60, ""), (110, 70, ""), (160, 100, "one_key")]


def test_emergency_class_is_fifo(tmp_path):
    # Fire calls are emergencies (queue class 0); within a class the queue is first come,
    # first served.
    legs, _ = run(tmp_path, "H-FIRE", dialled={"110": [0, 10, 20]})
    first_legs = [leg for leg in legs if leg[0] == 0]
    assert [leg[3] for leg in first_legs] == [0, 50, 100]  # FIFO within the emergency class
