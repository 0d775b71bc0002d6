"""Fixtures of the report tests: small scenarios, a short baseline run, the report commands."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

STATIONARY = {  # M/M/c+M: lambda 9/min, exponential talk 60 s and patience 60 s
    "name": "stationary", "seed": 11, "horizon_hours": 5, "warmup_hours": 1, "drain_hours": 0,
    "replications": 10, "service_level_seconds": [20],
    "lines": {"110": {"talk": {"dist": "exponential", "mean": 60},
                      "patience": {"dist": "exponential", "mean": 60},
                      "target": {"seconds": 20, "level": 0.8}}},
    "centres": {"620100/110": {"calls_per_day": 12960, "seats": 10}},
}


@pytest.fixture
def stationary(write_scenario) -> Path:
    """The single-centre stationary M/M/c+M scenario as a file."""
    return write_scenario(STATIONARY, "stationary.yaml")


@pytest.fixture
def rcli():
    """Invoke compare/sweep/staff/report inside a group that maps InputError to exit 2."""
    from cli import HotlineGroup
    from sim.commands.analysis import compare, report, roster, staff, sweep

    group = HotlineGroup(name="hotline", commands={c.name: c for c in
                                                   (compare, sweep, staff, report, roster)})
    runner = CliRunner()

    def invoke(*args: object) -> click.testing.Result:
        return runner.invoke(group, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory) -> Path:
    """The default scenario shortened to 24 h, 2 replications: a run directory."""
    from sim.domain.paths import DEFAULT_SCENARIO
    from sim.experiments.runner import prepare, run_scenario

    out = tmp_path_factory.mktemp("baseline") / "run"
    run_scenario(prepare(DEFAULT_SCENARIO, ["horizon_hours=24"], replications=2), jobs=2,
                 out_dir=out)
    return out
