"""hotline compare: paired differences, the centres that changed first, variants, errors."""

from __future__ import annotations

import json

import pytest

from sim.domain.errors import InputError
from sim.experiments.variants import parse_variant, split_top_level
from sim.report.compare import compare_runs


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
    from sim.experiments.runner import prepare, run_scenario

    # Two seeds of one scenario: every null hypothesis is true, so each paired test flags a
    # difference with probability 5 %. Of ~18 rows (strongly correlated) a handful at most may
    # be flagged by chance; the centre rows are BH-adjusted and the inputs are the same.
    dirs = [run_scenario(prepare(stationary, replications=5, seed=s), jobs=2,
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
    from sim.domain.paths import DEFAULT_SCENARIO

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


def test_seats_are_compared_on_the_clock_hours_both_runs_cover(stationary):
    from sim.results.changes import input_changes
    from sim.scenario import load_scenario

    base = load_scenario(stationary)
    shorter = load_scenario(stationary, ["horizon_hours=3"])
    later = load_scenario(stationary, ["start=2024-01-01T02:00:00+08:00"])
    assert input_changes(base, shorter) == {} and input_changes(shorter, base) == {}
    assert input_changes(base, later) == {}  # constant seats: same in every clock hour
    fewer = load_scenario(stationary, ["horizon_hours=3", "centres.620100/110.seats=9"])
    assert input_changes(base, fewer) == {"620100/110": ("seats",)}
    day = ["horizon_hours=24", "centres.620100/110.seats={hourly: "
           + str([10] * 12 + [11] * 12) + "}"]
    a = load_scenario(stationary, [*day, "start=2024-01-01T00:00:00+08:00"])
    b = load_scenario(stationary, [*day, "start=2024-01-01T06:00:00+08:00", "horizon_hours=6"])
    assert input_changes(a, b) == {}  # 06:00-12:00 both have 10 seats at every clock hour
    c = load_scenario(stationary, [*day, "start=2024-01-01T09:00:00+08:00", "horizon_hours=6"])
    assert input_changes(a, c) == {}
    shifted = ["horizon_hours=6", "centres.620100/110.seats={hourly: "
               + str([11] * 12 + [10] * 12) + "}", "start=2024-01-01T06:00:00+08:00"]
    assert input_changes(a, load_scenario(stationary, shifted)) == {"620100/110": ("seats",)}


def test_compare_of_runs_with_different_horizons_says_so_first(rcli, stationary, tmp_path):
    out = tmp_path / "cmp"
    result = rcli("compare", stationary, "--variant", "long:", "--variant",
                  "short:horizon_hours=3", "-r", 3, "-j", 2, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("note: short and long differ in horizon 3 h vs 5 h"), first
    assert "inputs differ" not in result.output
    c = compare_runs([out / "long", out / "short"])
    assert not any(r.inputs for r in c.changes[0])


def test_a_selection_lists_no_unchanged_centre_and_names_inputs_it_hides(rcli, stationary,
                                                                        write_scenario,
                                                                        tmp_path):
    from tests.report.conftest import STATIONARY

    two = write_scenario({**STATIONARY, "centres": {
        "620100/110": {"calls_per_day": 12960, "seats": 10},
        "620200/110": {"calls_per_day": 12960, "seats": 10}}}, "two.yaml")
    out = tmp_path / "cmp"
    result = rcli("compare", two, "--variant", "base:", "--variant",
                  "fewer:centres.620200/110.seats=8", "-r", 3, "-j", 2, "--out", out, "-q",
                  "--centre", "620100/110")
    assert result.exit_code == 0, result.output
    assert "No selected centre or region of fewer differs" in result.output
    assert "  620100/110" not in result.output  # unchanged: not listed as changed
    assert "Inputs also differ outside the selection (not shown): 620200/110" in result.output
    assert "seats" in result.output.split("outside the selection")[1].splitlines()[0]
    html = (out / "compare.html").read_text()
    assert "Inputs also differ outside the selection" in html
    c = compare_runs([out / "base", out / "fewer"])
    assert [r.key for r in c.changes[0] if r.inputs][:1] == ["620200/110"]
