"""Exact event logs of the linked network's defects (issue 11), each on a tiny deterministic
scenario, with the auditor switched on: every one of these failed before the fix.

Talk times are fixed (12345: 100 s, 110: 50 s, 119: 40 s), there is no wrap-up, and callers
never abandon unless a test gives them patience. Categories come from test_linkage_rules.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from test_linkage_rules import CATEGORIES

from sim.domain.streams import replication_seeds
from sim.model.calls import DISPOSITIONS, OUTCOMES, TRANSFER_MODES, CallLeg
from sim.model.events import Callback
from sim.model.network import ModelEnvironment, Network, simulate
from sim.results.kpis import replication_kpis
from sim.results.records import to_columns
from sim.scenario import load_scenario

EXTRA = """\
  - {code: J-DANGER-LOCAL, zh: 本地险情, en: local danger, items: [x], owner: "12345",
     kind: help, urgency: urgent, handling: resolve, transfer_mode: one_key, danger: true}
  - {code: L-UNCLEAR-LOCAL, zh: 本地不清, en: unclear local, items: [x], owner: "12345",
     kind: help, urgency: normal, handling: resolve, transfer_mode: one_key, scope_unclear: 1.0}
  - {code: M-EMERGENCY-WORK, zh: 紧急工单, en: emergency work order, items: [x], owner: "12345",
     kind: help, urgency: emergency, handling: work_order, transfer_mode: one_key,
     department: 住建局}
