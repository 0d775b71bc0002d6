"""Re-review of the fixes to issue 15's review findings, kept as regression tests: each failed
on the tree it reviewed (but the controls, marked so in their docstrings, and the parametrised
cases that passed there) and passes since its fix.

An interrupt is simulated as it happens: ``signal.raise_signal(SIGINT)`` at the chosen moment
(Python runs the handler as soon as the call returns), so a writer that holds signals during
its commit is judged by what it really does."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from sim.results import output
from sim.results.output import RunWriter, record_failure, record_text, run_record

FILES = ("calls.csv.gz", "kpis.json", "run.json", "scenario.resolved.yaml", "timeseries.csv")


def _write_run(out: Path, tag: str) -> None:
    """A complete run tagged ``tag`` in every file, written as runner.write_run does."""
    writer = RunWriter(out)
    try:
        for name in FILES:
            if name == "run.json":
                rec = run_record("ok", scenario=tag, seed=1, replications=1, started=0.0)
                writer.write_text(name, record_text(rec))
            else:
                writer.write_text(name, f"{tag}:{name}\n")
        writer.commit()
    except BaseException:
        writer.abort()
        raise


def _run(out: Path, tag: str) -> None:
    """runner.run_scenario's shape: write the run; on any exception record the failure."""
    try:
        _write_run(out, tag)
    except BaseException as exc:
        if getattr(exc, "run_committed", False):
            raise  # as runner.run_scenario: the run is complete on disk
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        record_failure(out, run_record(status, scenario=tag, seed=1, replications=1,
                                       started=0.0, error=exc))
        raise


def _holds(out: Path, tag: str) -> bool:
    return all((out / n).is_file() for n in FILES) and all(
        (out / n).read_text().startswith(tag) for n in FILES if n != "run.json")


def _interrupt_at(monkeypatch, k: int, after: bool):
    """os.replace raises KeyboardInterrupt at its k-th call: before the rename, or after it
    (the signal arriving as the system call returns)."""
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == k:
            if after:
                real(src, dst)
                signal.raise_signal(signal.SIGINT)
                return None
            signal.raise_signal(signal.SIGINT)  # arrives just before the call
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", flaky)
    return calls


def _assert_interrupted_run_keeps_a_complete_run(out: Path, monkeypatch, k: int,
                                                 after: bool) -> None:
    """An earlier run, then a new one interrupted at its k-th rename (before or just after
    it): the folder holds one of the two runs whole."""
    _write_run(out, "old")
    calls = _interrupt_at(monkeypatch, k, after)
    with contextlib.suppress(KeyboardInterrupt):
        _run(out, "new")
    if len(calls) < k:
        pytest.skip(f"the run makes only {len(calls)} renames")
    assert _holds(out, "old") or _holds(out, "new"), sorted(p.name for p in out.iterdir())


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.rglob(".*"))


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_interrupt_at_each_rename_of_the_commit_keeps_a_complete_run(tmp_path, monkeypatch,
                                                                     k, after):
    """Finding 1 (high): Ctrl-C/SIGTERM arriving just after ``os.replace(target, .NAME.
    replaced-PID)`` returns (k=1, after) leaves ``moved = False``, so the commit does not put
    the earlier run back; record_failure then sees no kpis.json, builds a RunWriter (whose
    remove_stale_partials restores the earlier run) and commits run.json over it: the earlier
    good run is deleted and the folder holds only run.json."""
    _assert_interrupted_run_keeps_a_complete_run(tmp_path / "run", monkeypatch, k, after)


