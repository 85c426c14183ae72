"""Schemathesis against a live `votr serve`: every endpoint of the OpenAPI document, with
data that fits the schema and data that does not. No response may be a 5xx, and every
response must match what the document promises (status, content type, headers, body).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

TOKEN = "schema-test-token"
# Enough to cover every parameter's shape, few enough to stay at seconds per backend.
# The same requests (derandomized) reach the servers too; fewer of them, as what varies
# with the backend is how the database takes them, not how they are parsed.
EXAMPLES_PER_OPERATION = {"sqlite": 40, "postgresql": 15, "mysql": 15}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_endpoint_keeps_to_the_openapi_document(start_server, mode, backend):
    server = start_server(token=TOKEN)
    # Polls to find, so that generated requests reach more than "not found": one with a
    # vote, and one (the path's) whose results are hidden, so its counts are null.
    seeded = server.post("/api/polls", json={"title": "Lunch?", "options": ["pizza", "sushi"]})
    assert seeded.status_code == 201
    assert server.patch("/api/poll/vote", json={"poll_title": "Lunch?", "option": "pizza",
                                                "voter": "ann"}).status_code == 200
    hidden = server.post("/api/polls", json={"title": "Dinner?", "options": ["soup", "stew"], "allow_change": True,
                                             "results": "closed", "quorum": 2})
    assert hidden.status_code == 201 and hidden.json()["poll"]["results_hidden"]
    poll_id = hidden.json()["poll"]["id"]

    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # Schemathesis leaves out the document's own URL; test_http_api checks that one.
    assert {operation.label for operation in operations} == {
        "GET /api/polls", "POST /api/polls", "GET /api/polls/options", "GET /api/poll/{poll}",
        "PATCH /api/poll/vote", "DELETE /api/poll/vote", "POST /api/poll/{poll}/close",
        "POST /api/poll/{poll}/reopen", "POST /api/poll/{poll}/invites", "GET /api/poll/{poll}/invites",
        "DELETE /api/poll/{poll}/invites/{voter}",
    }
    for operation in operations:
        strategies = [operation.as_strategy(generation_mode=mode)]
        if "{poll}" in operation.path and mode is GenerationMode.POSITIVE:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters={"poll": poll_id}))
        for strategy in strategies:
            try:
                _check_cases(strategy, server.url, EXAMPLES_PER_OPERATION[backend])
            except Unsatisfiable:
                # No invalid request exists for an operation that takes no body and at
                # most a path segment (any non-empty text is a valid poll reference).
                if mode is GenerationMode.POSITIVE or operation.body:
                    raise


def _check_cases(strategy, base_url: str, examples: int) -> None:
    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"},
                               checks=CHECKS, timeout=60)

    check()
