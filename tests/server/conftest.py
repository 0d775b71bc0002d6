"""Fixtures: the real exchange server in a subprocess on a free loopback port.

One server per backend per session (SQLite in a temporary directory; PostgreSQL in a fresh
database created from ``HOTLINE_TEST_POSTGRES_URL`` and dropped afterwards). Every process is
stopped by its PID in a finaliser, also when a test fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loadtest.server import ServerHandle, start_server
from tests.server.support import BACKENDS, Api, postgres_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session (skips when PostgreSQL is absent)."""
    yield from postgres_database()


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[ServerHandle]:
    """A running server per backend, shared by the session."""
    if request.param == "sqlite":
        db: str = str(tmp_path_factory.mktemp("exchange") / "exchange.db")
    else:
        db = request.getfixturevalue("postgres_url")
    handle = start_server(db, max_body_bytes=16 * 1024)
    request.addfinalizer(handle.stop)
    yield handle


@pytest.fixture(scope="session")
def api(server: ServerHandle) -> Iterator[Api]:
    """A client of the session's server."""
    client = Api(server)
    yield client
    client.close()
