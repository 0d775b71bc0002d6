"""Open a drill directory for live play and serve it under uvicorn until interrupted."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from sim.drill.live.session import DrillFiles, LiveDrill
from sim.drill.live.store import TRAINEE, TRAINER, Store, fingerprint
from sim.errors import InputError

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
              reset: bool = False) -> LiveDrill:
    """The live drill of ``directory`` with its database (resumed when it exists)."""
    directory = Path(directory)
    files = DrillFiles.read(directory)  # first: a bad directory writes no database
    db = directory / DB_NAME if db is None else Path(db)
    trainees = sorted({i["trainee"] for i in files.injects.values()}, key=lambda t: (len(t), t))
    store = Store(db, fingerprint(directory / "answers.json"), trainees, reset)
    return LiveDrill(files, store, speed, grace_s)


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


def write_links(path: Path, found: Links) -> None:
    """The links as JSON (written through a temporary file, so a reader never sees half)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"trainer": found.trainer, "trainees": found.trainees,
                               "pid": os.getpid()}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def serve(live: LiveDrill, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve until SIGINT/SIGTERM (open event streams are closed after a second)."""
    import uvicorn

    from sim.drill.live.app import create_app

    app = create_app(live)

    class _Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            app.state.stopping = True  # event streams end, so shutdown need not cancel them
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=3)
    _Server(config).run(sockets=[sock])
