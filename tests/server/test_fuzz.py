"""Schema-driven fuzzing: schemathesis generates valid and invalid requests for every operation
of the served OpenAPI document. The server and its schema must agree in both directions:
no 5xx; every request valid by the schema accepted (or refused only for who asks or what is
stored: 401, 403, 404, 409); every request invalid by it refused with a 4xx; every response,
its status, media type, headers (``Allow`` on 405 included) as the schema says.

Bounded: a few examples per operation, loopback only. The deterministic coverage phase
(boundary values, wrong types, missing fields: the costly part) runs against SQLite; the
PostgreSQL run adds random valid and invalid data, which is what reaches the database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from loadtest.server import ServerHandle

EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, positive_data_acceptance,
          negative_data_rejection, allow_header_conformance, unsupported_method]
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
def test_server_and_schema_agree(case: schemathesis.Case, server: ServerHandle) -> None:
    # As admin, so generated requests get past the token check to the validation and storage,
    # except where the generated headers are the invalid part (a missing token, say).
    response = case.call(base_url=server.url, headers=_auth(case, server), timeout=10)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code < 500, response.text


def _auth(case: schemathesis.Case, server: ServerHandle) -> dict[str, str]:
    components = case.meta.components if case.meta is not None else {}
    negative = any(str(getattr(location, "value", location)) == "header"
                   and info.mode == GenerationMode.NEGATIVE for location, info in components.items())
    return {} if negative else server.headers("admin")
