"""Summarising a replication needs its records and a plain layout, not a live ``Network``."""

from __future__ import annotations

import gzip

import numpy as np
import yaml

from sim.model.calls import ABANDONED, ANSWERED, Call
from sim.model.linkage.categories import category_table
from sim.model.network import ReplicationResult
from sim.model.record import unpack_record
from sim.results.summary import Layout, summarise_replication
from sim.scenario import load_scenario
from sim.scenario.plan import build_plans


def _scenario(tmp_path):
    data = {"name": "by-hand", "horizon_hours": 1, "drain_hours": 0, "replications": 1,
            "lines": {"12345": {"talk": {"dist": "deterministic", "value": 100}}},
            "centres": {"620100/12345": {"seats": 1, "arrival_times": [10.0]}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_scenario(path)


def _leg(call_id: int, arrival: float, wait: float, outcome: int) -> tuple:
    call = Call(call_id, call_id, 1, 0, 0, arrival, arrival + 600.0)
    if outcome == ANSWERED:
        call.answered, call.talk_end = arrival + wait, arrival + wait + 100.0
        return unpack_record(call.record(call.talk_end, call.talk_end, outcome))
    return unpack_record(call.record(float("nan"), arrival + wait, outcome))


def test_summarise_hand_written_records(tmp_path):
    scn = _scenario(tmp_path)
    plans = build_plans(scn)
    table = category_table(scn)
    layout = Layout(plans=plans, serving=[0], table=table, line_names=["12345"],
                    category_codes=list(table.codes))
    records = [_leg(0, 100.0, 5.0, ANSWERED), _leg(1, 200.0, 40.0, ANSWERED),
               _leg(2, 300.0, 50.0, ABANDONED)]
    result = ReplicationResult(index=3, records=records,
                               seats_by_hour=np.vstack([p.seats_by_hour for p in plans]),
                               end_time=scn.horizon)
    summary = summarise_replication(result, layout, scn)
    overall = summary.kpis.overall
    assert (overall["offered"], overall["answered"], overall["abandoned"]) == (3, 2, 1)
    assert np.isclose(overall["abandon_rate"], 1 / 3)
    assert np.isclose(overall["asa"], (5.0 + 40.0) / 2)
    rows = gzip.decompress(summary.calls_gz).decode().splitlines()
    assert [r.split(",")[:3] for r in rows] == [["3", "0", "0"], ["3", "1", "0"], ["3", "2", "0"]]
    assert summary.sections == {} and summary.files == {} and summary.calls == 3
