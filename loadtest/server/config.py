"""Settings of the exchange server: database URL, platform tokens, limits.

Everything the server needs is resolved here once, into one frozen ``ServerSettings``; the
app, the storage layer and the process runner read nothing else.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import yaml

from sim.domain.errors import InputError
from sim.domain.lines import LINES

PLATFORMS: tuple[str, ...] = (*LINES, "admin")
"""Every platform that holds a token; ``admin`` sees and changes everything."""

DEV_TOKENS: MappingProxyType[str, str] = MappingProxyType({p: f"dev-{p}" for p in PLATFORMS})
"""Development tokens, used when no ``--tokens`` file is given."""

DEFAULT_DB_PATH = Path("results") / "exchange.db"
DEFAULT_MAX_BODY_BYTES = 64 * 1024
SETTINGS_ENV = "HOTLINE_SERVER_SETTINGS"

Synchronous = Literal["full", "normal"]


@dataclass(frozen=True)
class ServerSettings:
    """Resolved settings of one server process.

    ``db_url`` is a SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``),
    ``tokens`` maps platform to token, ``sqlite_synchronous`` is SQLite's ``synchronous``
    pragma (ignored for PostgreSQL).
    """

    db_url: str
    tokens: dict[str, str] = field(default_factory=lambda: dict(DEV_TOKENS))
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    sqlite_synchronous: Synchronous = "full"

    def to_env(self) -> str:
        """These settings as a JSON string (for worker processes started by uvicorn)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServerSettings:
        """The settings a parent process put in ``HOTLINE_SERVER_SETTINGS``."""
        raw = os.environ.get(SETTINGS_ENV)
        if not raw:
            raise InputError("not set", source=SETTINGS_ENV)
        return cls(**json.loads(raw))


def resolve_db_url(db: str | None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL, a file path, or nothing (``results/exchange.db``).

    ``postgresql://`` and ``postgres://`` URLs are mapped to the psycopg 3 driver; a plain
    path becomes a SQLite file URL and its directory is created.
    """
    if not db:
        db = str(DEFAULT_DB_PATH)
    for prefix in ("postgresql://", "postgres://"):
        if db.startswith(prefix):
            return "postgresql+psycopg://" + db[len(prefix):]
    if db.startswith("postgresql+psycopg://"):
        return db
    if db.startswith("sqlite:///"):
        path = Path(db[len("sqlite:///"):])
    elif "://" in db:
        raise InputError("expected a file path, sqlite:///PATH or postgresql://…", source="--db")
    else:
        path = Path(db)
    if str(path) in ("", ":memory:"):
        raise InputError("an in-memory database cannot be shared by workers", source="--db")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the database directory: {exc}", source="--db") from exc
    return f"sqlite:///{path.resolve()}"


def load_tokens(path: Path) -> dict[str, str]:
    """Read a YAML ``{platform: token}`` file; it replaces every development token.

    Platforms left out of the file have no token and so no access.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read tokens: {exc}", source=path) from exc
    if not isinstance(raw, dict) or not raw:
        raise InputError("expected a mapping {platform: token}", source=path)
    tokens: dict[str, str] = {}
    for platform, token in raw.items():
        name = str(platform)
        if name not in PLATFORMS:
            raise InputError(f"unknown platform; expected one of {', '.join(PLATFORMS)}",
                             source=path, key=name)
        if not isinstance(token, str) or not token or not token.isprintable() or " " in token:
            raise InputError("token must be a non-empty printable string without spaces",
                             source=path, key=name)
        tokens[name] = token
    if len(set(tokens.values())) != len(tokens):
        raise InputError("two platforms share a token", source=path)
    return tokens
