"""Replications on a Dask cluster: same bytes as a local run, a lost worker's task rerun,
Ctrl-C cancelling the futures, and clear errors for a bad ``--cluster``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sim.domain.errors import InputError
from sim.experiments import cluster
from sim.experiments.cluster import ClusterSpec, Session, parse_cluster
from sim.experiments.runner import prepare, run_scenario

REPO = Path(__file__).resolve().parents[1]
# The baseline network (linkage, orders, borrowing, bot on), shortened so a test stays quick.
SHORT = ["horizon_hours=12", "drain_hours=1"]
SHORT_SETS = [a for s in SHORT for a in ("--set", s)]


def _nothing_but_the_record(out: Path, status: str) -> bool:
    """Absent, empty, or only the stopped run's record (run.json, issue 15) with ``status``."""
    import json

    if not out.exists() or not any(out.iterdir()):
        return True
    names = sorted(p.name for p in out.iterdir())
    return names == ["run.json"] and json.loads((out / "run.json").read_text())["status"] == status


def _files(directory: Path) -> dict[str, bytes]:
    """The run's output files by name; ``run.json`` is left out (it holds wall-clock facts:
    start time and runtime) but must be there and say ``ok``."""
    record = json.loads((directory / "run.json").read_text())
    assert record["status"] == "ok", record
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())
            if p.is_file() and p.name != "run.json"}


def _local_cluster(workers: int = 2):
    distributed = pytest.importorskip("distributed")
    import logging

    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    host="127.0.0.1", dashboard_address=None,
                                    silence_logs=logging.ERROR)


@pytest.mark.parametrize("text, expected", [
    ("local:2", ClusterSpec(local_workers=2)),
    ("tcp://10.0.0.5:8786", ClusterSpec(address="tcp://10.0.0.5:8786")),
    ("scheduler.lan:8786", ClusterSpec(address="tcp://scheduler.lan:8786")),
])
def test_cluster_addresses(text, expected):
    assert parse_cluster(text) == expected


@pytest.mark.parametrize("text", ["local:0", "local:x", "local", "http//x", "8786"])
def test_bad_cluster_is_an_input_error_naming_the_option(text):
    with pytest.raises(InputError, match=r"--cluster.*tcp://host:8786.*local:N"):
        parse_cluster(text)


def test_bad_cluster_on_the_command_line_exits_2_before_any_work(cli, tmp_path):
    result = cli("run", "gansu-baseline", "--cluster", "local:0", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "--cluster" in result.output and "local:N" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value, says", [("", "empty"), ("  ", "empty"),
                                         ("local:99999999999", "at most")])
def test_empty_or_huge_cluster_exits_2_before_any_work(cli, tmp_path, value, says):
    """``--cluster ""`` is not a silent local run; a huge local:N is refused, not started."""
    result = cli("run", "gansu-baseline", "--cluster", value, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "--cluster" in result.output and says in result.output
    assert not (tmp_path / "o").exists()


def test_local_workers_are_capped_per_core():
    limit = cluster.MAX_LOCAL_WORKERS_PER_CORE * (os.cpu_count() or 1)
    assert parse_cluster(f"local:{limit}") == ClusterSpec(local_workers=limit)
    with pytest.raises(InputError, match=f"at most {limit} local workers"):
        parse_cluster(f"local:{limit + 1}")


def test_bad_cluster_variable_is_named(cli, tmp_path):
    result = cli("validate", env={"HOTLINE_CLUSTER": "nowhere"})
    assert result.exit_code == 2
    assert "HOTLINE_CLUSTER" in result.output


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "staff", "validate"])
def test_every_replicating_command_takes_cluster(cli, command):
    result = cli(command, "--help")
    assert "--cluster" in result.output and "HOTLINE_CLUSTER" in result.output


@pytest.mark.slow
def test_same_bytes_serial_parallel_and_local_cluster(tmp_path):
    """-j 1, -j 2 and --cluster local:2 write byte-identical run directories."""
    pytest.importorskip("distributed")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    dirs = {}
    for name, flags in (("j1", ["-j", "1"]), ("j2", ["-j", "2"]),
                        ("dask", ["--cluster", "local:2"])):
        dirs[name] = tmp_path / name
        sets = [a for s in SHORT for a in ("--set", s)]
        subprocess.run([sys.executable, "-m", "cli", "run", "gansu-baseline", *sets, "-r", "3",
                        *flags, "--no-variants", "--no-report", "-q", "--out", dirs[name]],
                       check=True, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, timeout=300)
    serial = _files(dirs["j1"])
    assert {"calls.csv.gz", "kpis.json", "orders.csv.gz", "timeseries.csv"} <= set(serial)
    assert _files(dirs["j2"]) == serial
    assert _files(dirs["dask"]) == serial


def _kill_a_busy_worker(watcher, killed: list, stop: threading.Event) -> None:
    """Kill (SIGKILL) the first worker seen executing a task, half a second into it."""
    while not stop.is_set() and not killed:
        busy = [w for w, keys in watcher.processing().items() if keys]
        if busy:
            time.sleep(0.5)
            pid = watcher.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(busy[0])
        time.sleep(0.05)


