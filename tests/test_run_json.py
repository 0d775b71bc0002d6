"""``run.json``: every run directory records what ran and how it ended, even when it failed;
a rerun into a directory starts from a clean one; bad input writes nothing."""

from __future__ import annotations

import json

import pytest

from tests.test_run_outputs import SMALL

ARGS = ("-r", 2, "-j", 1, "-q", "--no-report", "--no-variants")


def _record(directory):
    return json.loads((directory / "run.json").read_text(encoding="utf-8"))


def test_a_run_records_status_runtime_version_command_and_scenario(cli, write_scenario,
                                                                    tmp_path):
    out = tmp_path / "run"
    result = cli("run", write_scenario(SMALL), "--out", out, "--seed", 5, *ARGS)
    assert result.exit_code == 0, result.output
    doc = _record(out)
    assert doc["status"] == "ok" and doc["exception"] is None
    assert (doc["scenario"], doc["seed"], doc["replications"]) == ("small", 5, 2)
    assert doc["command"][:2] == ["hotline", "run"] and "--out" in doc["command"]
    assert doc["command"][doc["command"].index("--seed") + 1] == "5"
    assert doc["runtime_s"] >= 0 and doc["started"].endswith("+00:00")
    assert doc["version"] and doc["python"]
    assert not (out / "run.failed.json").exists()


def _break_replication(monkeypatch, exc: BaseException):
    from sim.experiments import replications

    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # the second replication: the run has started
            raise exc
        return real(*args, **kwargs)

    real = replications.run_one
    monkeypatch.setattr(replications, "run_one", broken)


def test_a_failed_run_leaves_run_json_with_the_exception(cli, write_scenario, tmp_path,
                                                        monkeypatch):
    _break_replication(monkeypatch, RuntimeError("replication 1 broke"))
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="replication 1 broke"):
        cli("run", write_scenario(SMALL), "--out", out, *ARGS)
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]
    doc = _record(out)
    assert doc["status"] == "failed" and doc["scenario"] == "small"
    assert doc["exception"]["type"] == "RuntimeError"
    assert doc["exception"]["message"] == "replication 1 broke"
    assert "replication 1 broke" in doc["exception"]["traceback"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.")]


def test_a_failed_run_exits_non_zero(write_scenario, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli import main

    _break_replication(monkeypatch, RuntimeError("boom"))
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(write_scenario(SMALL)), "--out", str(out),
                                       *map(str, ARGS)])
    assert result.exit_code != 0
    assert _record(out)["status"] == "failed"


def test_an_interrupted_run_records_it(cli, write_scenario, tmp_path, monkeypatch):
    _break_replication(monkeypatch, KeyboardInterrupt())
    out = tmp_path / "run"
    result = cli("run", write_scenario(SMALL), "--out", out, *ARGS)
    assert result.exit_code == 130
    doc = _record(out)
    assert doc["status"] == "interrupted" and doc["exception"]["type"] == "KeyboardInterrupt"


def test_a_failed_rerun_keeps_the_earlier_run_and_records_the_failure_beside_it(
        cli, write_scenario, tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert cli("run", write_scenario(SMALL), "--out", out, *ARGS).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _break_replication(monkeypatch, RuntimeError("second run broke"))
    with pytest.raises(RuntimeError):
        cli("run", write_scenario(SMALL), "--out", out, *ARGS)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    failed = json.loads(after.pop("run.failed.json"))
    assert after == before  # the earlier run, whole, with its own run.json
    assert failed["status"] == "failed" and failed["exception"]["message"] == "second run broke"
    monkeypatch.undo()
    assert cli("run", write_scenario(SMALL), "--out", out, *ARGS).exit_code == 0
    assert not (out / "run.failed.json").exists()  # the next good run starts clean


def test_a_rerun_starts_from_a_clean_directory(cli, write_scenario, tmp_path):
    out = tmp_path / "run"
    assert cli("run", write_scenario(SMALL), "--out", out, *ARGS).exit_code == 0
    (out / "plots").mkdir()
    (out / "plots" / "old.png").write_bytes(b"old")
    (out / "borrowing.csv.gz").write_bytes(b"stale")
    (out / "report.html").write_text("stale")
    (out / "notes.txt").write_text("an earlier run's neighbour")
    assert cli("run", write_scenario(SMALL), "--out", out, *ARGS).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "calls.csv.gz", "kpis.json", "run.json", "scenario.resolved.yaml", "timeseries.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.")]


@pytest.mark.parametrize("bad", [
    ("no-such-scenario",),
    ("SCENARIO", "--set", "horizon_hours=-1"),
    ("SCENARIO", "--set", "no_such_key.x=1"),
])
def test_bad_input_writes_nothing_and_touches_no_directory(cli, write_scenario, tmp_path, bad):
    path = write_scenario(SMALL)
    args = [str(path) if a == "SCENARIO" else a for a in bad]
    fresh, used = tmp_path / "fresh", tmp_path / "used"
    assert cli("run", path, "--out", used, *ARGS).exit_code == 0
    before = {p.name: p.read_bytes() for p in used.iterdir()}
    for out in (fresh, used):
        result = cli("run", *args, "--out", out, *ARGS)
        assert result.exit_code == 2, result.output
    assert not fresh.exists()
    assert {p.name: p.read_bytes() for p in used.iterdir()} == before


