"""The API fuzzed against its own OpenAPI description (issue 19): no input makes a server error,
and every answer, error answers included, is one the description documents.

Schemathesis generates requests for every operation in /api/v1/openapi.json, valid and invalid,
once anonymously and once with the bearer token of a throw-away citizen account. The seed is
fixed and the number of examples bounded so that a run is repeatable and costs well under a
minute per database; a failure prints the request that reproduces it.
"""

import datetime as dt
import itertools
import secrets

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, seed, settings
from oauth2_provider.models import get_access_token_model
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import catalogue, guangan
from tests.factories import UserFactory
from tongban.identity.oidc.models import Client

__all__ = ["catalogue", "guangan"]

SEED = 20261203
EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def in_test_transaction():
    """Requests through the plain WSGI handler stay in the test's transaction, as with Django's
    test client: Django closes "old" connections around every request, and on PostgreSQL a
    connection inside the test's transaction counts as one."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_schema(db, catalogue, in_test_transaction):
    """The description as the running application publishes it, calling that application in-process."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.fixture
def throwaway_token(db):
    """An access token with the ``api`` scope for a citizen made for this run only."""
    user = UserFactory(username=f"fuzz-{secrets.token_hex(4)}", kind="citizen", real_name="测试")
    system = Client.objects.create(
        name="模糊测试",
        client_type=Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://rp.invalid/callback",
    )
    token = get_access_token_model().objects.create(
        user=user,
        application=system,
        token=secrets.token_urlsafe(30),
        scope="openid api",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return token.token


def _can_be_invalid(definition):
    """Whether a request can break the description at all (a free-text path parameter cannot)."""
    if "requestBody" in definition:
        return True
    for parameter in definition.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("required") and parameter.get("in") != "path":
            return True
        if schema.get("type") != "string" or set(schema) & {
            "pattern",
            "maxLength",
            "minLength",
            "enum",
            "format",
        }:
            return True
    return False


def _fuzz(schema, headers=None):
    """Every operation, EXAMPLES valid and EXAMPLES invalid requests each; all failures reported together."""
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not _can_be_invalid(operation.definition.raw):
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @seed(SEED)
        @FUZZ
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # every operation is tried before the test fails
            failures.append(f"{operation.label} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)


def test_anonymous_requests(api_schema):
    _fuzz(api_schema)


def test_requests_with_a_citizen_token(api_schema, throwaway_token):
    _fuzz(api_schema, {"Authorization": f"Bearer {throwaway_token}"})
