"""hotline compare: significance by non-overlapping 95 % CIs, variants, errors."""

from __future__ import annotations

import json

import pytest

from sim.errors import InputError
from sim.report.compare import ci_overlap, compare_runs, parse_variant, split_top_level


def test_ci_overlap_and_variant_parsing():
    assert ci_overlap({"ci95": [0, 1]}, {"ci95": [1, 2]}) is True
    assert ci_overlap({"ci95": [0, 1]}, {"ci95": [1.1, 2]}) is False
    assert ci_overlap({"ci95": [None, None]}, {"ci95": [1, 2]}) is None
    assert parse_variant("more:a.b=3,c.d=[1,2]") == ("more", ["a.b=3", "c.d=[1,2]"])
    assert parse_variant("base:") == ("base", [])
    assert split_top_level("a={x: 1, y: 2},b='p,q'") == ["a={x: 1, y: 2}", "b='p,q'"]
    for bad in ("nocolon", ":a=1", "n:a", "../x:a=1"):
        with pytest.raises(InputError, match="--variant"):
            parse_variant(bad)


def test_compare_flags_clearly_different_variants(rcli, stationary, tmp_path):
    out = tmp_path / "cmp"
    result = rcli("compare", stationary, "--variant", "base:", "--variant",
                  "more:centres.620100/110.seats=13", "-r", 5, "-j", 2, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    c = compare_runs([out / "base", out / "more"])
    sig = {(r.group, r.kpi): r.significant[1] for r in c.rows}
    assert sig[("110", "sl20")] and sig[("all", "abandon_rate")] and sig[("all", "asa")]
    assert sig[("all", "offered")] is False  # same seed: common random numbers, same arrivals
    assert "*" in result.output and (out / "compare.html").exists()
    html = (out / "compare.html").read_text()
    assert 'class="sig"' in html and "Significant differences found." in html


def test_compare_finds_nothing_between_two_seeds_of_one_scenario(rcli, stationary, tmp_path):
    from sim.runner import run_scenario

    # Non-overlap of two 95 % CIs of one distribution has probability well under 1 % per KPI;
    # the seeds are fixed, so this cannot flake.
    dirs = [run_scenario(stationary, replications=5, seed=s, jobs=2,
                         out_dir=tmp_path / f"seed{s}").directory for s in (101, 202)]
    result = rcli("compare", *dirs, "--out", tmp_path / "cmp")
    assert result.exit_code == 0
    c = compare_runs(dirs)
    assert not c.any_significant, [(r.group, r.kpi) for r in c.rows if r.significant[1]]
    assert "No significant differences." in (tmp_path / "cmp" / "compare.html").read_text()
    assert {r.kpi for r in c.rows} >= {"sl20", "abandon_rate", "asa", "occupancy"}
    doc = json.loads((dirs[0] / "kpis.json").read_text())
    assert doc["seed"] == 101


def test_compare_bad_input_exits_2(rcli, stationary, tmp_path):
    assert rcli("compare", tmp_path).exit_code == 2  # one directory, not a run
    assert rcli("compare", tmp_path, tmp_path).exit_code == 2  # no kpis.json
    assert rcli("compare", stationary, "--variant", "bad").exit_code == 2
    assert rcli("compare", stationary, "--variant", "a:lines.110.talk.mean=-1").exit_code == 2
