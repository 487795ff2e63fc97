"""一件事 applying through /api/v1/: start, one form, one upload for several items, an idempotent
submit, the list of my joint cases; another person gets 404 for the draft and the joint case."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cases.conftest import PDF, citizen
from tests.cases.test_joint_apply import SHARED, make_bundle
from tongban.cases.models import Attachment, Case, JointCase

ADDRESS = {"region": "511602", "detail": "建设路 8 号"}


def test_apply_for_a_bundle_through_the_api(client, db):
    bundle, items = make_bundle()
    user, other = citizen(), citizen("李四")
    client.force_login(user)
    response = client.post(
        "/api/v1/joint-applications", {"bundle": bundle.slug}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    pid = body["id"]
    assert [i["item_name"] for i in body["items"]] == [i.name for i in items]
    assert "mobile" in body["prefilled"]
    requests = {n: "开办餐饮店" for n in body["form_schema"]["properties"] if n.startswith("request")}
    response = client.patch(
        f"/api/v1/joint-applications/{pid}",
        {"data": {"address": ADDRESS, **requests}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    for material in response.json()["materials"]:
        upload = SimpleUploadedFile("材料.pdf", PDF, content_type="application/pdf")
        response = client.post(
            f"/api/v1/joint-applications/{pid}/materials/{material['code']}", {"file": upload}
        )
        assert response.status_code == 201, response.content
    assert Attachment.objects.filter(application__joint__public_id=pid, requirement__name=SHARED).count() == 3

    client.force_login(other)
    assert client.get(f"/api/v1/joint-applications/{pid}").status_code == 404
    assert (
        client.patch(
            f"/api/v1/joint-applications/{pid}", {"data": {}}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/joint-applications/{pid}/submit").status_code == 404
    assert JointCase.objects.count() == 0

    client.force_login(user)
    first = client.post(f"/api/v1/joint-applications/{pid}/submit", HTTP_IDEMPOTENCY_KEY="joint-1")
    again = client.post(f"/api/v1/joint-applications/{pid}/submit", HTTP_IDEMPOTENCY_KEY="joint-1")
    assert first.status_code == again.status_code == 201, first.content
    number = first.json()["number"]
    assert again.json()["number"] == number and len(first.json()["children"]) == 3
    # The first answer is built from what the split made, the retry's from a fresh read: the same.
    assert first.json() == again.json()
    assert [e["number"] for e in first.json()["timeline"]] == [c["number"] for c in first.json()["children"]]
    assert JointCase.objects.count() == 1 and Case.objects.count() == 3
    for case in Case.objects.all():
        assert case.data["address"] == ADDRESS
    listed = client.get("/api/v1/joint-cases").json()
    assert listed["count"] == 1 and listed["results"][0]["number"] == number
    assert client.get(f"/api/v1/joint-cases/{number}").status_code == 200

    client.force_login(other)
    assert client.get(f"/api/v1/joint-cases/{number}").status_code == 404
    assert client.get("/api/v1/joint-cases").json()["count"] == 0
