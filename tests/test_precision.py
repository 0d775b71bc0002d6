"""``--precision``: replications are added in batches until each named half-width is met."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from cli import main
from sim.domain.errors import InputError
from sim.domain.paths import SCENARIOS_DIR
from sim.experiments.precision import (
    MIN_BATCH,
    estimates,
    parse_target,
    parse_targets,
    run_to_precision,
)
from sim.experiments.replications import run_replications
from sim.scenario import load_scenario

MMC = SCENARIOS_DIR / "validation" / "mmc-12.yaml"


@pytest.fixture(scope="module")
def small():
    """M/M/12 at 83 % load, 40 minutes measured per replication: a wide service level."""
    return load_scenario(MMC, ["horizon_hours=1.0", "warmup_hours=0.33", "drain_hours=0.2",
                               "replications=3"])


def test_targets_parse_by_scope(small):
    line = parse_target("110:sl20=0.01", small)
    assert (line.group, line.name, line.kpi, line.half_width) == ("lines", "110", "sl20", 0.01)
    assert parse_target("620100/110:abandon_rate=0.005", small).group == "centres"
    assert parse_target("620100:p_wait=0.02", small).group == "regions"
    assert parse_target("mean_wait=2", small).group == "overall"


@pytest.mark.parametrize("text, message", [
    ("110:sl99=0.01", "unknown KPI 'sl99'"),
    ("119:sl20=0.01", "unknown line or region '119'"),
    ("622900/110:sl20=0.01", "unknown centre '622900/110'"),
    ("110:sl20=0", "must be a positive number"),
    ("110:sl20=abc", "must be a positive number"),
    ("110:sl20", "expected KPI=HALFWIDTH"),
])
def test_bad_targets_name_the_argument(small, text, message):
    with pytest.raises(InputError, match=message) as err:
        parse_targets([text], small)
    assert "--precision" in str(err.value) and text in str(err.value)


def test_stops_at_the_first_batch_that_meets_the_target(small):
    targets = parse_targets(["110:sl20=0.03", "p_wait=0.04"], small)
    summaries, outcome = run_to_precision(small, targets, max_replications=200, jobs=1)
    assert all(outcome.met) and len(outcome.batches) >= 2
    assert outcome.batches[0] == small.replications and sum(outcome.batches) == len(summaries)
    # At every earlier batch boundary at least one target was still unmet; at the last, none.
    ends = [sum(outcome.batches[:k + 1]) for k in range(len(outcome.batches))]
    for end in ends[:-1]:
        ests = estimates(targets, summaries[:end])
        assert not all(e.half_width <= t.half_width for e, t in zip(ests, targets, strict=True))
    assert all(e.half_width <= t.half_width for e, t in zip(outcome.estimates, targets, strict=True))
    assert all(b >= MIN_BATCH for b in outcome.batches[1:])
    # Replication i keeps its seed: the run is the plain run of that many replications.
    plain = run_replications(small.model_copy(update={"replications": len(summaries)}))
    assert [s.kpis for s in plain] == [s.kpis for s in summaries]


def test_the_cap_stops_the_run_and_says_so(small):
    targets = parse_targets(["110:sl20=0.0001"], small)
    summaries, outcome = run_to_precision(small, targets, max_replications=6)
    assert len(summaries) == 6 and outcome.met == (False,)
    assert "NOT met after 6 replications" in outcome.describe()


def test_cli_precision_run_reports_and_writes(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, [
        "run", str(MMC), "--set", "horizon_hours=1", "--set", "warmup_hours=0.33", "-r", "2",
        "-j", "1", "--precision", "110:sl20=0.05", "--max-replications", "8", "--no-report",
        "--no-variants", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "precision:" in res.output
    doc = json.loads((out / "kpis.json").read_text())
    assert 2 < doc["replications"] <= 8
    hw = (doc["lines"]["110"]["sl20"]["ci95"][1] - doc["lines"]["110"]["sl20"]["ci95"][0]) / 2
    assert ("every target met" in res.output) == (hw <= 0.05 + 1e-9)
    assert not math.isnan(hw)


@pytest.mark.parametrize("args", [["--precision", "110:nope=0.1"], ["--max-replications", "4"]])
def test_cli_bad_precision_exits_2_and_writes_nothing(tmp_path, args):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", str(MMC), "--no-report", "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert not out.exists()