def _force_inside(monkeypatch):
    monkeypatch.setattr(output, "_fixed", lambda d: d.is_dir())


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("k", range(1, 12))
def test_interrupt_at_each_rename_inside_a_fixed_target_keeps_a_complete_run(
        tmp_path, monkeypatch, k, after):
    """Finding 2 (high): the same for a target that cannot be renamed (staged inside it). An
    interrupt just after the rename of an earlier entry into ``NAME/.replaced-PID`` (not yet in
    ``moved_old``) leaves that entry there on rollback; when it is kpis.json, record_failure
    commits run.json with a RunWriter whose _commit_inside starts with ``rmtree(.replaced-PID)``
    and moves every other earlier entry aside and deletes it."""
    _force_inside(monkeypatch)
    _assert_interrupted_run_keeps_a_complete_run(tmp_path / "run", monkeypatch, k, after)


def test_two_runs_first_renames_race_the_later_run_fails(tmp_path, monkeypatch):
    """Finding 3 (medium): two runs committing at once both check ``target.exists()``; the
    other run renames the target aside first, so this run's ``os.replace(target,
    .NAME.replaced-PID)`` raises FileNotFoundError (ENOENT is not retried): a complete run is
    reported failed and its files are thrown away. The module promises "both complete"."""
    out = tmp_path / "run"
    _write_run(out, "old")
    real, calls = os.replace, []

    def racing(src, dst):
        calls.append((src, dst))
        if len(calls) == 1:  # the other run (pid 1, alive) moves the target aside first
            real(out, out.parent / f".{out.name}.replaced-1")
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", racing)
    _write_run(out, "new")  # must not raise
    assert _holds(out, "new")


def test_two_runs_retry_then_interrupt_loses_the_newer_run(tmp_path, monkeypatch):
    """Finding 4 (medium): another run commits between this run's two renames; this run moves
    it aside (``.NAME.replaced-PID.1``) and is then interrupted. The rollback puts back the
    *earliest* run and leaves the other run's complete directory hidden in
    ``.NAME.replaced-PID.1`` (removed later by the next writer): the other run reported
    success and its results are gone."""
    out = tmp_path / "run"
    _write_run(out, "old")
    real, calls = os.replace, []

    def racing(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the other run commits between our renames
            out.mkdir()
            for name in FILES:
                (out / name).write_text(f"other:{name}\n")
        if len(calls) == 4:  # our retry's rename
            signal.raise_signal(signal.SIGINT)
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", racing)
    with pytest.raises(KeyboardInterrupt):
        _write_run(out, "new")
    assert len(calls) >= 4
    assert _holds(out, "other") or _holds(out, "new"), (
        sorted(p.name for p in out.iterdir()), _hidden(tmp_path))
    assert not _hidden(tmp_path)


# --- a real mount point (tmpfs) -----------------------------------------------------------

@pytest.fixture
def mounted(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    point = tmp_path / "run"
    point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "none", str(point)]).returncode:
        pytest.skip("cannot mount a tmpfs")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


@pytest.mark.parametrize("k", range(1, 12))
def test_mount_point_interrupt_after_kth_rename_keeps_a_complete_run(mounted, monkeypatch, k):
    """Finding 2 on a real tmpfs mount point (staged inside it after EBUSY/ismount)."""
    _write_run(mounted, "old")
    assert _holds(mounted, "old")
    calls = _interrupt_at(monkeypatch, k, after=True)
    with contextlib.suppress(KeyboardInterrupt):
        _run(mounted, "new")
    if len(calls) < k:
        pytest.skip(f"the run makes only {len(calls)} renames")
    assert _holds(mounted, "old") or _holds(mounted, "new"), sorted(
        p.name for p in mounted.iterdir())


def test_mount_point_failed_run_keeps_the_earlier_run(mounted, monkeypatch):
    """A run that fails before its commit (control: the fix holds)."""
    _write_run(mounted, "old")

    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RunWriter, "commit", boom)
    with pytest.raises(OSError):
        _run(mounted, "new")
    assert _holds(mounted, "old")
    failed = json.loads((mounted / "run.failed.json").read_text())
    assert failed["status"] == "failed"
    assert [p.name for p in mounted.iterdir() if p.name.startswith(".")] == []