"""


def scenario(tmp_path, category: str, calls: dict[str, list[float]], *, seats=None,
             lines=None, linkage=None, **extra) -> dict:
    """A scenario mapping: centres 620100/<line> with ``calls`` arrival times each."""
    (tmp_path / "list.yaml").write_text(CATEGORIES.replace("mix:", EXTRA + "mix:"),
                                        encoding="utf-8")
    talk = {"12345": 100, "110": 50, "119": 40}
    lines = lines or {k: {"talk": {"dist": "deterministic", "value": v}} for k, v in talk.items()}
    seats = {**{k: 1 for k in lines}, **(seats or {})}
    centres = {f"620100/{k}": {"seats": seats[k], **({"arrival_times": calls[k]} if k in calls
                                                     else {})} for k in lines}
    link = {"diversion_list": str(tmp_path / "list.yaml"),
            "mix": {k: {category: 1} for k in lines}, "accuracy": {"default": 1.0},
            "transfer_talk_factor": 0.5, "max_hops": 3,
            "three_way": {"negotiation": {"dist": "deterministic", "value": 30},
                          "agreement": 1.0, "ring_seconds": 60},
            "orders": {"sign_delay": {"dist": "deterministic", "value": 60},
                       "processing": {"dist": "deterministic", "value": 3600},
                       "police_processing": {"dist": "deterministic", "value": 600},
                       "reopen": 0}}
    for key, value in (linkage or {}).items():
        link[key] = {**link[key], **value} if isinstance(value, dict) and key in link else value
    return {"name": "defect", "horizon_hours": 1, "drain_hours": 0, "replications": 1,
            "lines": lines, "centres": centres, "linkage": link, **extra}


def run(tmp_path, data: dict, before=None):
    """Run one audited replication; return (legs shown, orders, network, result)."""
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scn = load_scenario(path)
    seq = replication_seeds(scn.seed, 1)[0]
    net = Network(scn, seq, audit=True)
    if before:
        before(net)
    result = simulate(scn, seq, network=net)
    assert result.violations == [], result.violations
    keys = [p.key for p in net.plans]

    def t(x):
        return None if math.isnan(x) else round(x, 6)

    legs = [CallLeg._make(r) for r in result.records]
    shown = [(leg.call_id, leg.leg, keys[leg.centre], t(leg.arrival), t(leg.answered),
              t(leg.talk_end), t(leg.hold_end), t(leg.released), t(leg.ended),
              OUTCOMES[leg.outcome],
              DISPOSITIONS[leg.disposition] if leg.disposition >= 0 else "",
              TRANSFER_MODES[leg.transfer_mode], leg.parent_leg) for leg in legs]
    orders = [(o.kind, o.line, o.created) for o in result.orders]
    return shown, orders, net, result


# -- 1. three-way calls whose receiving leg is never answered -------------------------------
def test_three_way_not_joined_in_ring_time_first_receiver_keeps_it(tmp_path):
    # 110 has no seat on duty: 12345 rings it for 60 s, then keeps the call (S7) and, as the
    # matter is 110's, dispatches a police order; its seat is released at the end of the ring.
    data = scenario(tmp_path, "C-UNCLEAR", {"12345": [0]}, seats={"110": 0})
    legs, orders, net, _ = run(tmp_path, data)
    assert legs == [
        (0, 0, "620100/12345", 0, 0, 100, 160, 160, 160, "answered", "system_dispatch", "", -1),
        (0, 1, "620100/110", 100, None, None, None, None, 160, "not_joined", "", "three_way", 0),
    ]
    assert orders == [("police_order", "110", 160.0)]
    assert all(c.own_busy == c.talking == 0 for c in net.centres)


def test_three_way_blocked_by_trunks_keeps_it_at_once_and_never_redials(tmp_path):
    # 110's only trunk is taken (its caller talks 60-110); the conference leg at 100 gets the
    # busy signal: no redial although 110 callers redial when blocked; 12345 keeps the call.
    data = scenario(tmp_path, "C-UNCLEAR", {"12345": [0], "110": [60]})
    data["linkage"]["mix"]["110"] = {"B-POLICE": 1}  # the competing 110 caller: a police matter
    data["centres"]["620100/110"]["trunks"] = 1
    data["lines"]["110"]["redial"] = {"after_blocked": 1.0,
                                      "delay": {"dist": "deterministic", "value": 5}}
    data["lines"]["12345"]["redial"] = {"after_blocked": 1.0,
                                        "delay": {"dist": "deterministic", "value": 5}}
    legs, orders, _, _ = run(tmp_path, data)
    assert legs == [
        (0, 0, "620100/12345", 0, 0, 100, 100, 100, 100, "answered", "system_dispatch", "", -1),
        (0, 1, "620100/110", 100, None, None, None, None, 100, "blocked", "", "three_way", 0),
        (1, 0, "620100/110", 60, 60, 110, None, 110, 110, "answered", "police_order", "", -1),
    ]
    assert [o[:2] for o in orders] == [("police_order", "110")] * 2


def test_three_way_joined_late_within_ring_time_is_a_conference(tmp_path):
    # 110's seat is busy 60-110 (a competing caller); the conference leg waits 10 s, joins at
    # 110, negotiates 30 s, then 110 talks on 25 s. 12345's seat: talk to 100, hold to 140.
    data = scenario(tmp_path, "C-UNCLEAR", {"12345": [0], "110": [60]})
    data["linkage"]["mix"]["110"] = {"B-POLICE": 1}
    legs, _, _, result = run(tmp_path, data)
    assert legs[:2] == [
        (0, 0, "620100/12345", 0, 0, 100, 140, 140, 140, "answered", "transfer", "", -1),
        (0, 1, "620100/110", 100, 110, 165, None, 165, 165, "answered", "police_order",
         "three_way", 0),
    ]
    leg = CallLeg._make(result.records[1])
    assert (leg.negotiation_end, leg.deadline) == (140.0, 160.0)  # ring time bounds the wait


# -- 2. abandonment settled exactly; the clock never runs back ------------------------------
def test_transferred_leg_abandons_at_its_deadline_and_redials_on_time(tmp_path):
    # 12345 callers redial (50 s later), 110 callers do not. The one-key leg waits at 110 from
    # 100 (its seat is busy 90-590) and gives up at 150: the redial reaches 12345 at 200.
    lines = {"12345": {"talk": {"dist": "deterministic", "value": 100},
                       "redial": {"after_abandon": 1.0, "max_attempts": 2,
                                  "delay": {"dist": "deterministic", "value": 50}}},
             "110": {"talk": {"dist": "deterministic", "value": 500},
                     "patience": {"dist": "deterministic", "value": 50}}}
    data = scenario(tmp_path, "B-POLICE", {"12345": [0], "110": [90]}, lines=lines)
    data["linkage"]["transfer_talk_factor"] = 1.0
    legs, _, _, _ = run(tmp_path, data)
    assert [leg[:5] + leg[8:10] for leg in legs] == [
        (0, 0, "620100/12345", 0, 0, 100, "answered"),
        (0, 1, "620100/110", 100, None, 150, "abandoned"),
        (1, 0, "620100/110", 90, 90, 590, "answered"),
        (2, 0, "620100/12345", 200, 200, 300, "answered"),   # the redial, on time
        (2, 1, "620100/110", 300, None, 350, "abandoned"),   # attempt 2: no more redials
    ]


def test_scheduling_an_event_in_the_past_raises():
    from sim.domain.errors import SimulationError
    env = ModelEnvironment()
    env.run(until=10)
    with pytest.raises(SimulationError, match="in the past"):
        Callback(lambda _e: None).at(env, 5.0)


# -- 3. own and remote seats are separate pools ---------------------------------------------
def _borrow(centre_key: str, at: float, seats: int):
    def before(net):
        centre = next(c for c in net.centres if c.plan.key == centre_key)
        Callback(lambda _e: centre.set_seats(borrowed=seats)).at(net.env, at)
    return before


def test_idle_remote_seat_answers_while_own_seats_finish_calls_past_their_shift(tmp_path):
    # Own seats 2 then 1 at 3600; both busy until 4000/4050. A remote seat arrives at 3590:
    # the call at 3700 is answered by it at once, not when an own seat frees.
    lines = {"110": {"talk": {"dist": "deterministic", "value": 500}}}
    data = scenario(tmp_path, "B-POLICE", {"110": [3500, 3550, 3700]}, lines=lines,
                    seats={"110": {"hourly": [2, 1]}})
    data["horizon_hours"] = 2
    legs, _, _, _ = run(tmp_path, data, before=_borrow("620100/110", 3590, 1))
    assert [(leg[3], leg[4]) for leg in legs] == [(3500, 3500), (3550, 3550), (3700, 3700)]


def test_remote_seat_sent_home_while_talking_leaves_own_idle_seat_free(tmp_path):
    # One own seat and one remote seat; the remote seat is sent home at 100 while it talks
    # (until 520). The own seat frees at 510 and answers the caller of 515 at once.
    lines = {"110": {"talk": {"dist": "deterministic", "value": 500}}}
    data = scenario(tmp_path, "B-POLICE", {"110": [10, 20, 515]}, lines=lines)

    def before(net):
        centre = net.centres[0]
        centre.set_seats(borrowed=1)
        Callback(lambda _e: centre.set_seats(borrowed=0)).at(net.env, 100)
    legs, _, _, result = run(tmp_path, data, before=before)
    assert [(leg[3], leg[4], leg[7]) for leg in legs] == [(10, 10, 510), (20, 20, 520),
                                                          (515, 515, 1015)]
    assert [CallLeg._make(r).seat for r in result.records] == [1, 2, 1]  # own, borrowed, own


# -- 4. transfers respect outages -----------------------------------------------------------
def test_one_key_transfer_to_a_down_centre_goes_to_its_fallback(tmp_path):
    data = scenario(tmp_path, "B-POLICE", {"12345": [0]})
    data["centres"]["620200/110"] = {"seats": 1}
    data["outages"] = [{"centre": "620100/110", "start_hours": 0, "end_hours": 1,
                        "fallback": ["620200/110"]}]
    legs, _, _, _ = run(tmp_path, data)
    assert [(leg[1], leg[2], leg[11]) for leg in legs] == [
        (0, "620100/12345", ""), (1, "620200/110", "one_key")]


def test_three_way_with_the_other_platform_down_first_receiver_keeps_it(tmp_path):
    data = scenario(tmp_path, "C-UNCLEAR", {"12345": [0]})
    data["outages"] = [{"centre": "620100/110", "start_hours": 0, "end_hours": 1,
                        "fallback": []}]
    legs, orders, _, _ = run(tmp_path, data)
    # no centre can join: 12345 keeps it and dispatches the police order without voice
    assert legs == [(0, 0, "620100/12345", 0, 0, 100, None, 100, 100, "answered",
                     "system_dispatch", "", -1)]
    assert orders == [("police_order", "110", 100.0)]


# -- 5. the link state travels with every leg -----------------------------------------------
def test_police_first_once_per_call_across_one_key_legs(tmp_path):
    # A danger that is 12345's matter, dialled at 110: police first (one order), then one-key
    # to 12345, which misclassifies it back to 110 (the only other line): no second police order.
    data = scenario(tmp_path, "J-DANGER-LOCAL", {"110": [0]},
                    linkage={"accuracy": {"12345": 0.0, "default": 1.0}})
    data["lines"].pop("119")
    data["centres"].pop("620100/119")
    data["linkage"]["mix"].pop("119")
    legs, orders, _, _ = run(tmp_path, data)
    assert [(leg[1], leg[2], leg[10]) for leg in legs] == [
        (0, "620100/110", "transfer"), (1, "620100/12345", "transfer"),
        (2, "620100/110", "transfer"), (3, "620100/12345", "resolved")]  # max_hops 3
    assert [o[:2] for o in orders] == [("police_order", "110")]


def test_three_way_start_counts_against_max_hops(tmp_path):
    # 119 passes an unclear 12345 matter on (leg 1 at 12345); with max_hops 1 that leg may not
    # open a three-way call: 12345 handles its own matter.
    data = scenario(tmp_path, "L-UNCLEAR-LOCAL", {"119": [0]}, linkage={"max_hops": 1})
    legs, _, _, _ = run(tmp_path, data)
    assert [(leg[1], leg[2], leg[10]) for leg in legs] == [
        (0, "620100/119", "transfer"), (1, "620100/12345", "resolved")]


# -- 6. the merge what-if pools seats only --------------------------------------------------
def test_merged_calls_keep_their_own_talk_wrapup_and_patience(tmp_path):
    lines = {"12345": {"talk": {"dist": "deterministic", "value": 100},
                       "patience": {"dist": "deterministic", "value": 1000}},
             "water": {"talk": {"dist": "deterministic", "value": 300},
                       "wrapup": {"dist": "deterministic", "value": 20},
                       "patience": {"dist": "deterministic", "value": 200}}}
    data = {"name": "merge", "horizon_hours": 1, "drain_hours": 0, "replications": 1,
            "lines": lines, "merge": {"lines": ["water"], "into": "12345"},
            "centres": {"620100/12345": {"seats": 1, "arrival_times": [0]},
                        "620100/water": {"seats": 0, "arrival_times": [10, 20]}}}
    legs, _, _, _ = run(tmp_path, data)
    # 12345's call talks 100 on the only seat; the first water call is answered at 100 and
    # talks 300 + 20 wrap-up; the second water caller gives up after water's 200 s patience
    # (with 12345's 1000 s it would have been answered at 420).
    assert [(leg[2], leg[3], leg[4], leg[5], leg[7], leg[8], leg[9]) for leg in legs] == [
        ("620100/12345", 0, 0, 100, 100, 100, "answered"),
        ("620100/water", 10, 100, 400, 420, 400, "answered"),
        ("620100/water", 20, None, None, None, 220, "abandoned"),
    ]


# -- 7, 8. the bot: its own KPI, and it holds a trunk ---------------------------------------
def bot_scenario(tmp_path, calls, trunks=None):
    lines = {"12345": {"talk": {"dist": "deterministic", "value": 100}}}
    data = scenario(tmp_path, "A-LOCAL", {"12345": calls}, lines=lines)
    if trunks:
        data["centres"]["620100/12345"]["trunks"] = trunks
    data["bot"] = {"when": "always", "lines": ["12345"], "kinds": ["consultation"],
                   "contain": 1.0, "online": 0.0,
                   "bot_time": {"dist": "deterministic", "value": 60}}
    return data


def test_bot_contained_calls_are_their_own_share_not_a_service_miss(tmp_path):
    # The bot answers every consultation (A-LOCAL); work matters (I-WORK) go to the three
    # seats, each at once. Service level over human legs is 100 %, not answered / offered.
    data = bot_scenario(tmp_path, [0, 10, 20, 30, 40, 50])
    data["centres"]["620100/12345"]["seats"] = 6
    data["linkage"]["mix"]["12345"] = {"A-LOCAL": 1, "I-WORK": 1}
    legs, _, net, result = run(tmp_path, data)
    kpis = replication_kpis(to_columns(result.records), net.plans, net.scenario,
                            np.full(len(net.plans), 3600.0)).centres["620100/12345"]
    cats = [net.table.codes[CallLeg._make(r).category] for r in result.records]
    bot = cats.count("A-LOCAL")
    assert 0 < bot < len(cats)  # both kinds occur
    assert [leg[9] for leg in legs] == ["bot" if c == "A-LOCAL" else "answered" for c in cats]
    assert (kpis["offered"], kpis["bot"], kpis["human_offered"]) == (6, bot, 6 - bot)
    assert (kpis["sl15"], kpis["human_answer_rate"], kpis["p_wait"]) == (1.0, 1.0, 0.0)
    assert kpis["bot_rate"] == bot / 6
    shares = sum(kpis[k] for k in ("human_answer_rate", "abandon_rate", "block_rate",
                                   "unfinished_rate", "not_joined_rate"))
    assert shares == pytest.approx(1.0)


def test_every_call_to_the_bot_sl_is_over_human_legs_only(tmp_path):
    legs, _, net, result = run(tmp_path, bot_scenario(tmp_path, [0, 10]))
    assert [leg[9] for leg in legs] == ["bot", "bot"]
    kpis = replication_kpis(to_columns(result.records), net.plans, net.scenario,
                            np.full(len(net.plans), 3600.0))
    c = kpis.centres["620100/12345"]
    assert (c["offered"], c["bot"], c["bot_rate"], c["human_offered"]) == (2, 2, 1.0, 0)
    assert math.isnan(c["sl15"])  # no human leg: undefined, not 0 %


def test_bot_holds_a_trunk_while_it_talks(tmp_path):
    # One trunk: the bot talks to the caller of 0 until 60; the caller of 10 hears busy.
    legs, _, _, _ = run(tmp_path, bot_scenario(tmp_path, [0, 10, 70], trunks=1))
    assert [(leg[3], leg[8], leg[9]) for leg in legs] == [(0, 60, "bot"), (10, 10, "blocked"),
                                                          (70, 130, "bot")]


def test_caller_held_on_a_three_way_call_keeps_its_trunk(tmp_path):
    # 12345: two seats, one trunk. The caller of 0 is held on the conference 100-130; the
    # caller of 110 finds the only trunk taken.
    data = scenario(tmp_path, "C-UNCLEAR", {"12345": [0, 110]}, seats={"12345": 2})
    data["centres"]["620100/12345"]["trunks"] = 1
    legs, _, _, _ = run(tmp_path, data)
    second = next(leg for leg in legs if leg[0] == 1)
    assert (second[3], second[9]) == (110, "blocked")


# -- 10. patience in disasters, outages without a fallback, occupancy ------------------------
def test_transferred_leg_gets_the_disaster_patience_factor(tmp_path):
    lines = {"12345": {"talk": {"dist": "deterministic", "value": 100}},
             "110": {"talk": {"dist": "deterministic", "value": 500},
                     "patience": {"dist": "deterministic", "value": 60}}}
    data = scenario(tmp_path, "B-POLICE", {"12345": [0], "110": [50]}, lines=lines)
    data["disasters"] = [{"name": "quake", "regions": {"620100": 1.0},
                          "lines": {"110": {"peak": 1.0, "rise_hours": 0, "half_life_hours": 1000,
                                            "patience_factor": 0.5}}}]
    legs, _, _, _ = run(tmp_path, data)
    # 100 + 60 x 0.5 (the surge's slow decay over 1000 h changes the factor by < 0.01 s)
    assert (legs[1][1], legs[1][9]) == (1, "abandoned")
    assert legs[1][8] == pytest.approx(130, abs=0.01)


def test_outage_with_nowhere_to_go_leads_to_a_redial(tmp_path):
    lines = {"110": {"talk": {"dist": "deterministic", "value": 50},
                     "redial": {"after_blocked": 1.0, "max_attempts": 2,
                                "delay": {"dist": "deterministic", "value": 1800}}}}
    data = scenario(tmp_path, "B-POLICE", {"110": [0]}, lines=lines)
    data["outages"] = [{"centre": "620100/110", "start_hours": 0, "end_hours": 0.25,
                        "fallback": []}]
    legs, _, _, _ = run(tmp_path, data)
    assert [(leg[0], leg[3], leg[9]) for leg in legs] == [(0, 0, "blocked"),
                                                          (1, 1800, "answered")]


def test_occupancy_counts_seats_kept_past_their_shift_and_never_exceeds_one(tmp_path):
    from sim.experiments.replications import run_one
    lines = {"110": {"talk": {"dist": "exponential", "mean": 3500}}}
    data = scenario(tmp_path, "B-POLICE", {"110": [0, 3500]}, lines=lines,
                    seats={"110": {"hourly": [1, 0]}})
    data["lines"]["110"]["talk"] = {"dist": "deterministic", "value": 3500}
    data["horizon_hours"] = 2
    path = tmp_path / "occ.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scn = load_scenario(path)
    summary = run_one(scn, replication_seeds(scn.seed, 1)[0], 0, audit=True)
    c = summary.kpis.centres["620100/110"]
    # Busy 0-3500 and 3500-7000; on duty 3600 s, kept on 3400 s past the shift: 7000/7000.
    assert c["occupancy"] == pytest.approx(1.0)
    assert c["seat_hours"] == pytest.approx(7000 / 3600)


# -- 11. work orders follow urgency; the backlog is visible ---------------------------------
def test_desk_serves_emergency_first_with_its_own_processing_time(tmp_path):
    # Three work orders reach one department's one-order desk, signed at 160 and 260 (normal)
    # and 360 (emergency). The desk works on the first until 3760, then takes the emergency
    # (30 min) before the normal order that waited longer (first come first served would
    # close them at 7360 and 9160).
    data = scenario(tmp_path, "I-WORK", {"12345": [0, 100, 200]}, seats={"12345": 3},
                    linkage={"orders": {"desk_capacity": 1, "processing_by_urgency": {
                        "emergency": {"dist": "deterministic", "value": 1800}}}})
    data["linkage"]["mix"]["12345"] = {"I-WORK": 1}
    data["horizon_hours"] = 3
    data["centres"]["620100/12345"]["arrival_times"] = [0, 100, 200]

    def before(net):
        # the second call is an emergency work order (same department desk)
        em = net.table.codes.index("M-EMERGENCY-WORK")
        original = net.callers.first_attempt

        def arrival(i):
            if i == 2:
                net.callers.feed.categories[i] = em
            original(i)
        net.callers.first_attempt = arrival
    _, _, _, result = run(tmp_path, data, before=before)
    closed = {(o.category, o.created): o.closed for o in result.orders}
    assert closed == {("I-WORK", 100.0): 3760.0, ("I-WORK", 200.0): 9160.0,
                      ("M-EMERGENCY-WORK", 300.0): 5560.0}


def test_orders_open_at_the_horizon_are_reported_open(tmp_path):
    from sim.results.flows import order_kpis
    data = scenario(tmp_path, "I-WORK", {"12345": [0]})
    _, _, net, result = run(tmp_path, data)
    (order,) = result.orders
    assert math.isnan(order.closed) and order.on_time == -1  # due in 5 days: not yet known
    kpis = order_kpis(result.orders, 0.0, net.horizon)
    assert (kpis["all:created"], kpis["all:open"]) == (1, 1)
    assert math.isnan(kpis["all:on_time_rate"])


# -- found by review: the merge, dual orders, the bot, remote seats, bad input --------------
def merge_scenario(tmp_path, category: str, calls: list[float]) -> dict:
    lines = {"12345": {"talk": {"dist": "deterministic", "value": 100}},
             "110": {"talk": {"dist": "deterministic", "value": 50}},
             "gas": {"talk": {"dist": "deterministic", "value": 200}}}
    data = scenario(tmp_path, category, {"gas": calls}, lines=lines, seats={"gas": 0})
    data["merge"] = {"lines": ["gas"], "into": "12345"}
    return data


def test_merged_matter_is_handled_on_the_seats_it_reached(tmp_path):
    # A gas matter (owner gas, one-key) dialled at gas, merged into 12345: the 12345 seat is
    # gas's seat now, so it handles it (a work order to gas) instead of transferring it to
    # itself until max_hops.
    data = merge_scenario(tmp_path, "I-WORK", [0])
    data["linkage"]["mix"]["gas"] = {"K-GAS": 1}
    text = (tmp_path / "list.yaml").read_text(encoding="utf-8")
    (tmp_path / "list2.yaml").write_text(text.replace("mix:", """\
  - {code: K-GAS, zh: 燃气报修, en: gas repair, items: [x], owner: gas, kind: help,
     urgency: normal, handling: work_order, transfer_mode: one_key, department: 燃气公司}
