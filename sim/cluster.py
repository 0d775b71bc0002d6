"""Replications as tasks on a Dask distributed cluster (``--cluster ADDRESS|local:N``).

A replication is a pure function (scenario, seed index) → summary plus compressed records
(``sim.replications.run_one``), so it can run anywhere the package is installed: the client
sends the frozen scenario and the seed sequence with each task, gathers the summaries and
writes the run directory itself. The bytes written therefore do not depend on where, in which
order or how many times (a worker lost mid-task is rerun by the scheduler) a task ran.

``configure`` sets the cluster for every replication run in this process (the command line
does it from ``--cluster`` or ``HOTLINE_CLUSTER``); ``run_replications`` then sends its tasks
through the one ``Session``, which connects (or starts a ``LocalCluster``) on first use and is
closed by ``shutdown``. Dask is an optional extra: ``pip install -e '.[cluster]'``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import InputError

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
    if local and int(local.group(1)) >= 1:
        return ClusterSpec(local_workers=int(local.group(1)))
    if _ADDRESS.match(value):
        return ClusterSpec(address=value)
    if re.match(r"^[\w.-]+:\d+$", value) and not value.startswith("local:"):
        return ClusterSpec(address=f"tcp://{value}")
    raise InputError(f"{text!r} is not a cluster: expected a scheduler address such as "
                     "tcp://host:8786 (or host:8786), or local:N with N ≥ 1 worker processes",
                     source=source)


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
                self._cluster = distributed.LocalCluster(
                    n_workers=self.spec.local_workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
                self._client = distributed.Client(self._cluster)
            else:
                try:
                    self._client = distributed.Client(self.spec.address, timeout=10)
                except (OSError, TimeoutError) as exc:
                    raise InputError(f"cannot reach the Dask scheduler at {self.spec.address}: "
                                     f"{exc}", source="--cluster") from exc
        return self._client

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

    def close(self) -> None:
        """Close the client and the ``LocalCluster`` this session started (if any)."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


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
