"""The pages call the same services: a citizen submits and rates, an anonymous reporter follows
with the token, staff act on a request only as ``access`` allows; a full phone number shown to
the centre is logged with its purpose."""

import pytest

from tests.factories import login_verified
from tongban.consult import services
from tongban.consult.models import Petition
from tongban.registries.models import DataAccessLog

pytestmark = pytest.mark.django_db


def test_citizen_submits_from_the_page_and_sees_it_in_my_requests(client, world):
    client.force_login(world["citizen"])
    response = client.post(
        "/consult/new/",
        {
            "kind": "complain",
            "category": "gov-window",
            "title": "窗口让我跑两次",
            "body": "第二次又要求新的证明。",
        },
    )
    petition = Petition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/consult/r/{petition.number}/"
    assert petition.channel == "web" and petition.requester == world["citizen"]
    assert petition.number in client.get("/my/consult/").content.decode()
    refused = client.post("/consult/new/", {"kind": "complain", "title": "", "body": "内容内容内容"})
    assert refused.status_code == 400 and "请填写标题" in refused.content.decode()
    assert Petition.objects.count() == 1


def test_anonymous_report_is_followed_with_its_token_only(client, world):
    response = client.post(
        "/consult/new/", {"kind": "report", "title": "超市卖过期食品", "body": "货架上有过期酸奶。"}
    )
    petition = Petition.objects.get()
    assert response["Location"] == f"/consult/r/{petition.number}/?t={petition.token}"
    assert client.get(f"/consult/r/{petition.number}/").status_code == 404
    assert client.get(f"/consult/r/{petition.number}/?t={petition.token}").status_code == 200
    refused = client.post("/consult/new/", {"kind": "complain", "title": "投诉标题", "body": "投诉内容内容"})
    assert refused.status_code == 403 and Petition.objects.count() == 1


def test_staff_actions_follow_access_and_the_rating_page_reopens(client, world):
    petition = services.submit(
        user=world["citizen"], kind="complain", title="投诉窗口", body="窗口态度不好。"
    )
    handler = client
    login_verified(handler, world["rs_handler"])
    assert handler.get(f"/staff/consult/r/{petition.number}/").status_code == 404
    handler.logout()
    login_verified(client, world["operator"])
    page = client.get(f"/staff/consult/r/{petition.number}/").content.decode()
    assert 'value="dispatch"' in page and "139****0009" in page and "13900000009" not in page
    client.post(f"/staff/consult/r/{petition.number}/", {"action": "dispatch", "department": world["rs"].pk})
    assert Petition.objects.get().department == world["rs"]
    client.logout()
    login_verified(client, world["rs_handler"])
    page = client.get(f"/staff/consult/r/{petition.number}/").content.decode()
    assert 'value="accept"' in page and 'value="dispatch"' not in page
    client.post(f"/staff/consult/r/{petition.number}/", {"action": "accept"})
    client.post(f"/staff/consult/r/{petition.number}/", {"action": "answer", "text": "已核实并整改。"})
    assert Petition.objects.get().status == "answered"
    client.logout()
    client.force_login(world["citizen"])
    client.post(f"/consult/r/{petition.number}/", {"satisfaction": "dissatisfied", "comment": "没有解决。"})
    assert Petition.objects.get().status == "handling"


def test_a_full_number_shown_to_the_centre_is_logged_with_its_purpose(client, world):
    petition = services.submit(
        user=world["citizen"], kind="complain", title="投诉窗口", body="窗口态度不好。"
    )
    login_verified(client, world["operator"])
    page = client.post(f"/staff/consult/r/{petition.number}/", {"action": "reveal"}).content.decode()
    assert "13900000009" in page
    log = DataAccessLog.objects.get(channel="consult")
    assert petition.number in log.purpose and log.accessor == world["operator"]


def test_assistant_page_works_without_javascript_and_hands_over(client, world):
    page = client.get("/consult/", {"q": "今天天气怎么样"}).content.decode()
    assert "转人工咨询" in page and "/consult/new/?from=assistant" in page
    form = client.get("/consult/new/?from=assistant").content.decode()
    assert "今天天气怎么样" in form  # the transcript goes along


def test_attachments_are_checked_and_shown_only_to_those_who_see_the_request(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.cases.conftest import PDF

    client.force_login(world["citizen"])
    fake = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(
        "/consult/new/",
        {"kind": "complain", "title": "附件测试", "body": "请看附件内容。", "attachments": [fake]},
    )
    assert refused.status_code == 400 and not Petition.objects.exists()
    client.post(
        "/consult/new/",
        {
            "kind": "complain",
            "title": "附件测试",
            "body": "请看附件内容。",
            "attachments": [SimpleUploadedFile("现场.pdf", PDF, content_type="application/pdf")],
        },
    )
    petition = Petition.objects.get()
    url = f"/consult/r/{petition.number}/files/{petition.attachments.get().pk}/"
    assert client.get(url).status_code == 200
    client.force_login(world["other"])
    assert client.get(url).status_code == 404