mix:"""), encoding="utf-8")
    data["linkage"]["diversion_list"] = str(tmp_path / "list2.yaml")
    legs, orders, _, _ = run(tmp_path, data)
    assert [(leg[1], leg[2], leg[5], leg[10]) for leg in legs] == [
        (0, "620100/gas", 200, "work_order")]
    assert orders == [("work_order", "gas", 200.0)]


def test_merged_calls_busy_their_host_seats_not_an_empty_centre(tmp_path):
    from sim.experiments.replications import run_one
    data = merge_scenario(tmp_path, "A-LOCAL", [0, 1000])
    data["linkage"]["mix"]["gas"] = {"A-LOCAL": 1}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scn = load_scenario(path)
    kpis = run_one(scn, replication_seeds(scn.seed, 1)[0], 0, audit=True).kpis.centres
    assert math.isnan(kpis["620100/gas"]["occupancy"])  # no seats of its own
    # the one 12345 seat was busy 2 x 200 s of the hour with the merged calls
    assert kpis["620100/12345"]["occupancy"] == pytest.approx(400 / 3600)


def test_dual_handling_after_police_first_makes_one_police_order(tmp_path):
    # An unclear, dangerous dispute dialled at 110, handled dual: the three-way call with
    # 12345 does not agree, so 110 keeps it and police dispatch first (S7); the dual handling
    # then links its work order to that same police order rather than making a second.
    text = CATEGORIES.replace("mix:", EXTRA + """\
  - {code: V-DANGER-DISPUTE, zh: 危险纠纷, en: dangerous dispute, items: [x], owner: "110",
     kind: help, urgency: urgent, handling: dual, transfer_mode: one_key, danger: true,
     scope_unclear: 1.0, department: 乡镇}
