"""Replications as tasks on a Dask distributed cluster (``--cluster ADDRESS|local:N``).

A replication is a pure function (scenario, seed index) → summary plus compressed records
(``sim.experiments.replications.run_one``), so it can run anywhere the package is installed: the client
sends the frozen scenario and the seed sequence with each task, gathers the summaries and
writes the run directory itself. The bytes written therefore do not depend on where, in which
order or how many times (a worker lost mid-task is rerun by the scheduler) a task ran.

``configure`` sets the cluster for every replication run in this process (the command line
does it from ``--cluster`` or ``HOTLINE_CLUSTER``); ``run_replications`` then sends its tasks
through the one ``Session``, which connects (or starts a ``LocalCluster``) on first use and is
closed by ``shutdown``. Dask is an optional extra: ``pip install -e '.[cluster]'``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.domain.errors import InputError

CLUSTER_ENV = "HOTLINE_CLUSTER"
_LOCAL = re.compile(r"^local:(\d+)$")
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$")


@dataclass(frozen=True)
class ClusterSpec:
    """Where to send replications: a scheduler ``address`` or ``local_workers`` processes."""

    address: str | None = None
    local_workers: int | None = None

    def __str__(self) -> str:
        return self.address or f"local:{self.local_workers}"


def parse_cluster(text: str, source: str = "--cluster") -> ClusterSpec:
    """``tcp://host:8786`` (a running ``dask scheduler``) or ``local:N`` (N ≥ 1 local workers)."""
    value = text.strip()
    local = _LOCAL.match(value)
    limit = MAX_LOCAL_WORKERS_PER_CORE * (os.cpu_count() or 1)
    if local and 1 <= int(local.group(1)) <= limit:
        return ClusterSpec(local_workers=int(local.group(1)))
    if local and int(local.group(1)) > limit:
        raise InputError(f"{text!r}: at most {limit} local workers ({MAX_LOCAL_WORKERS_PER_CORE}"
                         f" per core on this machine's {os.cpu_count() or 1})", source=source)
    if _ADDRESS.match(value):
        return ClusterSpec(address=value)
    if re.match(r"^[\w.-]+:\d+$", value) and not value.startswith("local:"):
        return ClusterSpec(address=f"tcp://{value}")
    raise InputError(f"{text!r} is not a cluster: expected a scheduler address such as "
                     f"tcp://host:8786 (or host:8786), or local:N with 1 ≤ N ≤ {limit} worker "
                     "processes",
                     source=source)


