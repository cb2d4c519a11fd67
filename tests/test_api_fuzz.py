"""Schemathesis over the whole OpenAPI schema: every operation, generated inputs, as the owner.

Checks: no 5xx, and every response (status, content type, headers, body) conforms to the schema.
The operations come from `/api/v1/openapi.json` of the running Django app, so new endpoints join
this suite by existing. Bounded: a few examples per operation, no deadline, no slow-data health checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from atendo.booking.tests.canary import booking_open
from atendo.workspaces.tokens import api_token_create
from atendo.wsgi import application
from tests.test_tenant_isolation import ID_FACTORIES

# Examples per operation (plus schemathesis' boundary-value cases); FUZZ_EXAMPLES=100 for a deep run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# No 5xx, and every response matches the schema. (Not "every schema-valid request is accepted":
# business rules such as "a known time zone" or "the last owner stays" cannot all live in a schema.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# Every operation is fuzzed inside the persona workspace (tenant isolation has its own suite).
schema.config.update(parameters={"workspace_slug": "serena"})

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def bearer(owner: Any, therapist: Any, assistant: Any) -> Iterator[dict[str, str]]:
    """The owner's token; the WSGI app runs in the test's transaction, so keep its connection open."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    _token, raw = api_token_create(member=owner, name="fuzz")
    try:
        # Identity: the WSGI transport hands the body over as sent, and a gzipped answer (the
        # calendar's) would reach the schema checks undecoded.
        yield {"Authorization": f"Bearer {raw}", "Accept-Encoding": "identity"}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(owner: Any) -> dict[str, int]:
    """One real object of each kind in the persona workspace, so fuzzing reaches past the lookup
    (and online booking on, so the public operations are fuzzed past their gate)."""
    booking_open(owner)
    return {name: make(owner) for name, make in ID_FACTORIES.items()}


def _aim_at_real_objects(case: Any, real_ids: dict[str, int]) -> None:
    """Half the generated ids (the even ones) are swapped for a real object's id."""
    for name, value in list((case.path_parameters or {}).items()):
        if name in real_ids and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = real_ids[name]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # one workspace per operation is what we want
    ],
)
def test_api_never_fails_and_conforms_to_its_schema(
    case: Any, bearer: dict[str, str], real_ids: dict[str, int]
) -> None:
    _aim_at_real_objects(case, real_ids)
    case.call_and_validate(headers=bearer, checks=CHECKS)
