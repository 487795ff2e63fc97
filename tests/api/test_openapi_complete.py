"""The published description is complete (issue 19, finding 4): every schema name belongs to one
schema, and every operation documents the error answers it can give, in the API's error shape."""

import json

import pytest
from ninja import NinjaAPI, Router, Schema

from tongban.apidoc import DocumentedSchema

pytestmark = pytest.mark.django_db


@pytest.fixture
def described(client):
    return json.loads(client.get("/api/v1/openapi.json").content)


def test_no_schema_name_is_claimed_by_two_schemas():
    from tongban.api import api

    assert api.get_openapi_schema().clashes == []


def test_a_clash_is_found_when_two_apps_use_one_name(settings):
    """The check itself can fail: two ``EventOut`` classes from two routers."""

    def event_out(field):
        return type("EventOut", (Schema,), {"__annotations__": {field: str}})

    first, second = Router(), Router()
    first.get("/a", response=list[event_out("title")])(lambda request: [])
    second.get("/b", response=list[event_out("action")])(lambda request: [])
    probe = NinjaAPI(urls_namespace="clash-probe")
    probe.add_router("/", first)
    probe.add_router("/", second)
    assert DocumentedSchema(probe, "probe/").clashes == ["EventOut"]


def test_renamed_schemas_keep_their_own_shapes(described):
    schemas = described["components"]["schemas"]
    assert {"requirement_id", "uploaded"} <= set(schemas["ApplicationMaterialOut"]["properties"])
    assert {"necessity_name", "forms", "copies"} <= set(schemas["MaterialOut"]["properties"])
    assert "opinion" in schemas["CaseEventOut"]["properties"]
    assert "action_label" in schemas["CertificateEventOut"]["properties"]
    assert "EventOut" not in schemas


def _operations(described):
    for path, methods in described["paths"].items():
        for method, details in methods.items():
            yield path, method, details


def test_every_operation_documents_its_error_answers(described):
    missing = []
    for path, method, details in _operations(described):
        responses = {int(code) for code in details["responses"]}
        expected = set()
        if details.get("parameters") or "requestBody" in details:
            expected |= {404, 422}
        if details.get("security"):
            expected |= {401, 403}
        if not expected <= responses:
            missing.append(f"{method.upper()} {path}: {sorted(expected - responses)}")
    assert missing == []


def test_error_answers_have_the_error_shape(described):
    error = described["components"]["schemas"]["ApiError"]
    assert set(error["required"]) == {"code", "message"}
    for path, method, details in _operations(described):
        for code, answer in details["responses"].items():
            if int(code) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ApiError"}, (method, path, code)
                assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["description"])


def test_a_signed_in_operation_documents_401_and_a_public_one_does_not(described):
    mine = described["paths"]["/api/v1/cases"]["get"]["responses"]
    public = described["paths"]["/api/v1/regions"]["get"]["responses"]
    assert "401" in mine and "403" in mine
    assert "401" not in public and "422" in public


def test_special_answers_are_documented_where_they_happen(described):
    paths = described["paths"]
    assert "410" in paths["/api/v1/certificates/shared/{token}"]["get"]["responses"]
    assert "409" in paths["/api/v1/staff/cases/{number}/steps"]["post"]["responses"]
    assert "409" in paths["/api/v1/cases/{number}/withdraw"]["post"]["responses"]
    reveal = paths["/api/v1/staff/cases/{number}/reveal"]["post"]
    assert {"400", "401", "403", "404", "422"} <= set(reveal["responses"])