MAX_LOCAL_WORKERS_PER_CORE = 4


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """``VERSION+HASH``: the package version and a SHA-256 of every ``sim/`` source file (by
    relative path), computed once per process. Client and workers must agree on it."""
    from importlib import metadata

    try:
        version = metadata.version("hotline-sim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"{version}+{digest.hexdigest()[:16]}"


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def cluster_task(data, fn: Callable[..., Any], *args: Any) -> tuple[str, str, Any]:
    """``fn(*args)`` as a cluster task, self-contained: the data files' text comes with it
    (``sim.domain.datafiles``), so the worker opens no project file. Returns ``(code fingerprint,
    worker, value)``."""
    from sim.domain import datafiles

    with datafiles.provided(data):
        value = fn(*args)
    return code_fingerprint(), _worker_name(), value


def check_fingerprint(fingerprint: str, worker: str) -> None:
    """Refuse a result computed by different code: an ``InputError`` naming the worker."""
    mine = code_fingerprint()
    if fingerprint != mine:
        raise InputError(f"worker {worker} runs different hotline-sim code ({fingerprint}) "
                         f"from this client ({mine}): install the same version on every "
                         "worker (docs/cluster.md)", source="--cluster")


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:  # the optional extra is not installed
        raise InputError("--cluster needs Dask distributed: pip install -e '.[cluster]' "
                         "(or pip install 'distributed>=2024.1')", source="--cluster") from exc
    return distributed


class Session:
    """One Dask client for the whole command, created on first use."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec
        self._client = None
        self._cluster = None

    @property
    def client(self):
        """The connected ``distributed.Client`` (starting a ``LocalCluster`` for ``local:N``)."""
        if self._client is None:
            distributed = _import_distributed()
            if self.spec.local_workers:
                self._cluster = self._start_local(distributed)
                self._client = distributed.Client(self._cluster)
            else:
                try:
                    self._client = distributed.Client(self.spec.address, timeout=10)
                except (OSError, TimeoutError) as exc:
                    raise InputError(f"cannot reach the Dask scheduler at {self.spec.address}: "
                                     f"{exc}", source="--cluster") from exc
        return self._client

    def _start_local(self, distributed):
        """Start the ``LocalCluster`` in a helper thread, so that Ctrl-C during start-up (which
        reaches only the main thread) lets it finish starting and then closes it cleanly,
        rather than leaving half-started workers to ``distributed``'s exit handler."""
        box: dict[str, Any] = {}

        def start() -> None:
            try:
                box["cluster"] = distributed.LocalCluster(
                    n_workers=self.spec.local_workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, silence_logs=logging.CRITICAL)
            except BaseException as exc:  # handed to the main thread
                box["error"] = exc

        thread = threading.Thread(target=start, name="hotline-local-cluster", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.1)
        except KeyboardInterrupt:
            thread.join(_START_GRACE)
            if "cluster" in box:
                _quiet_close(box["cluster"])
            raise
        if "error" in box:
            raise box["error"]
        return box["cluster"]

    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple],
            on_result: Callable[[int, Any], None]) -> None:
        """Run ``fn(*task)`` for every task; ``on_result(i, value)`` as each one completes.

        Ctrl-C (or any error) cancels the futures still pending, so a shared scheduler is not
        left computing for a client that has gone.
        """
        distributed = _import_distributed()
        client = self.client
        futures = [client.submit(fn, *task, pure=False) for task in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in distributed.as_completed(futures):
                on_result(index[future.key], future.result())
        except BaseException:
            client.cancel(futures, force=True)
            raise

    def map_replications(self, scenario, fn: Callable[..., Any], tasks: Sequence[tuple],
                         on_result: Callable[[int, Any], None]) -> None:
        """``map`` for replications of ``scenario``: each task carries the scenario's data
        files (``cluster_task``) and each result is refused unless computed by this client's
        code (``check_fingerprint``, an ``InputError`` naming the worker)."""
        from sim.domain import datafiles

        data = datafiles.bundle(scenario)

        def checked(i: int, value: tuple) -> None:
            fingerprint, worker, result = value
            check_fingerprint(fingerprint, worker)
            on_result(i, result)

        self.map(cluster_task, [(data, fn, *task) for task in tasks], checked)

    def close(self) -> None:
        """Close the client and the ``LocalCluster`` this session started (if any), with
        ``distributed``'s loggers silenced: a closing connection is not news."""
        for part in (self._client, self._cluster):
            if part is not None:
                _quiet_close(part)
        self._client = self._cluster = None


_START_GRACE = 30.0  # seconds a LocalCluster interrupted while starting has to finish it


def _quiet_close(part) -> None:
    """Close a client or cluster with ``distributed``'s loggers silenced and its errors
    (a worker still starting, a heartbeat to a closed scheduler) swallowed: we are leaving."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)
    with contextlib.suppress(Exception):  # shutting down: nothing useful to report
        part.close()


_session: Session | None = None


def configure(spec: ClusterSpec | str | None) -> None:
    """Send every later replication of this process to ``spec`` (``None``: local again)."""
    global _session
    shutdown()
    if isinstance(spec, str):
        spec = parse_cluster(spec)
    _session = Session(spec) if spec is not None else None


def current() -> Session | None:
    """The configured cluster session, or ``None`` for the local process pool."""
    return _session


def shutdown() -> None:
    """Close the configured session (its ``LocalCluster`` too); replications run locally again."""
    global _session
    if _session is not None:
        _session.close()
    _session = None
