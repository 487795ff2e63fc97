import json

import pytest

from tests.cases.conftest import PDF, fill
from tests.factories import login_verified
from tongban.cases.models import Case


def login(client, user):
    client.logout()
    if user.kind == "staff":
        login_verified(client, user)
    else:
        client.force_login(user)
    return client


def create(client, item):
    response = client.post("/api/v1/applications", {"item_code": item.code}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def prepare(client, world):
    body = create(client, world["item"])
    from tongban.cases.models import Application

    application = Application.objects.get(public_id=body["id"])
    response = client.patch(
        f"/api/v1/applications/{body['id']}",
        {"data": fill(application), "step": 1},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("执照.pdf", PDF, content_type="application/pdf")
    response = client.post(
        f"/api/v1/applications/{body['id']}/materials/{world['material'].pk}", {"file": upload}
    )
    assert response.status_code == 201, response.content
    return body["id"]


def test_apply_through_the_api_with_idempotency_key(client, world):
    login(client, world["applicant"])
    app_id = prepare(client, world)
    first = client.post(f"/api/v1/applications/{app_id}/submit", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post(f"/api/v1/applications/{app_id}/submit", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Case.objects.count() == 1
    number = first.json()["number"]
    detail = client.get(f"/api/v1/cases/{number}").json()
    assert detail["status"] == "pending_intake" and detail["timeline"][0]["title"] == "网上申请提交"
    assert client.get("/api/v1/cases").json()["total"] == 1


def test_staff_process_through_the_api(client, world):
    login(client, world["applicant"])
    app_id = prepare(client, world)
    number = client.post(f"/api/v1/applications/{app_id}/submit").json()["number"]
    steps = [
        (world["intake"], {"action": "claim"}),
        (world["intake"], {"action": "request_correction", "opinion": "地址不全", "fields": ["address"]}),
    ]
    for user, payload in steps:
        login(client, user)
        response = client.post(
            f"/api/v1/staff/cases/{number}/steps", payload, content_type="application/json"
        )
        assert response.status_code == 200, response.content
    login(client, world["applicant"])
    data = json.dumps({"address": {"region": "511602", "detail": "建设路 8 号"}})
    response = client.post(f"/api/v1/cases/{number}/correction", {"data": data})
    assert response.status_code == 200, response.content
    for user, payload in [
        (world["intake"], {"action": "accept"}),
        (world["reviewer"], {"action": "review", "opinion": "符合"}),
        (world["decider"], {"action": "decide", "grant": True, "opinion": "准予"}),
        (world["issuer"], {"action": "conclude", "result": "issued"}),
    ]:
        login(client, user)
        response = client.post(
            f"/api/v1/staff/cases/{number}/steps", payload, content_type="application/json"
        )
        assert response.status_code == 200, response.content
    assert response.json()["status"] == "concluded"


def test_api_refusals(client, world):
    anonymous = client.post(
        "/api/v1/applications", {"item_code": world["item"].code}, content_type="application/json"
    )
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    login(client, world["applicant"])
    app_id = prepare(client, world)
    number = client.post(f"/api/v1/applications/{app_id}/submit").json()["number"]
    login(client, world["other"])
    assert client.get(f"/api/v1/cases/{number}").status_code == 404
    assert client.get(f"/api/v1/applications/{app_id}").status_code == 404
    assert (
        client.post(f"/api/v1/cases/{number}/withdraw", {}, content_type="application/json").status_code
        == 404
    )
    login(client, world["outsider"])
    response = client.post(
        f"/api/v1/staff/cases/{number}/steps", {"action": "accept"}, content_type="application/json"
    )
    assert response.status_code == 404
    login(client, world["reviewer"])
    response = client.post(
        f"/api/v1/staff/cases/{number}/steps", {"action": "accept"}, content_type="application/json"
    )
    assert response.status_code == 403 and "角色" in response.json()["message"]
    response = client.post(
        f"/api/v1/staff/cases/{number}/steps", {"action": "fly"}, content_type="application/json"
    )
    assert response.status_code == 422
    login(client, world["intake"])
    response = client.post(
        f"/api/v1/staff/cases/{number}/steps",
        {"action": "accept", "expected_version": 99},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "stale"
    assert client.get("/api/v1/staff/queue?deadline=purple").status_code == 422


@pytest.mark.parametrize("payload", [{"item_code": "nope"}, {}])
def test_create_application_bad_input(client, world, payload):
    login(client, world["applicant"])
    response = client.post("/api/v1/applications", payload, content_type="application/json")
    assert response.status_code in (404, 422)
    assert "message" in response.json()


def test_upload_rejects_renamed_executable(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, world["applicant"])
    app_id = create(client, world["item"])["id"]
    exe = SimpleUploadedFile("照片.png", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/png")
    response = client.post(f"/api/v1/applications/{app_id}/materials/{world['material'].pk}", {"file": exe})
    assert response.status_code == 400 and "按文件内容判断" in response.json()["message"]
