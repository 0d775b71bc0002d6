"""Common random numbers: variants stay in step wherever their inputs do not differ.

Every caller's draws are keyed to the caller (sim.domain.draws), and every stream is named after its
centre or region, so changing one centre's seats changes nothing in regions it cannot reach.
"""

from __future__ import annotations

from collections import Counter

import yaml

from sim.domain.streams import replication_seeds
from sim.model.calls import CallLeg
from sim.model.network import Network, simulate
from sim.scenario import load_scenario

REGIONS = ("620100", "620400", "620500")  # no region lacks a line here, so none borrows another's
LINES = {
    "12345": {"talk": {"dist": "lognormal", "mean": 150, "cv": 0.8},
              "wrapup": {"dist": "exponential", "mean": 20},
              "patience": {"dist": "exponential", "mean": 90},
              "redial": {"after_abandon": 0.6, "after_blocked": 0.8,
                         "delay": {"dist": "exponential", "mean": 300}}},
    "110": {"talk": {"dist": "exponential", "mean": 90},
            "patience": {"dist": "exponential", "mean": 60},
            "redial": {"after_abandon": 0.3, "delay": {"dist": "exponential", "mean": 120}}},
}


def scenario_file(tmp_path, seats_110_first: int):
    centres = {f"{r}/{line}": {"calls_per_day": 2000, "seats": 4, "trunks": 8}
               for r in REGIONS for line in LINES}
    centres[f"{REGIONS[0]}/110"]["seats"] = seats_110_first
    data = {"name": "crn", "horizon_hours": 6, "drain_hours": 1, "replications": 1, "seed": 7,
            "lines": LINES, "centres": centres,
            "linkage": {"accuracy": {"default": 0.9},
                        "three_way": {"agreement": 0.5, "ring_seconds": 45}},
            "bot": {"when": "always", "lines": ["12345"], "contain": 0.2, "online": 0.1}}
    path = tmp_path / f"crn-{seats_110_first}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _value(v):
    """Comparable cells: NaN (a time that did not happen) is None, so it equals itself."""
    if isinstance(v, float):
        return None if v != v else round(v, 9)
    return v


def legs_by_centre(path) -> tuple[dict[str, Counter], list]:
    scenario = load_scenario(path)
    seq = replication_seeds(scenario.seed, 1)[0]
    net = Network(scenario, seq, audit=True)
    result = simulate(scenario, seq, network=net)
    assert result.violations == []
    keys = [p.key for p in net.plans]
    out: dict[str, Counter] = {}
    for r in result.records:
        leg = CallLeg._make(r)._asdict()
        centre = keys[leg.pop("centre")]
        for run_wide_id in ("call_id", "caller_id", "redial_of", "incident_id"):
            leg.pop(run_wide_id)  # counters in creation order across the whole network
        out.setdefault(centre, Counter())[tuple(_value(v) for v in leg.values())] += 1
    return out, result.orders


def test_other_regions_are_identical_when_one_centre_changes_its_seats(tmp_path):
    base, base_orders = legs_by_centre(scenario_file(tmp_path, 4))
    fewer, fewer_orders = legs_by_centre(scenario_file(tmp_path, 1))
    changed = [k for k in base if base[k] != fewer.get(k)]
    assert f"{REGIONS[0]}/110" in changed  # the variant did change something ...
    assert all(k.startswith(REGIONS[0]) for k in changed), changed  # ... only in its region
    for region in REGIONS[1:]:
        orders = [[(o.kind, o.line, o.category, _value(o.created), _value(o.closed))
                   for o in orders if o.region == region] for orders in (base_orders,
                                                                         fewer_orders)]
        assert orders[0] == orders[1] and orders[0]