# --- SIGTERM with worker processes ----------------------------------------------------------

def test_sigterm_with_two_jobs_leaves_no_workers_and_records_interrupted(tmp_path,
                                                                         write_scenario):
    """Control (passes): SIGTERM to ``hotline run -j 2``: exit 143, run.json "interrupted", and no worker process
    left running (``pgrep -f`` the scenario's path)."""
    import signal
    import sys
    import time

    from tests.test_run_outputs import SMALL

    root = Path(__file__).resolve().parents[2]
    centres = dict(SMALL["centres"], **{"622900/110": {"calls_per_day": 5000, "seats": 3}})
    slow = dict(SMALL, horizon_hours=200, replications=40, centres=centres)
    scenario = write_scenario(slow, name="sigterm-j2.yaml")
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", str(scenario), "--out", str(out), "-j", "2", "-q",
         "--no-report", "--no-variants"], cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(root)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    time.sleep(8)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    time.sleep(1)
    left = subprocess.run(["pgrep", "-f", str(scenario)], capture_output=True, text=True)
    pids = left.stdout.split()
    for pid in pids:  # clean up what this test started before failing
        os.kill(int(pid), signal.SIGKILL)
    assert proc.returncode == 143, err.decode()[-500:]
    assert not pids, f"orphaned workers: {pids}"
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "interrupted"
    assert record["exception"]["type"] == "Terminated"


@pytest.mark.parametrize("attempt", range(1))
def test_sigterm_to_the_process_group_with_two_jobs_exits_143_interrupted(tmp_path,
                                                                         write_scenario,
                                                                         attempt):
    """Control (passes): SIGTERM to the whole process group (systemd's KillMode=control-group, a CI runner
    cancelling a job, Ctrl-\\ style group kills, ``kill -TERM -PGID``): the workers die of
    it too; the run must still exit 143 with run.json "interrupted", not 1/"failed" with a
    BrokenProcessPool, and leave no worker behind."""
    import signal
    import sys
    import time

    from tests.test_run_outputs import SMALL

    root = Path(__file__).resolve().parents[2]
    centres = dict(SMALL["centres"], **{"622900/110": {"calls_per_day": 5000, "seats": 3}})
    slow = dict(SMALL, horizon_hours=200, replications=40, centres=centres)
    scenario = write_scenario(slow, name=f"sigterm-pg-{attempt}.yaml")
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", str(scenario), "--out", str(out), "-j", "2", "-q",
         "--no-report", "--no-variants"], cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(root)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(8)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    time.sleep(1)
    left = subprocess.run(["pgrep", "-f", str(scenario)], capture_output=True, text=True)
    pids = left.stdout.split()
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    assert not pids, f"orphaned workers: {pids}"
    record = json.loads((out / "run.json").read_text())
    assert (proc.returncode, record["status"]) == (143, "interrupted"), (
        record["exception"] and record["exception"]["type"], err.decode()[-400:])


# --- run.json of commands whose folder other code writes (sweep, staff) ---------------------

def test_sweep_folder_run_json_ok_beside_a_failed_runs_files(tmp_path):
    """Finding 5 (low-medium): ``recorded`` keeps an earlier successful ``run.json`` (status
    ok) when a later sweep fails, but write_sweep has already replaced sweep.csv/sweep.json
    (and some plots) with the failed run's: the folder's run.json says ok, with the earlier
    command, seed and runtime, for files that the failed run wrote. Only run.failed.json, which
    a reader of run.json does not know to look for, tells otherwise."""
    from sim.results.output import recorded

    out = tmp_path / "sweep"
    with recorded(out, scenario="s", seed=1, replications=2, command=["hotline", "sweep", "a"]):
        out.mkdir(parents=True, exist_ok=True)
        (out / "sweep.csv").write_text("run a\n")
        (out / "sweep.html").write_text("run a\n")
    with pytest.raises(RuntimeError), recorded(out, scenario="s", seed=2, replications=2,
                  command=["hotline", "sweep", "b"]):
        (out / "sweep.csv").write_text("run b\n")  # write_sweep: csv, json, then plots
        raise RuntimeError("plot failed")
    record = json.loads((out / "run.json").read_text())
    consistent = (out / "sweep.csv").read_text() == "run a\n" or record["status"] != "ok"
    assert consistent, (record["status"], record["command"], (out / "sweep.csv").read_text())


