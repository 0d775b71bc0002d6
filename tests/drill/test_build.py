"""Building drills: reproducible bytes, answers that follow the diversion list, pace, callers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from sim.domain.lines import LINES
from sim.domain.taxonomy import load_taxonomy
from sim.drill.answers import HANDLINGS, answer_for
from sim.drill.build import DrillSpec, build_drill, default_start
from sim.drill.openings import DATA
from sim.drill.render import FILES
from sim.drill.select import MIN_GAP_S
from sim.drill.traffic import Interval, open_run

TAXONOMY = load_taxonomy()


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(built, run_dir, drill_cli,
                                                                 tmp_path):
    args = ["--from-run", run_dir, "--duration", "60m", "--trainees", 3, "--difficulty", "hard"]
    assert drill_cli(*args, "--seed", 11, "--out", tmp_path / "same").exit_code == 0
    assert drill_cli(*args, "--seed", 12, "--out", tmp_path / "other").exit_code == 0
    for name in FILES:
        assert (tmp_path / "same" / name).read_bytes() == (built / name).read_bytes(), name
    assert (tmp_path / "other" / "answers.json").read_bytes() != (built / "answers.json").read_bytes()


def check_against_list(row: dict) -> None:
    """The inject's answer, re-derived from the diversion list's fields independently."""
    c = TAXONOMY.get(row["category"])
    line = row["line"]
    assert row["owner"] == c.owner and row["priority"] == c.urgency
    assert row["handling"] in HANDLINGS
    if row["challenge"] == "ambiguous":
        assert c.scope_unclear > 0 and row["handling"] == "three_way_call"
        assert row["target_line"] == (line if c.owner == "none" else c.owner)
    elif c.owner in (line, "none"):
        expected = {"dual": "dual_order"}.get(c.handling, c.handling)
        assert (row["handling"], row["target_line"]) == (expected, line)
        if c.out_of_scope and c.kind == "out_of_scope":
            assert row["handling"] == "guidance"                          # S1
        if c.violent_dispute:
            assert row["handling"] == "dual_order"                        # S8
    else:
        mode = {"one_key": "one_key_transfer", "three_way": "three_way_call",
                "system_dispatch": "system_dispatch"}[c.transfer_mode]
        assert (row["handling"], row["target_line"]) == (mode, c.owner)
        if c.harassment and line == "12345":
            assert row["target_line"] == "110"                           # S9
    if c.danger:                                                          # S7
        assert row["first_dispatch"] in LINES
        if c.owner not in ("110", "119", "120", "122") or row["challenge"] == "ambiguous":
            assert row["first_dispatch"] == "110"
    else:
        assert row["first_dispatch"] == ""
    assert row["challenge"] in ("routine", "emergency", "misdialled", "ambiguous")


@pytest.mark.parametrize("difficulty", ["easy", "mixed", "hard"])
@pytest.mark.parametrize("seed", [1, 2])
def test_every_answer_agrees_with_the_diversion_list(run_dir, difficulty, seed):
    drill = build_drill(open_run(run_dir), DrillSpec(duration_s=7200, trainees=6,
                                                     difficulty=difficulty, seed=seed))
    assert drill.injects
    for inject in drill.injects:
        check_against_list(inject.key_row())


def test_the_answer_key_on_disk_agrees_with_the_diversion_list(built):
    rows = json.loads((built / "answers.json").read_text(encoding="utf-8"))["injects"]
    for row in rows:
        check_against_list(row)


@pytest.mark.parametrize(("code", "line", "ambiguous", "expected"), [
    ("P-CRIME", "12345", False, ("one_key_transfer", "110", "110")),
    ("F-FIRE", "110", False, ("one_key_transfer", "119", "119")),
    ("M-EMERGENCY", "120", False, ("dispatch", "120", "120")),
    ("V-DISPUTE", "110", False, ("dual_order", "110", "110")),
    ("V-DISPUTE", "12345", False, ("three_way_call", "110", "110")),
    ("H-MALICIOUS", "12345", False, ("system_dispatch", "110", "")),
    ("H-THREAT", "12345", False, ("system_dispatch", "110", "110")),
    ("X-LITIGATION", "110", False, ("guidance", "110", "")),
    ("N-INVALID", "119", False, ("resolve", "119", "")),
    ("U-GAS-LEAK", "12345", False, ("one_key_transfer", "gas", "110")),
    ("G-NOISE", "110", True, ("three_way_call", "12345", "")),
    ("G-NOISE", "110", False, ("system_dispatch", "12345", "")),
    ("G-SERVICE", "12345", False, ("resolve", "12345", "")),
])
def test_routing_rules_of_the_seed(code, line, ambiguous, expected):
    a = answer_for(TAXONOMY.get(code), line, ambiguous, talk_mean=100.0)
    assert (a.handling, a.target_line, a.first_dispatch) == expected
    assert a.priority == TAXONOMY.get(code).urgency


def test_target_time_follows_talk_time_and_urgency():
    # 110 talk mean 60 s x P-CRIME talk factor 1.3 x emergency 0.5 = 39 → 40 s
    assert answer_for(TAXONOMY.get("P-CRIME"), "110", False, 60.0).target_s == 40
    # 12345 150 s x G-LABOUR 1.4 x normal 1.0 = 210 s
    assert answer_for(TAXONOMY.get("G-LABOUR"), "12345", False, 150.0).target_s == 210


def test_pace_and_trainees(built):
    doc = json.loads((built / "answers.json").read_text(encoding="utf-8"))
    rows, meta = doc["injects"], doc["meta"]
    assert 0 < len(rows) <= 3 * 3600 // 120
    assert {r["trainee"] for r in rows} == {"T1", "T2", "T3"}
    assert [r["inject_id"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["offset_s"] for r in rows] == sorted(r["offset_s"] for r in rows)
    for trainee in ("T1", "T2", "T3"):
        offsets = [r["offset_s"] for r in rows if r["trainee"] == trainee]
        assert all(b - a >= MIN_GAP_S for a, b in zip(offsets, offsets[1:], strict=False))
    assert all(0 <= r["offset_s"] < 3600 for r in rows)
    assert meta["calls_in_window"] > len(rows)


def test_openings_are_unique_in_a_script_and_in_either_language(run_dir):
    run = open_run(run_dir)
    zh = build_drill(run, DrillSpec(duration_s=10800, trainees=12, seed=5, pace_s=30))
    en = build_drill(run, DrillSpec(duration_s=10800, trainees=12, seed=5, pace_s=30, lang="en"))
    assert len(zh.injects) > 300
    for drill in (zh, en):
        openings = [i.opening for i in drill.injects]
        assert len(set(openings)) == len(openings)
    assert [i.answer for i in zh.injects] == [i.answer for i in en.injects]
    assert all(i.opening.isascii() for i in en.injects if i.region_name.isascii())


def test_english_details_follow_the_diversion_list_items():
    details = yaml.safe_load(Path(DATA).read_text(encoding="utf-8"))["details_en"]
    for code in TAXONOMY.codes:
        assert len(details[code]) == len(TAXONOMY.get(code).items), code


def test_difficulty_sets_the_share_of_hard_calls(run_dir):
    run = open_run(run_dir)
    shares = {}
    for difficulty in ("easy", "hard"):
        drill = build_drill(run, DrillSpec(duration_s=10800, trainees=12, seed=3, pace_s=30,
                                           difficulty=difficulty))
        counts = Counter(i.challenge for i in drill.injects)
        shares[difficulty] = 1 - counts["routine"] / len(drill.injects)
    assert shares["easy"] < 0.4 < shares["hard"]


def test_categories_fall_back_to_the_line_mix_while_records_have_none(built):
    meta = json.loads((built / "answers.json").read_text(encoding="utf-8"))["meta"]
    # the model writes "-" until categories land: every category is drawn (or reshaped)
    assert sum(meta["categories"].values()) == meta["injects"]


def test_default_start_opens_just_before_a_surge(run_dir):
    run = open_run(run_dir)
    quiet = [Interval(t * 900.0, 10.0, 0.0) for t in range(12)]
    surge = [*quiet[:8], *[Interval(t * 900.0, 40.0, 0.0) for t in range(8, 12)]]
    assert default_start(run.__class__(run.directory, run.scenario, tuple(surge)), 3600) == 7200 - 600
    assert default_start(run.__class__(run.directory, run.scenario, tuple(quiet)), 3600) == 0.0


def _with_categories(run_dir: Path, out: Path, category) -> Path:
    """A copy of the run whose calls carry ``category(row)`` as their category."""
    import gzip
    import shutil

    from sim.results.records import read_calls

    shutil.copytree(run_dir, out)
    rows = list(read_calls(run_dir / "calls.csv.gz"))
    with gzip.open(out / "calls.csv.gz", "wt", encoding="utf-8", newline="") as fh:
        fh.write(",".join(rows[0]) + "\n")
        for row in rows:
            fh.write(",".join(category(row) if k == "category" else v
                              for k, v in row.items()) + "\n")
    return out


def test_a_dash_falls_back_to_the_line_mix_and_recorded_codes_are_used(run_dir, tmp_path):
    spec = DrillSpec(duration_s=3600, trainees=4, seed=9, difficulty="easy")
    dashed = _with_categories(run_dir, tmp_path / "dashed", lambda row: "-")
    fallback = build_drill(open_run(dashed), spec)
    assert fallback.meta["categories"]["record"] == 0
    assert fallback.meta["categories"]["mix"] > 0
    coded = _with_categories(run_dir, tmp_path / "coded",
                             lambda row: "G-SERVICE" if row["line"] == "12345" else "P-CRIME")
    drill = build_drill(open_run(coded), spec)
    assert drill.meta["categories"]["record"] > 0
    for inject in [*fallback.injects, *drill.injects]:
        check_against_list(inject.key_row())
        if inject.category_source == "record":
            assert inject.answer.category in ("G-SERVICE", "P-CRIME")
