"""Schema-driven fuzzing: schemathesis generates valid and invalid requests for every operation
of the served OpenAPI document; the server must never answer 5xx.

Bounded: a few examples per operation, loopback only. The deterministic coverage phase
(boundary values, wrong types, missing fields: the costly part) runs against SQLite; the
PostgreSQL run adds random valid and invalid data, which is what reaches the database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from loadtest.server import ServerHandle

EXAMPLES = 8
schema = schemathesis.pytest.from_fixture("served_schema")


@pytest.fixture(scope="session")
def served_schema(server: ServerHandle) -> schemathesis.BaseSchema:
    """The server's own /openapi.json, generating positive and negative cases."""
    loaded = schemathesis.openapi.from_url(server.url + "/openapi.json")
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=EXAMPLES, allow_x00=True, deterministic=True)
    if server.db_url.startswith("postgresql"):
        loaded.config.phases.update(phases=["examples", "fuzzing"])
    return loaded


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, server: ServerHandle) -> None:
    # As admin, so generated requests get past the token check to the validation and storage.
    response = case.call(base_url=server.url, headers=server.headers("admin"), timeout=10)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text
