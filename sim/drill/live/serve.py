"""Open a drill directory for live play and serve it under uvicorn until interrupted."""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.domain.errors import InputError
from sim.drill.live.files import DrillFiles
from sim.drill.live.session import LiveDrill
from sim.drill.live.store import TRAINEE, TRAINER, Store, fingerprint

DB_NAME = "live.sqlite"


@dataclass(frozen=True)
class Links:
    """The trainer's link and one per trainee, each carrying its token."""

    trainer: str
    trainees: dict[str, str]

    def lines(self) -> list[str]:
        """As printed at startup."""
        return [f"trainer 教官: {self.trainer}",
                *(f"{name} 学员: {url}" for name, url in self.trainees.items())]


def open_live(directory: Path, db: Path | None, speed: float, grace_s: float,
              reset: bool = False, held: bool = False) -> LiveDrill:
    """The live drill of ``directory`` with its database (resumed when it exists).

    ``held``: a resumed running clock stands still until :meth:`LiveDrill.serving` (the server
    calls it once it accepts connections), so no drill time passes while nobody can reach it.
    """
    directory = Path(directory)
    for option, value in (("--speed", speed), ("--grace", grace_s)):
        if not math.isfinite(value) or value < 0 or (option == "--speed" and value == 0):
            raise InputError(f"expected a finite number{' > 0' if option == '--speed' else ''}"
                             f"; got {value!r}", source=option)
    files = DrillFiles.read(directory)  # first: a bad directory writes no database
    db = directory / DB_NAME if db is None else Path(db)
    trainees = sorted({i["trainee"] for i in files.injects.values()}, key=lambda t: (len(t), t))
    store = Store(db, fingerprint(directory / "answers.json"), trainees, reset)
    return LiveDrill(files, store, speed, grace_s, held=held)


def links(live: LiveDrill, base: str) -> Links:
    """The links of every participant at ``base`` (``http://host:port``)."""
    tokens = live.store.tokens()
    trainer = next(t for t, (role, _) in tokens.items() if role == TRAINER)
    by_name = {name: t for t, (role, name) in tokens.items() if role == TRAINEE}
    return Links(f"{base}/trainer/{trainer}",
                 {name: f"{base}/console/{by_name[name]}" for name in live.trainees})


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: the kernel picks one); ``InputError`` when it cannot bind."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        family, kind, proto, _, address = info[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)  # connections queue from now on, before uvicorn accepts them
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         source="--host/--port") from None
    return sock


def base_url(sock: socket.socket, host: str) -> str:
    """The address participants open: the host as given, or this machine's name for 0.0.0.0."""
    port = sock.getsockname()[1]
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def check_links_path(path: Path) -> None:
    """``--links``: ``InputError`` unless the file can be written (checked before the database)."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"no such directory: {parent}", source="--links")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"cannot write {path}: permission denied", source="--links")


def write_links(path: Path, found: Links) -> None:
    """The links as JSON (written through a temporary file, so a reader never sees half)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"trainer": found.trainer, "trainees": found.trainees,
                               "pid": os.getpid()}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def serve(live: LiveDrill, sock: socket.socket, on_serving: Callable[[], None] = lambda: None,
          log_level: str = "warning") -> None:
    """Serve until SIGINT/SIGTERM (open event streams are closed after a second)."""
    make_server(live, on_serving, log_level).run(sockets=[sock])


def make_server(live: LiveDrill, on_serving: Callable[[], None] = lambda: None,
                log_level: str = "warning"):
    """The uvicorn server of ``live`` (run it with ``.run(sockets=[sock])``).

    Once uvicorn accepts connections, the held clock is released and ``on_serving`` runs (the
    command prints the links and writes ``--links`` then, never before a page can connect):
    importing the web stack and starting up (about a second) costs a resumed drill no time.
    """
    import uvicorn

    from sim.drill.live.app import create_app

    app = create_app(live)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                live.serving()
                on_serving()

        def handle_exit(self, sig, frame) -> None:
            app.state.stopping = True  # event streams end, so shutdown need not cancel them
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=3)
    return _Server(config)
