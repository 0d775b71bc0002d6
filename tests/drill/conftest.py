"""Fixtures for drill tests: a small real run, and the `hotline` group with `drill` registered."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

SMALL = {
    "name": "drill-small",
    "description": "four centres, three hours: traffic for drill tests",
    "seed": 7,
    "horizon_hours": 3,
    "drain_hours": 0.5,
    "replications": 1,
    "lines": {
        "12345": {"talk": {"dist": "exponential", "mean": 150}},
        "110": {"talk": {"dist": "exponential", "mean": 60},
                "patience": {"dist": "exponential", "mean": 60}},
        "119": {"talk": {"dist": "exponential", "mean": 75}},
        "120": {"talk": {"dist": "exponential", "mean": 120}},
    },
    "centres": {
        # a scripted burst of 120 calls at 1:30-1:50 (not in the normal level): a surge
        "620100/12345": {"calls_per_day": 2400, "seats": 12,
                         "arrival_times": [5400.0 + 10.0 * k for k in range(120)]},
        "620100/110": {"calls_per_day": 2400, "seats": 6},
        "620200/119": {"calls_per_day": 400, "seats": 3},
        "620200/120": {"calls_per_day": 600, "seats": 4},
    },
}


@pytest.fixture(scope="session")
def small_scenario(tmp_path_factory) -> Path:
    """A small scenario file (four centres, three hours)."""
    path = tmp_path_factory.mktemp("scenario") / "drill-small.yaml"
    path.write_text(yaml.safe_dump(SMALL, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def run_dir(small_scenario, tmp_path_factory) -> Path:
    """A run directory of the small scenario (one replication), shared by the session."""
    from sim.experiments.runner import prepare, run_scenario

    out = tmp_path_factory.mktemp("run") / "run"
    run_scenario(prepare(small_scenario, replications=1), out_dir=out)
    return out


@pytest.fixture(scope="session")
def hotline() -> click.Group:
    """The root `hotline` group (exit code 2 on InputError) with `drill` registered (and its
    endpoint-profile sender installed, as the root cli.py does)."""
    from cli import HotlineGroup
    from loadtest.commands import install_drill_sender
    from sim.commands.drill import drill

    install_drill_sender(drill)

    root = HotlineGroup(name="hotline", context_settings={"help_option_names": ["-h", "--help"]})
    root.add_command(drill)
    return root


@pytest.fixture
def drill_cli(hotline):
    """Invoke `hotline drill ...` in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(hotline, ["drill", *[str(a) for a in args]], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def built(run_dir, tmp_path_factory, hotline) -> Path:
    """A drill directory built from the small run: 60 minutes, 3 trainees, hard, seed 11."""
    out = tmp_path_factory.mktemp("drill") / "d"
    result = CliRunner().invoke(hotline, ["drill", "--from-run", str(run_dir), "--duration",
                                          "60m", "--trainees", "3", "--difficulty", "hard",
                                          "--seed", "11", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def four(run_dir, tmp_path_factory, hotline) -> Path:
    """A live-drill directory of four injects over ten minutes for two trainees."""
    from .live_support import FOUR_INJECTS

    out = tmp_path_factory.mktemp("four") / "d"
    result = CliRunner().invoke(hotline, ["drill", "--from-run", str(run_dir), *FOUR_INJECTS,
                                          "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out