mix:""")
    data = scenario(tmp_path, "V-DANGER-DISPUTE", {"110": [0]},
                    linkage={"three_way": {"agreement": 0.0}})
    (tmp_path / "list3.yaml").write_text(text, encoding="utf-8")
    data["linkage"]["diversion_list"] = str(tmp_path / "list3.yaml")
    legs, _, _, result = run(tmp_path, data)
    assert [(leg[1], leg[2], leg[10]) for leg in legs] == [
        (0, "620100/110", "transfer"), (1, "620100/12345", "returned"),
        (2, "620100/110", "dual_order")]
    kinds = [o.kind for o in result.orders]
    assert sorted(kinds) == ["police_order", "work_order"]
    work = next(o for o in result.orders if o.kind == "work_order")
    police = next(o for o in result.orders if o.kind == "police_order")
    assert work.linked_order_id == police.order_id


def test_bot_answers_when_a_waiting_caller_has_already_given_up(tmp_path):
    # Two trunks. 0: a caller the bot does not serve (a police matter) holds the only seat
    # to 100; 10: another waits and gives up at 60. At 70 the bot must see two free trunks.
    lines = {"12345": {"talk": {"dist": "deterministic", "value": 100},
                       "patience": {"dist": "deterministic", "value": 50}}}
    data = scenario(tmp_path, "B-POLICE", {"12345": [0, 10, 70]}, lines=lines)
    data["centres"]["620100/12345"]["trunks"] = 2
    data["bot"] = {"when": "always", "lines": ["12345"], "kinds": ["report"], "contain": 1.0,
                   "online": 0.0, "bot_time": {"dist": "deterministic", "value": 30}}
    data["linkage"]["mix"]["12345"] = {"B-POLICE": 1}

    def before(net):  # the first two callers ask for a human (the bot is for the third)
        original = net.bot.takes
        net.bot.takes = lambda call, centre, now: call.arrival >= 70 and \
            original(call, centre, now)
    legs, _, _, _ = run(tmp_path, data, before=before)
    third = next(leg for leg in legs if leg[3] == 70)
    assert (third[4], third[9]) == (70, "bot")


def test_new_remote_seat_is_free_while_a_sent_home_one_finishes(tmp_path):
    # A remote seat is sent home at 100 while it talks to 500; a fresh remote seat arrives at
    # 200 and answers the caller of 250 at once.
    lines = {"110": {"talk": {"dist": "deterministic", "value": 490}}}
    data = scenario(tmp_path, "B-POLICE", {"110": [10, 250]}, lines=lines, seats={"110": 0})

    def before(net):
        centre = net.centres[0]
        centre.set_seats(borrowed=1)
        Callback(lambda _e: centre.set_seats(borrowed=0)).at(net.env, 100)
        Callback(lambda _e: centre.set_seats(borrowed=1)).at(net.env, 200)
    legs, _, _, _ = run(tmp_path, data, before=before)
    assert [(leg[3], leg[4]) for leg in legs] == [(10, 10), (250, 250)]


@pytest.mark.parametrize("bad, expected", [
    ({"three_way": {"ring_seconds": math.inf}}, "ring_seconds"),
    ({"orders": {"processing_by_urgency": {"Emergency": {"dist": "deterministic",
                                                         "value": 5}}}}, "Emergency"),
])
def test_new_linkage_keys_are_checked(tmp_path, bad, expected):
    from sim.domain.errors import ScenarioError
    data = scenario(tmp_path, "A-LOCAL", {"12345": [0]}, linkage=bad)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


def test_naming_one_urgency_keeps_the_others_defaults(tmp_path):
    data = scenario(tmp_path, "A-LOCAL", {"12345": [0]}, linkage={"orders": {
        "processing_by_urgency": {"normal": {"dist": "deterministic", "value": 60}}}})
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    by_urgency = load_scenario(path).linkage.orders.processing_by_urgency
    assert set(by_urgency) == {"emergency", "urgent", "normal"}
    assert by_urgency["emergency"].mean == 3600.0 and by_urgency["normal"].mean == 60.0


def test_on_time_rate_counts_only_orders_due_by_the_end_of_observation():
    from sim.model.linkage.orders import OrderRecord
    from sim.results.flows import order_kpis

    def order(i, deadline, closed, on_time):
        return OrderRecord(i, "work_order", i, -1, "620100", "12345", "d", "c", "normal", 0.0,
                           deadline, 10.0, closed, on_time, 0, math.nan)
    orders = [order(0, 100.0, 50.0, 1),       # due and closed on time
              order(1, 100.0, math.nan, 0),   # due, still open: late
              order(2, 500.0, 60.0, 1)]       # closed early, but due after the end: left out
    kpis = order_kpis(orders, 0.0, 200.0, end=300.0)
    assert kpis["all:on_time_rate"] == 0.5  # counting the early closer would give 2/3
    assert (kpis["all:created"], kpis["all:open"]) == (3, 1)
