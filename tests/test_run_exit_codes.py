"""`hotline run`: missed targets listed by prefecture, exit codes as the README says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.report.conftest import STATIONARY

UNDERSTAFFED = {**STATIONARY, "replications": 3,  # 9 Erlangs offered to 8 seats: SL far below 80 %
                "centres": {"620100/110": {"calls_per_day": 12960, "seats": 8}}}


@pytest.fixture
def understaffed(write_scenario):
    return write_scenario(UNDERSTAFFED, "understaffed.yaml")


def test_a_missed_centre_is_listed_by_name_and_code_and_fails_only_on_request(
        cli, understaffed, tmp_path):
    result = cli("run", understaffed, "--out", tmp_path / "a", "-q", "--no-report")
    assert result.exit_code == 0, result.output
    assert "Targets missed 未达标" in result.output
    assert "centre 620100/110 兰州市 Lanzhou 110" in result.output
    assert "✗80" in result.output  # the line row agrees with the list
    result = cli("run", understaffed, "--out", tmp_path / "b", "-q", "--no-report",
                 "--fail-on-miss")
    assert result.exit_code == 1 and "target(s) missed" in result.output


def test_met_targets_and_few_replications(cli, write_scenario, tmp_path):
    path = write_scenario({**STATIONARY, "centres": {"620100/110": {"calls_per_day": 12960,
                                                                   "seats": 14}}})
    result = cli("run", path, "--out", tmp_path / "a", "-q", "--no-report", "-r", 2,
                 "--fail-on-miss")
    assert result.exit_code == 0, result.output
    assert "Targets missed" not in result.output and "✓80" in result.output
    assert "warning: only 2 replication(s)" in result.output


def test_status_of_a_target_follows_its_interval():
    from sim.report.tables import target_status
    from sim.results.document import TargetRow

    def row(mean, low, high):
        return TargetRow("centre", "620100/110", "sl15", 0.8, mean, low, high, False)

    assert target_status(row(0.81, 0.7, 0.9)) == "met"
    assert target_status(row(0.79, 0.7, 0.85)) == "unclear"
    assert target_status(row(0.70, 0.6, 0.79)) == "missed"
    assert target_status(row(0.79, None, None)) == "missed"


def test_ctrl_c_is_130(cli, monkeypatch, understaffed, tmp_path):
    import sim.experiments.runner

    def interrupt(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiments.runner, "run_scenario", interrupt)
    result = cli("run", understaffed, "--out", tmp_path / "x", "-q")
    assert result.exit_code == 130 and "interrupted" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_broken_pipe_is_not_a_missed_target(tmp_path):
    # `hotline check` prints a line per centre; the reader goes away after the first line.
    proc = subprocess.Popen([sys.executable, "-m", "cli", "check", "gansu-baseline",
                             "--set", "centres.620100/110.seats=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=60) in (0, 141)  # 0 when everything fitted the pipe's buffer
    assert b"Traceback" not in proc.stderr.read()


def test_a_closed_output_pipe_is_141_not_1(cli, monkeypatch, understaffed, tmp_path):
    import sim.experiments.runner

    def closed(*_a, **_k):
        raise BrokenPipeError

    monkeypatch.setattr(sim.experiments.runner, "run_scenario", closed)
    assert cli("run", understaffed, "--out", tmp_path / "x", "-q").exit_code == 141


def test_no_calls_is_neither_met_nor_missed_and_never_fails_the_run(cli, write_scenario,
                                                                     tmp_path):
    from sim.report.tables import target_status
    from sim.results.document import TargetRow

    assert target_status(TargetRow("centre", "620100/110", "sl15", 0.8, None, None, None,
                                   False)) == "no-data"
    quiet = {**STATIONARY, "replications": 2, "centres": {
        "620100/110": {"calls_per_day": 12960, "seats": 14},
        "620200/110": {"calls_per_day": 0, "seats": 2}}}
    result = cli("run", write_scenario(quiet), "--out", tmp_path / "a", "-q", "--no-report",
                 "--fail-on-miss")
    assert result.exit_code == 0, result.output
    assert "Targets missed" not in result.output
    assert "No calls 无来电 (no service level, neither met nor missed): 1 (620200/110)" \
        in result.output


def test_one_replication_misses_by_the_mean_without_an_interval(cli, understaffed, tmp_path):
    result = cli("run", understaffed, "--out", tmp_path / "a", "-q", "--no-report", "-r", 1)
    assert result.exit_code == 0, result.output
    assert "mean below the target, no interval: one replication" in result.output
    assert "95 % CI below the target" not in result.output


def test_ctrl_c_during_the_report_says_what_was_written(cli, monkeypatch, understaffed,
                                                        tmp_path):
    import sim.report

    def interrupt(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.report, "write_report", interrupt)
    result = cli("run", understaffed, "--out", tmp_path / "x", "-q", "-r", 2)
    assert result.exit_code == 130
    assert "nothing complete was written" not in result.output
    assert "has the complete run" in result.output
    assert "not written: intervals.csv, report.html" in result.output
    assert (tmp_path / "x" / "kpis.json").exists()
    assert not (tmp_path / "x" / "report.html").exists()


@pytest.mark.slow
def test_a_run_piped_into_head_still_writes_its_report(write_scenario, tmp_path):
    short = write_scenario({**STATIONARY, "horizon_hours": 2, "replications": 2})
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cli", "run", str(short), "--out", str(out),
                             "-q", "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path)
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) == 141
    assert b"Traceback" not in proc.stderr.read()
    assert (out / "report.html").exists() and (out / "intervals.csv").exists()


def test_report_verdicts_for_no_calls_and_one_replication():
    from sim.report.html import target_rows

    doc = {"targets": [
        {"kind": "centre", "name": "620200/119", "kpi": "sl10", "target": 0.9, "mean": None,
         "ci95": [None, None]},
        {"kind": "centre", "name": "620100/110", "kpi": "sl15", "target": 0.9, "mean": 0.7,
         "ci95": [None, None]},
        {"kind": "centre", "name": "620300/110", "kpi": "sl15", "target": 0.9, "mean": 0.7,
         "ci95": [0.6, 0.8]}]}
    assert [r["status"] for r in target_rows(doc)] == ["no-data", "missed-mean", "missed"]
