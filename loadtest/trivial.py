"""A trivial HTTP endpoint on loopback: the benchmark's floor and the tests' stand-in target.

``python -m loadtest.trivial [--port 0] [--stall-after N --stall-for S] [--log]`` prints
``PORT <n>`` once listening. Every request is answered at once (201 for POST, else 200) with
``{"id": ...}`` where the id is a hash of the request, so the same requests get the same ids in
any order. ``--stall-after N`` holds every response from the N-th request on for ``S`` seconds
(once), like a server pausing. ``GET /_stats`` returns the request count, ``GET /_log`` (with
``--log``) every request as ``[method, path, body]``; neither is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
import zlib
from pathlib import Path
from typing import Any

from loadtest.procs import die_with_parent

_REASONS = {200: b"OK", 201: b"Created"}


class Target:
    """Counts, logs and (once) stalls requests."""

    def __init__(self, stall_after: int | None, stall_for: float, keep_log: bool) -> None:
        self.requests = 0
        self.log: list[list[str]] | None = [] if keep_log else None
        self.stall_after, self.stall_for = stall_after, stall_for
        self.stall_until = 0.0

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """Status and JSON body for one request."""
        if path == "/_stats":
            return 200, json.dumps({"requests": self.requests}).encode()
        if path == "/_log":
            return 200, json.dumps(self.log or []).encode()
        self.requests += 1
        if self.log is not None:
            self.log.append([method, path, body.decode("utf-8", "replace")])
        ident = format(zlib.crc32(f"{method} {path} ".encode() + body), "08x")
        return (201 if method == "POST" else 200), b'{"id":"' + ident.encode() + b'"}'


class _Connection(asyncio.Protocol):
    def __init__(self, target: Target) -> None:
        self.target, self.buffer = target, b""
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            method, path = head[0].split(" ")[:2]
            self._respond(*self.target.answer(method, path, body))

    def _respond(self, status: int, body: bytes) -> None:
        response = (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    % (status, _REASONS.get(status, b"OK"), len(body))) + body
        target = self.target
        if target.stall_after is not None and target.requests >= target.stall_after:
            target.stall_until = self.loop.time() + target.stall_for
            target.stall_after = None
        delay = target.stall_until - self.loop.time()
        if delay > 0:
            self.loop.call_later(delay, self.transport.write, response)
        else:
            self.transport.write(response)


async def serve(port: int, target: Target) -> None:
    """Serve on 127.0.0.1:``port`` (0 = any free port) until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(target), "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


class TrivialServer:
    """The trivial endpoint in a child process; a context manager that stops it by its PID."""

    def __init__(self, *args: str) -> None:
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen([sys.executable, "-m", "loadtest.trivial", *args],
                                        stdout=subprocess.PIPE, text=True, env=env,
                                        preexec_fn=die_with_parent)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"trivial server did not start: {line!r}")
        self.pid = self.process.pid
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def get(self, path: str) -> Any:
        """GET a JSON document (``/_stats``, ``/_log``)."""
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        """Stop the child process (SIGTERM, then SIGKILL after 5 s)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> TrivialServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stall-after", type=int, default=None)
    parser.add_argument("--stall-for", type=float, default=2.0)
    parser.add_argument("--log", action="store_true")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, Target(args.stall_after, args.stall_for, args.log)))


if __name__ == "__main__":
    main()
