"""The OpenAPI description is valid JSON and lists every endpoint; the docs page renders."""

import json

import pytest

EXPECTED_PATHS = {
    "/api/v1/regions",
    "/api/v1/regions/{code}",
    "/api/v1/regions/{code}/tree",
    "/api/v1/departments",
    "/api/v1/departments/{department_id}",
    "/api/v1/themes",
    "/api/v1/life-events",
    "/api/v1/life-events/{slug}",
    "/api/v1/items",
    "/api/v1/items/{code}",
    "/api/v1/search",
    "/api/v1/search/suggest",
}


@pytest.mark.django_db
def test_openapi_json_lists_every_path(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "通办 Tongban API"
    assert EXPECTED_PATHS <= set(schema["paths"])
    for path in EXPECTED_PATHS:
        operations = schema["paths"][path]
        assert set(operations) == {"get"}, path
        assert operations["get"]["summary"], path
        assert "200" in operations["get"]["responses"], path
    # Every path other apps mount lives under the same prefix.
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


@pytest.mark.django_db
def test_openapi_documents_parameters_and_enums(client):
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    params = {p["name"]: p for p in schema["paths"]["/api/v1/items"]["get"]["parameters"]}
    assert {"region", "department", "theme", "audience", "type", "page", "page_size"} <= set(params)
    assert params["page_size"]["schema"]["maximum"] == 100
    assert set(schema["components"]["schemas"]["Audience"]["enum"]) == {"person", "enterprise"}
    assert "20" in schema["components"]["schemas"]["ItemType"]["enum"]


@pytest.mark.django_db
def test_docs_page_renders(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


@pytest.mark.django_db
def test_api_root_points_to_description_and_docs(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["openapi"] == "http://testserver/api/v1/openapi.json"
    assert body["docs"] == "http://testserver/api/v1/docs"
    assert body["version"] == "1.0.0"
