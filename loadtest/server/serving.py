"""Run the server under uvicorn in this process: bind, serve, announce the port, until SIGTERM.

The socket is bound here (port 0 lets the kernel choose) and uvicorn serves on it: in this
process, or in ``workers`` processes sharing the socket. The banner and ``port_file`` (for
supervisors such as ``process.start_server``) are written only once the server answers
``/healthz`` on that socket, so whoever reads the port can connect at once (with several
workers, starting them takes seconds).
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from loadtest.server.app import serving_app
from loadtest.server.config import SETTINGS_ENV, ServerSettings
from loadtest.server.protocol import CoalescingHttpToolsProtocol
from loadtest.server.storage import Database
from sim.domain.errors import InputError

KEEP_ALIVE_S = 75
"""How long an idle keep-alive connection stays open (uvicorn's default is 5 s). A load
generator keeps its connections between a call's requests; a server closing one just as the
client reuses it fails that request ("connection closed"), which a short timeout makes likely
on a loaded machine."""


def serve(settings: ServerSettings, *, host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1, port_file: Path | None = None, log_level: str = "warning") -> None:
    """Serve until interrupted (SIGINT/SIGTERM stop gracefully)."""
    sock = _bind(host, port)  # first: a busy port is bad input, before any database is made
    db = Database(settings.db_url, sqlite_synchronous=settings.sqlite_synchronous)
    db.create_schema()
    db.dispose()
    options = {"host": host, "port": port, "log_level": log_level, "access_log": False,
               "timeout_graceful_shutdown": 5, "proxy_headers": False,
               "http": CoalescingHttpToolsProtocol, "loop": "uvloop",
               "timeout_keep_alive": KEEP_ALIVE_S}
    if workers > 1:
        os.environ[SETTINGS_ENV] = settings.to_env()
        config = uvicorn.Config("loadtest.server.app:app_from_env", factory=True,
                                workers=workers, **options)
    else:
        config = uvicorn.Config(serving_app(settings, create_schema=False), **options)
    threading.Thread(target=_announce_when_serving, args=(sock, port_file),
                     name="hotline-announce", daemon=True).start()
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and without it every response waits ~40 ms for the client's delayed ACK.
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    family, kind, proto, _, address = info[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}",
                         source="--port") from None
    sock.set_inheritable(True)  # worker processes serve on it
    return sock


def _announce_when_serving(sock: socket.socket, port_file: Path | None,
                           poll_s: float = 0.02) -> None:
    """Wait until ``/healthz`` answers 200 on the socket's address, then announce the port."""
    host, port = sock.getsockname()[:2]
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    while True:
        conn = http.client.HTTPConnection(probe, port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(poll_s)
    _announce(host, port, port_file)


def _announce(host: str, port: int, port_file: Path | None) -> None:
    print(f"hotline exchange server on http://{host}:{port} (pid {os.getpid()})", flush=True)
    if port_file is not None:
        tmp = port_file.with_name(port_file.name + ".tmp")
        tmp.write_text(str(port), encoding="utf-8")
        tmp.replace(port_file)
