"""``hotline serve``: run the reference exchange server."""

from __future__ import annotations

from pathlib import Path

import click

from loadtest.server.config import (
    DEFAULT_MAX_BODY_BYTES,
    ServerSettings,
    load_tokens,
    resolve_db_url,
)
from sim.domain.errors import InputError


@click.command("serve")
@click.option("--db", "db", metavar="URL|PATH", default=None,
              help="Database: a SQLite file path or sqlite:///PATH, or a postgresql:// URL. "
                   "Default: results/exchange.db under the current directory.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="TCP port; 0 lets the system choose (the chosen port is printed).")
@click.option("--tokens", "tokens_file", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
              help="YAML file {platform: token} replacing the development tokens "
                   "(dev-12345, dev-110, …, dev-admin).")
@click.option("--max-body-bytes", type=click.IntRange(256, 16 * 1024 * 1024),
              default=DEFAULT_MAX_BODY_BYTES, show_default=True,
              help="Largest request body accepted; larger bodies get 413.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="uvicorn worker processes sharing the socket.")
@click.option("--sqlite-synchronous", type=click.Choice(["full", "normal"]), default="full",
              show_default=True,
              help="SQLite synchronous pragma: full survives power loss; normal survives a "
                   "crash of the server process (kill -9) and is faster.")
@click.option("--port-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the bound port to this file once listening (for supervisors).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info",
                                                "debug"]),
              default="warning", show_default=True, help="uvicorn log level.")
def serve(db: str | None, host: str, port: int, tokens_file: Path | None,
          max_body_bytes: int, workers: int, sqlite_synchronous: str,
          port_file: Path | None, log_level: str) -> None:
    """Run the reference 12345 ↔ 110 exchange server (FastAPI on uvicorn)."""
    try:
        settings = ServerSettings(
            db_url=resolve_db_url(db),
            **({"tokens": load_tokens(tokens_file)} if tokens_file else {}),
            max_body_bytes=max_body_bytes, sqlite_synchronous=sqlite_synchronous,  # type: ignore[arg-type]
        )
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc
    from loadtest.server.serving import serve as run_server  # FastAPI and uvicorn: only to serve

    run_server(settings, host=host, port=port, workers=workers, port_file=port_file,
               log_level=log_level)
