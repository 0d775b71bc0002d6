"""A cluster task is self-contained (data files travel with it) and carries the worker's code
fingerprint, which the client checks."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.domain import datafiles
from sim.domain.errors import InputError
from sim.experiments import cluster
from sim.experiments.replications import replication_seeds, run_one, run_replications
from sim.experiments.runner import prepare

REPO = Path(__file__).resolve().parents[1]
SHORT = ["horizon_hours=3", "drain_hours=1", "warmup_hours=0"]
# A worker that has the package ``sim`` and nothing else (not even the installed
# ``hotline_scenarios`` an editable or wheel install provides): it unpickles (data, fn, scenario, seq, ...)
# from stdin, runs the task and pickles the result (or the error's text) to stdout.
WORKER = """
import pickle, sys
sys.modules["hotline_scenarios"] = None  # sim only: not the installed scenario data either
import sim
from sim.experiments import cluster
task = pickle.load(sys.stdin.buffer)
try:
    out = ("ok", sim.__file__, cluster.cluster_task(*task))
except Exception as exc:
    out = ("error", sim.__file__, str(exc))
pickle.dump(out, sys.stdout.buffer)
"""


def _bare_worker(tmp_path: Path, task: tuple) -> tuple:
    """Run ``task`` in a process importing a copy of ``sim/`` with no ``scenarios/`` beside it,
    from a working directory without one either (as a worker installed from a wheel)."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "sim", site / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "cwd"
    work.mkdir()
    done = subprocess.run([sys.executable, "-c", WORKER], input=pickle.dumps(task),
                          capture_output=True, cwd=work, timeout=300, check=True,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    status, where, value = pickle.loads(done.stdout)
    assert Path(where).is_relative_to(site) and not (site / "scenarios").exists()
    return status, value


def _scenario():
    return prepare("gansu-baseline", SHORT, replications=1)


def test_task_runs_on_a_worker_without_scenario_files_and_matches_local(tmp_path):
    scenario = _scenario()
    assert scenario.linkage is not None  # the diversion list is needed
    seq = replication_seeds(scenario.seed, 1)[0]
    # without the hand-over the bare worker cannot find the data files: the setting is real
    status, message = _bare_worker(tmp_path / "a", (None, run_one, scenario, seq, 0, False))
    assert status == "error" and "not found" in message
    status, (fingerprint, _, remote) = _bare_worker(
        tmp_path / "b", (datafiles.bundle(scenario), run_one, scenario, seq, 0, False))
    assert status == "ok"
    local = run_one(scenario, seq, 0)
    assert remote.calls_gz == local.calls_gz and remote.calls == local.calls
    assert pickle.dumps(remote.kpis) == pickle.dumps(local.kpis)
    assert remote.series.tobytes() == local.series.tobytes()
    for part in ("windows", "sections", "files"):
        assert pickle.dumps(getattr(remote, part)) == pickle.dumps(getattr(local, part))
    assert fingerprint == cluster.code_fingerprint()  # same sources, same fingerprint


def test_task_uses_the_clients_data_not_the_workers(tmp_path):
    """A worker's own (different) diversion list is not read: the client's text is used."""
    scenario = _scenario()
    data = datafiles.bundle(scenario)
    keys = [k for k, _ in data.files]
    assert keys == ["data/regions.yaml", "data/diversion-list.yaml"]
    with (datafiles.provided(datafiles.DataBundle(data.files[:1])),  # the list left out
          pytest.raises(InputError, match="diversion-list.yaml' was not sent")):
        run_one(scenario, replication_seeds(scenario.seed, 1)[0], 0)


def test_a_worker_with_other_code_is_refused_naming_it(monkeypatch):
    class FakeSession(cluster.Session):
        def __init__(self):
            super().__init__(cluster.ClusterSpec(local_workers=1))

        def map(self, fn, tasks, on_result):
            for i in range(len(tasks)):
                on_result(i, ("0.0+deadbeef", "tcp://10.0.0.7:40123", None))

    monkeypatch.setattr(cluster, "current", lambda: FakeSession())
    with pytest.raises(InputError, match=r"worker tcp://10\.0\.0\.7:40123 runs different"):
        run_replications(_scenario())


@pytest.mark.parametrize("entry", ["run_replications", "precision_batch"])
def test_every_cluster_entry_sends_self_contained_checked_tasks(monkeypatch, entry):
    """Plain runs and precision batches both send the data files with each task."""
    from sim.experiments.precision import run_batch

    sent = []

    class Recorder(cluster.Session):
        def map(self, fn, tasks, on_result):
            sent.extend((fn, task) for task in tasks)
            for i, task in enumerate(tasks):
                on_result(i, (cluster.code_fingerprint(), "w", run_one(*task[2:])))

    monkeypatch.setattr(cluster, "current", lambda: Recorder(cluster.ClusterSpec(None, 1)))
    scenario = _scenario()
    if entry == "run_replications":
        results = run_replications(scenario)
    else:
        results = run_batch(scenario, 0, 1, jobs=1)
    assert len(results) == 1 and results[0].index == 0
    (fn, task), = sent
    assert fn is cluster.cluster_task and task[0] == datafiles.bundle(scenario)


def test_fingerprint_is_version_and_source_hash():
    version, _, digest = cluster.code_fingerprint().partition("+")
    assert version and len(digest) == 16
    assert cluster.code_fingerprint() is cluster.code_fingerprint()  # once per process
