"""Command wiring: Locust stays out of the importing process; trace CLI; the bench's rate search."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from loadtest.bench import search_rate
from loadtest.commands import bench_replay_command, bench_server_command, loadtest, trace
from loadtest.trace import read_trace
from tests.loadtesting.records import leg, write_run


def test_importing_the_load_tester_does_not_import_locust_or_gevent() -> None:
    code = ("import sys, loadtest.commands, loadtest.locust_run, loadtest.export, loadtest.bench, "
            "loadtest.slo, loadtest.profile; "
            "bad = [m for m in ('locust', 'gevent') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_trace_command_exports_a_run_directory(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [leg(1, 5.0), leg(2, 100.0)])
    out = tmp_path / "t.jsonl"
    result = CliRunner().invoke(trace, [str(run), "--out", str(out), "--window", "0/60"])
    assert result.exit_code == 0, result.output
    assert "2 events" in result.output and len(read_trace(out).events) == 2


def test_every_command_has_help() -> None:
    for command in (trace, loadtest, bench_replay_command, bench_server_command):
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0 and len(result.output) > 100


def test_rate_search_doubles_then_bisects() -> None:
    def trial(rate: float) -> dict:
        return {"rate": rate, "ok": rate <= 3000}

    best, trials = search_rate(trial, lambda t: t["ok"], 1000.0, refine=3)
    # each failed rate is tried a second time before it counts as failed
    assert [t["rate"] for t in trials] == [1000, 2000, 4000, 4000, 3000, 3500, 3500, 3250, 3250]
    assert best["rate"] == 3000
    flaky = iter([True, False, True, False, False])  # 2000 fails once, then passes
    best, trials = search_rate(lambda r: {"rate": r, "ok": next(flaky)}, lambda t: t["ok"],
                               1000.0, refine=0)
    assert [t["rate"] for t in trials] == [1000, 2000, 2000, 4000, 4000]
    assert best["rate"] == 2000
    none, _ = search_rate(lambda r: {"rate": r, "ok": False}, lambda t: t["ok"], 100.0, refine=1)
    assert none is None
