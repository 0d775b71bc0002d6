"""Starting and stopping the server (``start_server``, ``hotline serve``), tokens, settings."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from loadtest.server import start_server
from loadtest.server.command import serve
from loadtest.server.config import resolve_db_url
from tests.server.support import PG_ENV


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_start_on_a_free_port_and_stop_by_pid(tmp_path: Path) -> None:
    with start_server(tmp_path / "x.db") as server:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
        pid = server.pid
    assert _gone(pid)
    # uvicorn shuts down gracefully, then re-raises SIGTERM; a second stop is harmless.
    assert server.stop() in (0, -signal.SIGTERM)


def test_explicit_port_custom_tokens_and_stop_on_failure(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tokens = {"12345": "s3cret-12345", "admin": "s3cret-admin"}
    with pytest.raises(RuntimeError, match="boom"), start_server(
            tmp_path / "x.db", port=port, tokens=tokens) as server:
        assert server.url.endswith(f":{port}")
        ok = httpx.get(server.url + "/v1/orders", headers=server.headers("12345"))
        assert ok.status_code == 200
        for token in ("dev-12345", "dev-110"):  # development tokens are gone; 110 has none
            r = httpx.get(server.url + "/v1/orders", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401
        raise RuntimeError("boom")
    assert _gone(server.pid)


@pytest.mark.slow
def test_workers_share_the_socket_and_stop_together(tmp_path: Path) -> None:
    with start_server(tmp_path / "x.db", workers=2) as server:
        with httpx.Client(base_url=server.url, headers=server.headers("admin")) as client:
            statuses = {client.get("/v1/orders").status_code for _ in range(10)}
        assert statuses == {200}
    assert _gone(server.pid)


def test_a_server_that_cannot_start_reports_why(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="did not start(.|\n)*unknown platform"):
        start_server(tmp_path / "x.db", tokens={"police": "x"}, startup_timeout=20)


def test_db_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'results' / 'exchange.db'}"
    assert (tmp_path / "results").is_dir()
    assert resolve_db_url("postgresql://u:p@h:5/d") == "postgresql+psycopg://u:p@h:5/d"
    assert resolve_db_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert resolve_db_url("sqlite:///a/b.db").endswith("/a/b.db")


def test_every_serve_option_has_help() -> None:
    for param in serve.params:
        if isinstance(param, click.Option):
            assert param.help, param.name
    text = CliRunner().invoke(serve, ["--help"]).output
    for flag in ("--db", "--host", "--port", "--tokens", "--max-body-bytes", "--workers"):
        assert flag in text


@pytest.mark.parametrize(("content", "message"), [
    ("nope: x", "unknown platform"), ("'110': ''", "non-empty"), ("[1]", "mapping"),
    ("'110': same\n'120': same", "share a token"),
])
def test_bad_tokens_file_is_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text(content)
    result = CliRunner().invoke(serve, ["--tokens", str(path), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert message in result.output


def test_postgres_backend_is_configured() -> None:
    if not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL absent: {PG_ENV} not set, so the PostgreSQL runs of the "
                    "server tests are left out (.ci/run installs and starts it)")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_port_file_and_banner_appear_only_once_the_server_answers(tmp_path: Path,
                                                                  workers: int) -> None:
    import subprocess
    import sys
    import time

    from loadtest.procs import die_with_parent
    from loadtest.server.process import PROJECT_DIR

    port_file = tmp_path / "port"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadtest.server", "--db", str(tmp_path / "x.db"), "--port", "0",
         "--port-file", str(port_file), "--workers", str(workers)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        preexec_fn=die_with_parent)
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        port = int(port_file.read_text())
        # at once, no retry: the first connection must be served
        r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert r.status_code == 200
        assert proc.stdout is not None and f":{port} " in proc.stdout.readline().decode()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
