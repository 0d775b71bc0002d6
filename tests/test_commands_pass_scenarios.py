"""Every command loads its scenario once and hands the library the ``Scenario``, never its path
(issue 15): each library entry point is replaced by a recorder that stops the command."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sim.scenario import Scenario

SHORT = ("--set", "horizon_hours=2", "--set", "drain_hours=0")


class Stop(Exception):
    """Raised by a recorder: the command got as far as calling the library."""


@pytest.fixture
def calls(monkeypatch):
    """``record(module, name)`` replaces ``module.name`` by a recorder of its first argument."""
    seen: dict[str, object] = {}

    def record(module, name: str, result=None):
        def recorder(first, *_args, **_kwargs):
            seen[name] = first
            if result is None:
                raise Stop(name)
            return result(first)

        monkeypatch.setattr(module, name, recorder)

    record.seen = seen
    return record


def _stopped(cli, *args) -> None:
    with pytest.raises(Stop):
        cli(*args)


def _assert_scenario(seen: dict, name: str, expected: str = "gansu-baseline") -> Scenario:
    scn = seen[name]
    assert isinstance(scn, Scenario), f"{name} got {scn!r}, not a Scenario"
    assert scn.name == expected and scn.horizon_hours == 2
    return scn


def test_run_passes_the_scenario_and_its_variants_base(cli, calls, tmp_path):
    import sim.experiments.runner
    import sim.experiments.variants

    calls(sim.experiments.runner, "run_scenario",
          result=lambda scn: SimpleNamespace(scenario=scn, directory=tmp_path))
    calls(sim.experiments.variants, "run_declared_variants")
    _stopped(cli, "run", "gansu-baseline", *SHORT, "-r", 3, "--seed", 4, "-q", "--no-report")
    run = _assert_scenario(calls.seen, "run_scenario")
    variants = _assert_scenario(calls.seen, "run_declared_variants")
    assert (run.replications, run.seed) == (3, 4) and variants == run


def test_run_with_precision_gives_the_variants_the_replications_it_needed(cli, calls, tmp_path):
    import sim.experiments.runner
    import sim.experiments.variants

    calls(sim.experiments.runner, "run_scenario", result=lambda scn: SimpleNamespace(
        scenario=scn.model_copy(update={"replications": 7}), directory=tmp_path))
    calls(sim.experiments.variants, "run_declared_variants")
    _stopped(cli, "run", "gansu-baseline", *SHORT, "--precision", "sl15=0.5", "-q",
             "--no-report")
    assert _assert_scenario(calls.seen, "run_declared_variants").replications == 7


def test_check_passes_the_scenario(cli, calls):
    import sim.experiments.check

    calls(sim.experiments.check, "centre_loads")
    _stopped(cli, "check", "gansu-baseline", *SHORT)
    _assert_scenario(calls.seen, "centre_loads")


def test_compare_with_variants_passes_the_scenario(cli, calls, tmp_path):
    import sim.experiments.variants

    calls(sim.experiments.variants, "run_variants")
    _stopped(cli, "compare", "gansu-baseline", *SHORT, "--variant", "a:", "--seed", 8,
             "--out", tmp_path, "-q")
    assert _assert_scenario(calls.seen, "run_variants").seed == 8


def test_sweep_passes_the_scenario(cli, calls, tmp_path):
    import sim.experiments.sweep

    calls(sim.experiments.sweep, "run_sweep")
    _stopped(cli, "sweep", "gansu-baseline", *SHORT, "--vary", "seed=1,2", "-r", 2,
             "--out", tmp_path, "-q")
    assert _assert_scenario(calls.seen, "run_sweep").replications == 2


def test_staff_passes_the_scenario(cli, calls, tmp_path):
    import sim.planning.staffing

    calls(sim.planning.staffing, "optimise")
    _stopped(cli, "staff", "gansu-baseline", *SHORT, "--target", "110:sl15>=0.8",
             "--out", tmp_path, "-q")
    _assert_scenario(calls.seen, "optimise")


@pytest.mark.parametrize("kind, module, name", [
    ("model", "sim.bench.model", "bench_model"),
    ("cluster", "sim.bench.cluster", "bench_cluster"),
])
def test_bench_passes_the_scenario(cli, calls, kind, module, name):
    import importlib

    calls(importlib.import_module(module), name)
    _stopped(cli, "bench", kind, "gansu-baseline", *SHORT)
    _assert_scenario(calls.seen, name)


def test_trace_and_drill_pass_the_scenario(cli, calls, tmp_path):
    import sim.experiments.runner

    calls(sim.experiments.runner, "run_scenario")
    _stopped(cli, "trace", "gansu-baseline", *SHORT, "--out", tmp_path / "t.jsonl")
    assert _assert_scenario(calls.seen, "run_scenario").replications == 1
    del calls.seen["run_scenario"]
    _stopped(cli, "drill", "gansu-baseline", *SHORT, "--duration", "30m",
             "--out", tmp_path / "drill")
    _assert_scenario(calls.seen, "run_scenario")