def test_a_folder_that_holds_no_run_is_refused_before_any_work(cli, write_scenario, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("keep me")
    result = cli("run", write_scenario(SMALL), "--out", folder, *ARGS)
    assert result.exit_code == 2
    assert "holds no run" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["letter.txt"]


def test_the_current_folder_is_refused(cli, write_scenario, tmp_path, monkeypatch):
    path = write_scenario(SMALL)
    assert cli("run", path, "--out", tmp_path / "run", *ARGS).exit_code == 0
    monkeypatch.chdir(tmp_path / "run")
    before = sorted(p.name for p in (tmp_path / "run").iterdir())
    for out in (".", ".."):
        result = cli("run", path, "--out", out, *ARGS)
        assert result.exit_code == 2 and "current folder" in result.output
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == before


def test_a_run_through_a_symbolic_link_replaces_the_folder_it_points_to(cli, write_scenario,
                                                                         tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real, target_is_directory=True)
    path = write_scenario(SMALL)
    for _ in range(2):
        assert cli("run", path, "--out", link, *ARGS).exit_code == 0
    assert link.is_symlink() and (real / "run.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real", "scenario.yaml"]


def test_a_target_that_cannot_be_renamed_is_committed_inside_it(tmp_path, monkeypatch):
    """EBUSY (a mount point) on moving the target aside: the run is staged inside it and its
    entries replaced one by one; nothing is left beside or inside it."""
    import errno
    import os

    from sim.results import output

    out = tmp_path / "run"
    out.mkdir()
    (out / "kpis.json").write_text("old")
    (out / "old.csv").write_text("old")
    real = os.replace

    def busy(src, dst):
        if str(src) == str(out):
            raise OSError(errno.EBUSY, "Device or resource busy", str(src))
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", busy)
    writer = output.RunWriter(out)
    writer.write_text("kpis.json", "new")
    writer.write_text("run.json", "{}\n")
    assert writer.commit() == [out / "old.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["kpis.json", "run.json"]
    assert (out / "kpis.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_an_error_during_an_inside_commit_puts_the_earlier_entries_back(tmp_path, monkeypatch):
    import os

    from sim.results import output

    out = tmp_path / "run"
    out.mkdir()
    (out / "kpis.json").write_text("old")
    (out / "calls.csv.gz").write_text("old")
    monkeypatch.setattr(output, "_fixed", lambda _d: True)
    writer = output.RunWriter(out)
    writer.write_text("calls.csv.gz", "new")
    writer.write_text("kpis.json", "new")
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(src)
        if len(calls) == 4:  # both earlier entries aside, one staged entry up
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", flaky)
    with pytest.raises(KeyboardInterrupt):
        writer.commit()
    monkeypatch.undo()
    assert {p.name: p.read_text() for p in out.iterdir() if p.is_file()} == {
        "kpis.json": "old", "calls.csv.gz": "old"}


def test_a_dead_writers_earlier_run_moved_aside_is_put_back(tmp_path):
    """Killed between the two renames: the earlier run is in .NAME.replaced-PID and NAME is
    gone; the next writer into the parent puts it back."""
    from sim.results.output import RunWriter

    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    aside = tmp_path / f".flood.replaced-{dead}"
    aside.mkdir()
    (aside / "kpis.json").write_text("earlier")
    RunWriter(tmp_path / "other")
    assert (tmp_path / "flood" / "kpis.json").read_text() == "earlier"
    assert not aside.exists()


def test_a_path_below_a_file_is_refused(tmp_path):
    from sim.domain.errors import InputError
    from sim.results.output import check_run_directory

    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="which is a file"):
        check_run_directory(tmp_path / "afile" / "deeper" / "run")


def test_a_failed_sweep_keeps_the_earlier_record_and_writes_the_failure_beside_it(tmp_path):
    from sim.results.output import recorded

    out = tmp_path / "sweep"
    with recorded(out, scenario="s", seed=1, replications=2, command=["hotline", "sweep"]):
        pass
    assert _record(out)["status"] == "ok"
    with pytest.raises(KeyboardInterrupt), recorded(out, scenario="s", seed=1, replications=2):
        raise KeyboardInterrupt
    assert _record(out)["status"] == "ok" and _record(out)["command"] == ["hotline", "sweep"]
    failed = json.loads((out / "run.failed.json").read_text(encoding="utf-8"))
    assert failed["status"] == "interrupted" and failed["exception"]["type"] == "KeyboardInterrupt"
    with recorded(out, scenario="s", seed=1, replications=2):
        pass
    assert not (out / "run.failed.json").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_sigterm_exits_143_with_an_interrupted_record(tmp_path, write_scenario):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    centres = dict(SMALL["centres"], **{"622900/110": {"calls_per_day": 5000, "seats": 3}})
    slow = dict(SMALL, horizon_hours=200, replications=40, centres=centres)
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", str(write_scenario(slow)), "--out", str(out),
         "-j", "2", "-q", "--no-report", "--no-variants"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(root)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(6)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err.decode()[-500:]
    assert b"terminated" in err and b"Traceback" not in err
    assert _record(out)["status"] == "interrupted"
    assert _record(out)["exception"]["type"] == "Terminated"


def test_bad_input_to_a_sweep_writes_no_record(cli, write_scenario, tmp_path):
    out = tmp_path / "sweep"
    result = cli("sweep", write_scenario(SMALL), "--vary", "lines.110.talk.mean=50,-1",
                 "--out", out, "-r", 2, "-j", 1, "-q")
    assert result.exit_code == 2, result.output[-300:]
    assert not out.exists()