@pytest.mark.slow
def test_killed_worker_task_is_rerun_and_bytes_are_identical(tmp_path):
    distributed = pytest.importorskip("distributed")
    scn = prepare("gansu-baseline", SHORT, replications=4)
    local = run_scenario(scn, jobs=1, out_dir=tmp_path / "local").directory
    killed: list[str] = []
    stop = threading.Event()
    with _local_cluster() as lc, distributed.Client(lc) as watcher:
        cluster.configure(ClusterSpec(address=lc.scheduler_address))
        killer = threading.Thread(target=_kill_a_busy_worker, args=(watcher, killed, stop))
        killer.start()
        try:
            remote = run_scenario(scn, out_dir=tmp_path / "dask").directory
        finally:
            stop.set()
            killer.join()
            cluster.shutdown()
        assert killed, "no worker was caught executing a task"
        assert killed[0] not in watcher.scheduler_info()["workers"]  # it really died
    assert _files(remote) == _files(local)


def _slow_task(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _scheduler_tasks(dask_scheduler) -> int:
    return len(dask_scheduler.tasks)


@pytest.mark.slow
def test_interrupt_cancels_the_pending_futures():
    """Ctrl-C while gathering (KeyboardInterrupt from the loop) leaves the scheduler idle,
    with the client still connected, so it is the cancel that freed the tasks."""
    distributed = pytest.importorskip("distributed")
    with _local_cluster() as lc, distributed.Client(lc) as watcher:
        session = Session(ClusterSpec(address=lc.scheduler_address))

        def interrupt(_i, _value):
            raise KeyboardInterrupt

        try:
            with pytest.raises(KeyboardInterrupt):
                session.map(_slow_task, [(0.2,)] + [(8.0,)] * 5, interrupt)
            deadline = time.monotonic() + 10
            while watcher.run_on_scheduler(_scheduler_tasks) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert session.client.status == "running"
            assert watcher.run_on_scheduler(_scheduler_tasks) == 0
        finally:
            session.close()


@pytest.mark.slow
def test_sigint_of_a_cluster_run_stops_it_and_writes_nothing(tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "run"
    with _local_cluster() as lc, distributed.Client(lc) as watcher:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "run", "gansu-baseline", "--set", "horizon_hours=48",
             "-r", "6", "--cluster", lc.scheduler_address, "--no-variants", "--no-report", "-q",
             "--out", out], env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not watcher.run_on_scheduler(_scheduler_tasks) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert watcher.run_on_scheduler(_scheduler_tasks), "the run sent no task"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) != 0
        finally:
            if proc.poll() is None:
                proc.kill()
        deadline = time.monotonic() + 10
        while watcher.run_on_scheduler(_scheduler_tasks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watcher.run_on_scheduler(_scheduler_tasks) == 0
    assert _nothing_but_the_record(out, "interrupted")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [1.0, 2.0, 3.0, 4.0])
def test_ctrl_c_while_the_local_cluster_starts_is_one_line_and_130(tmp_path, delay):
    """Ctrl-C at moments spanning the LocalCluster's start-up: no traceback (distributed's exit
    handler closing half-started workers, heartbeats), the one 'interrupted' line, exit 130
    (or death by SIGINT after it, which a shell also reports as 130), nothing written."""
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        # The baseline week, 4 replications: still simulating at the last delay (a replication
        # of 24 h now ends within 4 s, and the Ctrl-C would land in the writing instead).
        [sys.executable, "-m", "cli", "run", "gansu-baseline",
         "-r", "4", "--cluster", "local:2", "--no-variants", "--no-report", "--out", out],
        env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (130, -signal.SIGINT), err
    # the run's notes and warnings on its inputs come first, once it has started, and on a
    # fast machine a replication may complete (a progress line) before the last delay
    assert "Traceback" not in err and "Exception" not in err, err
    assert [line for line in err.splitlines() if line.strip()
            and not line.startswith(("note:", "warning:", "gansu-baseline: replications: "))
            ] == ["interrupted: nothing complete was written"], err
    assert _nothing_but_the_record(out, "interrupted")


def _pretend_other_code() -> None:
    import sim.experiments.cluster

    sim.experiments.cluster.code_fingerprint = lambda: "0.0.0+0123456789abcdef"


@pytest.mark.slow
def test_a_worker_running_other_code_stops_the_run_with_exit_2(tmp_path):
    """Workers whose code fingerprint differs from the client's: exit 2 naming the worker,
    nothing written."""
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "out"
    with _local_cluster(1) as lc, distributed.Client(lc) as watcher:
        watcher.run(_pretend_other_code)
        (worker,) = watcher.scheduler_info()["workers"]
        done = subprocess.run(
            [sys.executable, "-m", "cli", "run", "gansu-baseline", *SHORT_SETS, "-r", "1",
             "--cluster", lc.scheduler_address, "--no-variants", "--no-report", "-q",
             "--out", out], env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path,
            capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert f"worker {worker} runs different hotline-sim code (0.0.0+0123456789abcdef)" in (
        " ".join(done.stderr.split()))
    assert _nothing_but_the_record(out, "failed")
