"""Property-based tests: random small networks that mix the mechanisms run under the auditor.

Each example is a scenario of 2-4 centres (12345, 110, 119 in two neighbouring regions) with
random seats and shifts, trunks, talk, wrap-up, patience, redial settings that differ by line,
three-way calls (ring time, agreement), misclassification, one-key priority, orders, remote
seat borrowing, an outage, the bot and a merged utility line (S18). The auditor must find
nothing. When an example fails,
hypothesis shrinks it and prints it as a scenario file (``note``): save it and run
``hotline run FILE --audit`` to see the same violation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from test_correctness import EXTRA
from test_linkage_rules import CATEGORIES

from sim.domain.streams import replication_seeds
from sim.model.network import Network, simulate
from sim.scenario import load_scenario

CODES = ["A-LOCAL", "B-POLICE", "C-UNCLEAR", "D-GASLEAK", "E-DISPUTE", "F-HARASS", "G-OUT",
         "H-FIRE", "I-WORK", "J-DANGER-LOCAL", "L-UNCLEAR-LOCAL", "M-EMERGENCY-WORK"]
SITES = [("620100", "12345"), ("620100", "110"), ("620400", "110"), ("620400", "12345"),
         ("620100", "119")]
LIST_FILE = Path(tempfile.gettempdir()) / "hotline-property-list.yaml"


def dist(draw, low: float, high: float) -> dict:
    kind = draw(st.sampled_from(["deterministic", "exponential"]))
    value = draw(st.floats(low, high, allow_nan=False))
    return {"dist": "deterministic", "value": value} if kind == "deterministic" else \
        {"dist": "exponential", "mean": value}


@st.composite
def line_spec(draw) -> dict:
    patience = draw(st.sampled_from(["none", "det", "exp"]))
    spec = {"talk": dist(draw, 5, 400),
            "wrapup": draw(st.sampled_from([{"dist": "deterministic", "value": 0},
                                            {"dist": "deterministic", "value": 7}])),
            "redial": {"after_abandon": draw(st.sampled_from([0.0, 0.5, 1.0])),
                       "after_blocked": draw(st.sampled_from([0.0, 1.0])),
                       "max_attempts": draw(st.integers(1, 3)),
                       "delay": dist(draw, 1, 300)}}
    if patience != "none":
        spec["patience"] = dist(draw, 5, 300)
    return spec


@st.composite
def centre_spec(draw) -> dict:
    seats = draw(st.one_of(st.integers(0, 3),
                           st.lists(st.integers(0, 3), min_size=2, max_size=2)))
    spec: dict = {"seats": seats if isinstance(seats, int) else {"hourly": seats},
                  "arrival_times": sorted(draw(st.lists(st.floats(0, 7000, allow_nan=False),
                                                        max_size=10)))}
    if draw(st.booleans()):
        spec["trunks"] = draw(st.integers(1, 5))
    return spec


@st.composite
def networks(draw) -> dict:
    sites = draw(st.lists(st.sampled_from(SITES), min_size=2, max_size=4, unique=True))
    lines = sorted({line for _, line in sites})
    data: dict = {
        "name": "property", "horizon_hours": 2, "drain_hours": draw(st.sampled_from([0, 1])),
        "replications": 1, "seed": draw(st.integers(0, 2**16)),
        "lines": {line: draw(line_spec()) for line in lines},
        "centres": {f"{r}/{line}": draw(centre_spec()) for r, line in sites},
        "linkage": {
            "diversion_list": str(LIST_FILE),
            "mix": {line: {code: 1 for code in draw(st.lists(st.sampled_from(CODES), min_size=1,
                                                             max_size=4, unique=True))}
                    for line in lines},
            "accuracy": {"default": draw(st.sampled_from([0.5, 0.9, 1.0]))},
            "transfer_priority": draw(st.booleans()),
            "max_hops": draw(st.integers(1, 3)),
            "three_way": {"negotiation": dist(draw, 1, 120),
                          "agreement": draw(st.sampled_from([0.0, 0.5, 1.0])),
                          "ring_seconds": draw(st.floats(1, 200, allow_nan=False))},
            "orders": {"processing": dist(draw, 60, 3600),
                       "desk_capacity": draw(st.integers(1, 3)),
                       "reopen": draw(st.sampled_from([0.0, 0.3]))},
        },
    }
    keys = list(data["centres"])
    if draw(st.booleans()):
        start = draw(st.floats(0, 1.5, allow_nan=False))
        down = draw(st.sampled_from(keys))
        fallback = draw(st.lists(st.sampled_from([k for k in keys if k != down]), max_size=1))
        data["outages"] = [{"centre": down, "start_hours": start, "end_hours": start + 0.5,
                            "fallback": fallback}]
    borrow_lines = [ln for ln in ("110", "12345") if sum(k.endswith(f"/{ln}") for k in keys) > 1]
    if borrow_lines and draw(st.booleans()):
        data["borrowing"] = [{
            "line": draw(st.sampled_from(borrow_lines)), "check_minutes": 5, "window_minutes": 10,
            "trigger": {"service_level_below": 0.9, "min_calls": 0, "hold_minutes": 5},
            "release": {"service_level_above": 0.95, "hold_minutes": 10},
            "activation_minutes": draw(st.sampled_from([0, 10])), "cap": 3, "step": 2,
            "donor_floor": 0.0, "donor_min_seats": 0, "donor_margin": 0.0,
            "pool_seats": draw(st.integers(0, 2))}]
    if "620100/12345" in keys and draw(st.booleans()):  # S18: a utility line merged in
        data["lines"]["water"] = draw(line_spec())
        data["centres"]["620100/water"] = draw(centre_spec())
        data["linkage"]["mix"]["water"] = {code: 1 for code in draw(
            st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True))}
        data["merge"] = {"lines": ["water"], "into": "12345"}
    if "12345" in lines and draw(st.booleans()):
        data["bot"] = {"when": "always", "lines": ["12345"],
                       "kinds": ["consultation", "help", "report"],
                       "contain": draw(st.sampled_from([0.0, 0.4, 1.0])), "online": 0.0,
                       "bot_time": dist(draw, 5, 120)}
    return data


def setup_module() -> None:
    LIST_FILE.write_text(CATEGORIES.replace("mix:", EXTRA + "mix:"), encoding="utf-8")


@settings(max_examples=320, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_networks_keep_every_invariant(data: dict) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    note(f"scenario file (save it and run `hotline run FILE --audit`):\n{text}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "property.yaml"
        path.write_text(text, encoding="utf-8")
        scenario = load_scenario(path)
    seq = replication_seeds(scenario.seed, 1)[0]
    result = simulate(scenario, seq, network=Network(scenario, seq, audit=True))
    assert result.violations == []
