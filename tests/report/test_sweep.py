"""hotline sweep: the grid, its table and plots."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy import stats

from sim.domain.errors import InputError
from sim.experiments.sweep import grid, parse_vary


def test_parse_vary_and_grid():
    assert parse_vary("a.b=1,2,3") == ("a.b", ["1", "2", "3"])
    assert parse_vary("x=[1,2],[3,4]") == ("x", ["[1,2]", "[3,4]"])
    assert grid([("a", ["1", "2"]), ("b", ["x", "y"])]) == [("1", "x"), ("1", "y"), ("2", "x"),
                                                            ("2", "y")]
    for bad in ("novalues", "a=", "a=1,,2", "=1"):
        with pytest.raises(InputError, match="--vary"):
            parse_vary(bad)


@pytest.mark.slow
def test_sweep_writes_table_and_plots_and_sl_rises_with_seats(rcli, stationary, tmp_path):
    out = tmp_path / "sweep"
    result = rcli("sweep", stationary, "--vary", "centres.620100/110.seats=9,12",
                  "--vary", "lines.110.patience.mean=30,90", "-r", 4, "-j", 2, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    sl = {(r["centres.620100/110.seats"], r["lines.110.patience.mean"]): float(r["mean"])
          for r in rows if r["group"] == "110" and r["kpi"] == "sl20"}
    assert len(sl) == 4
    assert sl[("12", "30")] > sl[("9", "30")] and sl[("12", "90")] > sl[("9", "90")]
    for kpi in ("human_answer_rate", "abandon_rate", "asa", "occupancy", "sl20"):
        for ext in ("png", "svg"):
            assert (out / "plots" / f"sweep-{kpi}.{ext}").stat().st_size > 1000
    assert (out / "sweep.html").exists() and (out / "sweep.json").exists()
    assert len(result.output.splitlines()) >= 6
    # each point after the first names the centre whose inputs it changes, first
    assert result.output.splitlines()[1].startswith("  620100/110 兰州市 Lanzhou 110")
    assert "inputs differ: patience" in result.output and "inputs differ: seats" in result.output
    # the line table gives Δ ± half-width and p against the first point, as compare does
    assert "Δ = point − first point" in result.output
    doc = json.loads((out / "sweep.json").read_text())
    entries = [doc["points"][i]["kpis"]["lines"]["110"]["sl20"] for i in (0, 2)]
    assert doc["points"][2]["values"]["centres.620100/110.seats"] == "12"
    # a ratio KPI: the difference of the ratios of totals, delta method on paired replications
    (vb, wb), (vv, wv) = ((np.array(e["values"]), np.array(e["weights"])) for e in entries)
    rb, rv = (vb * wb).sum() / wb.sum(), (vv * wv).sum() / wv.sum()
    diffs = (vv * wv - rv * wv) / wv.mean() - (vb * wb - rb * wb) / wb.mean()
    half = stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs))
    row = next(ln for ln in result.output.splitlines()
               if ln.split()[:2] == ["12", "30"] and ("p<" in ln or "p=" in ln))
    assert f"{100 * (rv - rb):+.1f}±{100 * half:.1f} pp" in row and "*" in row


def test_sweep_unknown_kpi_is_exit_2_before_any_run(rcli, stationary, tmp_path):
    out = tmp_path / "sweep"
    result = rcli("sweep", stationary, "--vary", "centres.620100/110.seats=9,12", "--kpi",
                  "answer_rate", "--out", out, "-q")
    assert result.exit_code == 2 and "valid KPIs:" in result.output
    assert "human_answer_rate" in result.output and not out.exists()


def test_sweep_with_a_selection_names_the_inputs_it_hides(rcli, write_scenario, tmp_path):
    from tests.report.conftest import STATIONARY

    two = write_scenario({**STATIONARY, "replications": 2, "centres": {
        "620100/110": {"calls_per_day": 12960, "seats": 10},
        "620200/110": {"calls_per_day": 12960, "seats": 10}}}, "two.yaml")
    result = rcli("sweep", two, "--vary", "centres.620200/110.seats=10,8", "-r", 2, "-j", 2,
                  "--out", tmp_path / "sw", "-q", "--centre", "620100/110")
    assert result.exit_code == 0, result.output
    assert "No selected centre or region of seats=8 differs" in result.output
    assert "Inputs also differ outside the selection (not shown): 620200/110" in result.output
