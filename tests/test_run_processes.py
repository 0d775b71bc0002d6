"""A run's processes and files: workers die with a killed run, stale temporary files are
removed by the next run, and the progress bar moves within replications."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from sim.experiments.progress import SIMULATE_SHARE, ReplicationProgress, progress_bar
from sim.experiments.replications import run_replications
from sim.experiments.runner import prepare
from sim.results.output import RunWriter, remove_stale_partials

REPO = Path(__file__).resolve().parents[1]


def _nothing_but_the_record(out: Path, status: str) -> bool:
    """Absent, empty, or only the stopped run's record (run.json, issue 15) with ``status``."""
    import json

    if not out.exists() or not any(out.iterdir()):
        return True
    names = sorted(p.name for p in out.iterdir())
    return names == ["run.json"] and json.loads((out / "run.json").read_text())["status"] == status


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_next_writer_removes_partials_of_dead_runs_only(tmp_path):
    """Staging directories of dead runs beside the target and temporary files inside it go;
    those of running processes, and other files, stay."""
    run = tmp_path / "run"
    run.mkdir()
    dead = run / f".calls.csv.gz.partial-{_dead_pid()}"
    alive = run / f".kpis.json.partial-{os.getppid()}"  # a running process (pytest's parent)
    dead_staging = tmp_path / f".run.staging-{_dead_pid()}"
    alive_staging = tmp_path / f".run.staging-{os.getppid()}"
    unrelated = tmp_path / "notes.partial-1.txt"
    for path in (dead_staging, alive_staging):
        path.mkdir()
        (path / "kpis.json").write_text("x")
    for path in (dead, alive, unrelated):
        path.write_text("x")
    removed = remove_stale_partials(run)
    assert sorted(removed) == sorted([dead, dead_staging])
    assert alive.exists() and alive_staging.exists() and unrelated.exists()
    writer = RunWriter(run)
    writer.write_text("kpis.json", "{}")
    writer.commit()
    assert (run / "kpis.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive_staging.name, "notes.partial-1.txt", "run"])
    assert remove_stale_partials(tmp_path / "missing") == []


def test_rerun_into_a_used_directory_starts_from_a_clean_one(tmp_path):
    """An earlier run's borrowing.csv.gz, report, folders and any other file go: the directory
    holds exactly the new run's files (issue 15: a rerun starts from a clean directory)."""
    first = RunWriter(tmp_path)
    for name in ("kpis.json", "calls.csv.gz", "borrowing.csv.gz", "report.html"):
        first.write_text(name, "first")
    first.commit()
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "sl.png").write_text("png")
    second = RunWriter(tmp_path)
    second.write_text("kpis.json", "second")
    second.write_text("calls.csv.gz", "second")
    removed = second.commit()
    assert sorted(p.name for p in removed) == ["borrowing.csv.gz", "notes.txt", "plots",
                                               "report.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv.gz", "kpis.json"]
    assert (tmp_path / "kpis.json").read_text() == "second"
    assert not [p for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}.")]


def test_failed_rerun_keeps_the_earlier_run_whole(tmp_path):
    first = RunWriter(tmp_path)
    first.write_text("borrowing.csv.gz", "first")
    first.commit()
    second = RunWriter(tmp_path)
    second.write_text("kpis.json", "second")
    second.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["borrowing.csv.gz"]
    assert not [p for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}.")]


@pytest.mark.slow
@pytest.mark.parametrize("flags, children", [
    (["-j", "2"], 2),  # the pool's two workers
    (["--cluster", "local:2"], 3),  # two Dask workers and multiprocessing's resource tracker
])
def test_kill_9_of_a_run_leaves_no_worker_process(tmp_path, flags, children):
    """The workers die with the run; before, the pool's workers blocked for ever."""
    if "--cluster" in flags:
        pytest.importorskip("distributed")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "gansu-baseline", "--set", "horizon_hours=48",
         "-r", "4", *flags, "--no-variants", "--no-report", "-q", "--out", tmp_path / "run"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while len(workers) < children and time.monotonic() < deadline and proc.poll() is None:
        workers = parent.children(recursive=True)
        time.sleep(0.1)
    try:
        assert len(workers) >= children, "the run started no worker processes"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"orphaned workers: {[p.pid for p in alive]}"
    finally:
        for p in workers:
            if p.is_running():
                p.kill()
        if proc.poll() is None:
            proc.kill()


def test_replication_progress_moves_within_and_completes_each_step():
    steps: list[float] = []
    rep = ReplicationProgress(steps.append)
    rep.progress(0, 0.25)
    rep.progress(0, 0.25)  # no news, no step
    rep.progress(1, 0.5)
    rep.progress(0, 0.75)
    rep.done(0)
    rep.done(1)
    rep.done(0)  # the same index in the next run (a variant) is a new replication
    assert steps == pytest.approx([0.25, 0.5, 0.5, 0.25, 0.5, 1.0])
    assert sum(steps) == pytest.approx(3.0)


def test_progress_into_a_log_file_is_lines_ending_full(capsys):
    """stderr not a terminal: no \\r redraws, a line per replication's worth, the last N/N."""
    with progress_bar(3, "demo: replications", every=0.01, delay=0) as (bar, rep):
        rep.progress(0, 0.5)
        rep.progress(1, 0.7)  # 1.2 replications' worth: one line
        time.sleep(0.05)  # the redraw thread adds nothing
        rep.done(0)
        bar.set_description_str("demo: writing")
    with progress_bar(None, "demo: report", delay=0):
        pass
    err = capsys.readouterr().err
    assert "\r" not in err
    assert err.splitlines() == ["demo: replications: 1/3 rep [00:00]",
                                "demo: writing: 2/3 rep [00:00]",
                                "demo: writing: 3/3 rep [00:00]", "demo: report: 00:00"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_replications_reports_simulated_hours(jobs):
    scn = prepare("gansu-baseline", ["horizon_hours=6", "drain_hours=1"], replications=2)
    reports: dict[int, list[float]] = {0: [], 1: []}
    done: list[int] = []
    run_replications(scn, jobs=jobs, on_done=lambda s: done.append(s.index),
                     on_progress=lambda i, f: reports[i].append(f))
    assert sorted(done) == [0, 1]
    for fractions in reports.values():
        # one report per hour tick (hours 1..6 of 7) and one when the clock has run out
        assert fractions == pytest.approx([SIMULATE_SHARE * h / 7 for h in range(1, 7)]
                                          + [SIMULATE_SHARE])


@pytest.mark.slow
def test_run_ends_with_the_path_of_the_report(cli, tmp_path):
    out = tmp_path / "run"
    result = cli("run", "gansu-baseline", "--set", "horizon_hours=3", "--set", "drain_hours=1",
                 "-r", "2", "-j", "1", "--no-variants", "--out", out)
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last == f"report: {out / 'report.html'}"
    assert (out / "report.html").is_file()


@pytest.mark.slow
def test_sigint_of_a_pool_run_stops_at_once_and_writes_nothing(tmp_path):
    """Ctrl-C sent to the run alone (not its process group) ends its workers too."""
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "gansu-baseline", "-r", "4", "-j", "2",
         "--no-variants", "--no-report", "-q", "--out", out],
        env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    workers: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = parent.children()
        time.sleep(0.1)
    try:
        time.sleep(1.0)  # replications of a week are running (each takes far longer than this)
        proc.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        assert proc.wait(timeout=30) != 0
        assert time.monotonic() - t0 < 10
        _, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _nothing_but_the_record(out, "interrupted")
