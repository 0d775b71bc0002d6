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
    from sim.summary import target_status

    row = {"target": 0.8}
    assert target_status({**row, "mean": 0.81, "ci95": [0.7, 0.9]}) == "met"
    assert target_status({**row, "mean": 0.79, "ci95": [0.7, 0.85]}) == "unclear"
    assert target_status({**row, "mean": 0.70, "ci95": [0.6, 0.79]}) == "missed"
    assert target_status({**row, "mean": 0.79, "ci95": [None, None]}) == "missed"


def test_ctrl_c_is_130(cli, monkeypatch, understaffed, tmp_path):
    import sim.runner

    def interrupt(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner, "run_scenario", interrupt)
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
    import sim.runner

    def closed(*_a, **_k):
        raise BrokenPipeError

    monkeypatch.setattr(sim.runner, "run_scenario", closed)
    assert cli("run", understaffed, "--out", tmp_path / "x", "-q").exit_code == 141