def test_interrupt_while_the_earlier_run_is_removed_records_a_complete_run_as_interrupted(
        tmp_path, monkeypatch):
    """Finding 6 (low): Ctrl-C/SIGTERM while ``rmtree(.NAME.replaced-PID)`` removes the earlier
    run (after the commit: seconds for a run with a large calls.csv.gz) propagates out of
    write_run: the new run is complete in place with run.json "ok", and run_scenario adds
    run.failed.json "interrupted" beside it; the CLI says "nothing complete was written" and
    exits 130. The two records contradict each other."""
    out = tmp_path / "run"
    _write_run(out, "old")
    real = output.shutil.rmtree

    def slow_rmtree(path, *a, **k):
        if ".replaced-" in str(path):
            real(path, *a, **k)
            signal.raise_signal(signal.SIGINT)
            return None
        return real(path, *a, **k)

    monkeypatch.setattr(output.shutil, "rmtree", slow_rmtree)
    with pytest.raises(KeyboardInterrupt):
        _run(out, "new")
    assert _holds(out, "new")
    record = json.loads((out / "run.json").read_text())
    failed = out / "run.failed.json"
    statuses = (record["status"], json.loads(failed.read_text())["status"] if failed.exists()
                else None)
    assert statuses in (("ok", None), ("interrupted", None)), statuses


# --- the layer check's dynamic imports -----------------------------------------------------

@pytest.mark.parametrize("source", [
    "import importlib\nkpis = importlib.import_module('..results.kpis', 'sim.model')\n",
    "import importlib\nkpis = importlib.import_module('.kpis', package='sim.results')\n",
    "from importlib import import_module as load\nkpis = load('sim.results.kpis')\n",
    "kpis = __import__('results.kpis', globals(), None, ['x'], 2)\n",
], ids=["relative-positional", "relative-package", "aliased", "dunder-level"])
def test_the_layer_check_sees_relative_and_aliased_dynamic_imports(tmp_path, monkeypatch,
                                                                   source):
    """Finding 7 (low): the dynamic-import check takes the first argument as an absolute name
    and matches the function by its name: a relative ``import_module('.x', package)``, an
    aliased ``import_module`` or ``__import__(..., level=2)`` in a model module goes unseen."""
    from tests import test_architecture as arch

    fake = tmp_path / "sim" / "model" / "leak.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    monkeypatch.setattr(arch, "ROOT", tmp_path)
    found = [m for _, m in arch.imports_of(fake)]
    assert any(m.startswith("sim.results") for m in found), found


def test_cli_interrupt_as_the_first_rename_returns_loses_the_earlier_run(cli, write_scenario,
                                                                         tmp_path, monkeypatch):
    """Finding 1 end to end through ``hotline run``: the signal arrives as
    ``os.replace(run, .run.replaced-PID)`` returns."""
    from tests.test_run_outputs import SMALL

    out = tmp_path / "run"
    scenario = write_scenario(SMALL)
    args = ("-r", 2, "-j", 1, "-q", "--no-report", "--no-variants")
    assert cli("run", scenario, "--out", out, *args).exit_code == 0
    earlier = (out / "kpis.json").read_bytes()
    _interrupt_at(monkeypatch, 1, after=True)
    assert cli("run", scenario, "--out", out, *args).exit_code == 130
    assert (out / "kpis.json").is_file(), sorted(p.name for p in out.iterdir())
    assert (out / "kpis.json").read_bytes() == earlier
