"""Start and stop the exchange server as a subprocess (tests, benchmarks, the load tester).

    with start_server("sqlite:///results/x.db") as server:
        httpx.get(server.url + "/healthz")

The server listens on 127.0.0.1 (port 0: one the system chooses), is ready when ``/healthz``
answers, and is stopped by its PID: SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx
import yaml

from loadtest.procs import die_with_parent
from loadtest.server.config import DEFAULT_MAX_BODY_BYTES, DEV_TOKENS, resolve_db_url

PROJECT_DIR = Path(__file__).resolve().parents[2]


class ServerHandle:
    """A running server subprocess: its ``url``, ``pid``, ``port`` and ``tokens``."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, host: str, db_url: str,
                 tokens: Mapping[str, str], workdir: Path) -> None:
        self._proc, self._workdir = proc, workdir
        self.pid, self.port, self.db_url = proc.pid, port, db_url
        self.url = f"http://{host}:{port}"
        self.tokens = dict(tokens)
        self.log_path = workdir / "server.log"

    def headers(self, platform: str) -> dict[str, str]:
        """The Authorization header of a platform."""
        return {"Authorization": f"Bearer {self.tokens[platform]}"}

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self._proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the server by PID and wait; SIGKILL it if it has not ended in ``timeout``."""
        if self.alive():
            _signal(self.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._cleanup()
        return self._proc.returncode

    def kill(self) -> None:
        """SIGKILL the server (and any worker it started) at once, as a crash would."""
        if self.alive():
            _signal(-self.pid, signal.SIGKILL)  # its own process group: pgid == pid
            _signal(self.pid, signal.SIGKILL)
        self._proc.wait(10)

    def log(self) -> str:
        """What the server printed so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _cleanup(self) -> None:
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _signal(pid: int, sig: int) -> None:
    try:
        if pid < 0:
            os.killpg(-pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def start_server(db: str | Path | None = None, *, port: int = 0,
                 tokens: Mapping[str, str] | None = None, host: str = "127.0.0.1",
                 workers: int = 1, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 sqlite_synchronous: str = "full", startup_timeout: float = 30.0
                 ) -> ServerHandle:
    """Start ``python -m loadtest.server`` and return once ``/healthz`` answers.

    ``db`` is what ``--db`` takes (path, sqlite:/// or postgresql:// URL; None:
    results/exchange.db). ``tokens`` replaces the development tokens. Raises RuntimeError
    with the server's output if it does not come up within ``startup_timeout`` seconds.
    """
    db_url = resolve_db_url(str(db) if db is not None else None)
    tokens = dict(tokens or DEV_TOKENS)
    workdir = Path(tempfile.mkdtemp(prefix="hotline-server-"))
    (workdir / "tokens.yaml").write_text(yaml.safe_dump(tokens), encoding="utf-8")
    args = [sys.executable, "-m", "loadtest.server", "--db", db_url, "--host", host,
            "--port", str(port), "--tokens", str(workdir / "tokens.yaml"),
            "--port-file", str(workdir / "port"), "--workers", str(workers),
            "--max-body-bytes", str(max_body_bytes),
            "--sqlite-synchronous", sqlite_synchronous]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(PROJECT_DIR), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with open(workdir / "server.log", "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, preexec_fn=die_with_parent)
    handle = ServerHandle(proc, 0, host, db_url, tokens, workdir)
    try:
        handle.port = _wait_for_port(handle, workdir / "port", startup_timeout)
        handle.url = f"http://{host}:{handle.port}"
        _wait_for_health(handle, startup_timeout)
    except BaseException:
        output = handle.log()
        handle.kill()
        handle._cleanup()
        raise RuntimeError(f"exchange server did not start:\n{output}") from None
    return handle


def _wait_for_port(handle: ServerHandle, port_file: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.exists():
            return int(port_file.read_text(encoding="utf-8"))
        if not handle.alive():
            raise RuntimeError("exited")
        time.sleep(0.02)
    raise TimeoutError("no port")


def _wait_for_health(handle: ServerHandle, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not handle.alive():
            raise RuntimeError("exited")
        try:
            if httpx.get(handle.url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError("no /healthz")
