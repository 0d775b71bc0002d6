"""hotline compare: paired differences, the centres that changed first, variants, errors."""

from __future__ import annotations

import json

import pytest

from sim.errors import InputError
from sim.report.compare import compare_runs, parse_variant, split_top_level


def test_variant_parsing():
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

    # Two seeds of one scenario: every null hypothesis is true, so each paired test flags a
    # difference with probability 5 %. Of ~18 rows (strongly correlated) a handful at most may
    # be flagged by chance; the centre rows are BH-adjusted and the inputs are the same.
    dirs = [run_scenario(stationary, replications=5, seed=s, jobs=2,
                         out_dir=tmp_path / f"seed{s}").directory for s in (101, 202)]
    result = rcli("compare", *dirs, "--out", tmp_path / "cmp")
    assert result.exit_code == 0
    c = compare_runs(dirs)
    flagged = [(r.group, r.kpi) for r in c.rows if r.significant[1]]
    assert len(flagged) <= len(c.rows) // 3, flagged
    assert not any(r.inputs for r in c.changes[0])
    assert "no common random numbers" in result.output  # the seeds differ: said so
    assert {r.kpi for r in c.rows} >= {"sl20", "abandon_rate", "asa", "occupancy"}
    doc = json.loads((dirs[0] / "kpis.json").read_text())
    assert doc["seed"] == 101


def test_compare_bad_input_exits_2(rcli, stationary, tmp_path):
    assert rcli("compare", tmp_path).exit_code == 2  # one directory, not a run
    assert rcli("compare", tmp_path, tmp_path).exit_code == 2  # no kpis.json
    assert rcli("compare", stationary, "--variant", "bad").exit_code == 2
    assert rcli("compare", stationary, "--variant", "a:lines.110.talk.mean=-1").exit_code == 2


def test_unknown_kpi_and_selection_exit_2_listing_the_valid_names(rcli, stationary, tmp_path):
    out = tmp_path / "cmp"
    result = rcli("compare", stationary, "--variant", "a:", "--variant", "b:", "--kpi", "sl99",
                  "--out", out, "-q")
    assert result.exit_code == 2 and "valid KPIs:" in result.output and "abandon_rate" in result.output
    assert not out.exists()  # nothing run, nothing written
    result = rcli("compare", stationary, "--variant", "a:", "--variant", "b:", "--centre",
                  "622900/110", "--out", out, "-q")
    assert result.exit_code == 2 and "620100/110" in result.output and not out.exists()


@pytest.mark.slow
def test_halving_linxia_110_seats_shows_that_centre_first_and_significant(rcli, tmp_path):
    from sim.paths import DEFAULT_SCENARIO

    out = tmp_path / "cmp"
    result = rcli("compare", DEFAULT_SCENARIO, "--set", "horizon_hours=24", "--variant", "base:",
                  "--variant", "half:centres.622900/110.seats.peak=2", "-r", 4, "-j", 2,
                  "--out", out, "-q")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].strip().startswith("622900/110 临夏回族自治州 Linxia 110")
    assert "inputs differ: seats" in lines[1]
    c = compare_runs([out / "base", out / "half"])
    first = c.changes[0][0]
    assert (first.kind, first.key, first.kpi) == ("centre", "622900/110", "sl15")
    assert first.diff.high < 0 and first.significant  # SL fell, paired interval below 0
    assert lines[2].rstrip().endswith("*") and "[" in lines[2]
    # the other centres' inputs are the same; only Linxia's region shares the change
    assert {r.key for r in c.changes[0] if r.inputs} == {"622900/110", "622900"}
    narrowed = rcli("compare", out / "base", out / "half", "--region", "622900", "--kpi",
                    "abandon_rate", "--out", out)
    keys = [ln.split()[0] for ln in narrowed.output.splitlines()[1:7] if ln.startswith("  6")]
    assert keys[0] == "622900/110" and set(keys) <= {"622900", *(f"622900/{x}" for x in
                                                              ("110", "119", "120", "122", "12345"))}
