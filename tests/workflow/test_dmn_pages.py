"""The decisions pages: who may see a case's automatic decision, the offers page, the review
form, the figures; the panels on the case pages."""

import pytest
from django.urls import reverse

from tests.factories import login_verified
from tongban.decisions import offers, selectors
from tongban.decisions.models import HumanReview, Offer

from . import dmn_world
from .dmn_world import submit
from .test_dmn_offers import TODAY, old_citizen
from .test_dmn_offers import policy as policy_fixture

world = dmn_world.world
instant = dmn_world.instant
policy = policy_fixture


@pytest.fixture
def granted(instant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(instant)
    case.refresh_from_db()
    return case


def test_the_applicant_sees_why_and_asks_for_a_review(client, instant, granted):
    client.force_login(instant["applicant"])
    page = client.get(reverse("cases:my_case", args=[granted.number]))
    assert "秒批（自动审批）" in page.content.decode() and "已办结" in page.content.decode()
    url = reverse("decisions:case", args=[granted.number])
    why = client.get(url).content.decode()
    assert "第 2 条" in why and instant["table"].digest[:16] in why and "申请人工复核" in why
    assert client.post(url, {"reason": ""}).status_code == 400
    assert not HumanReview.objects.exists()
    assert client.post(url, {"reason": "请人工看一下"}).status_code == 302
    assert HumanReview.objects.get().reason == "请人工看一下"


def test_outsiders_do_not_see_the_decision(client, instant, granted):
    client.force_login(instant["other"])
    assert client.get(reverse("decisions:case", args=[granted.number])).status_code == 404
    login_verified(client, instant["outsider"])
    assert client.get(reverse("decisions:case", args=[granted.number])).status_code == 404


def test_staff_see_the_reason_and_answer_a_review(client, instant, granted):
    from tongban.decisions import services

    review = services.request_review(user=instant["applicant"], case=granted, reason="复核")
    login_verified(client, instant["decider"])
    response = client.get(reverse("cases:staff_case", args=[granted.number]))
    staff_page = response.content.decode()
    assert response.status_code == 200
    assert "查看自动决定的依据" in staff_page and "处理人工复核" in staff_page
    assert granted.number in client.get(reverse("decisions:reviews")).content.decode()
    url = reverse("decisions:review", args=[review.pk])
    assert client.post(url, {"upheld": "1", "answer": ""}).status_code == 400
    assert client.post(url, {"upheld": "1", "answer": "维持。"}).status_code == 302
    review.refresh_from_db()
    assert review.status == HumanReview.Status.UPHELD


def test_the_offers_page_confirm_and_decline(client, policy, django_capture_on_commit_callbacks):
    user, _ = old_citizen()
    offers.sweep(policy, today=TODAY)
    offer = Offer.objects.get()
    client.force_login(user)
    page = client.get(reverse("decisions:offers")).content.decode()
    assert "高龄津贴" in page and "每月 100 元" in page and "确认享受高龄津贴" in page
    assert client.get(reverse("decisions:offer_confirm", args=[offer.pk])).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("decisions:offer_confirm", args=[offer.pk]))
    offer.refresh_from_db()
    assert answer.status_code == 302 and answer.url == reverse("cases:my_case", args=[offer.case.number])
    assert offer.status == Offer.Status.CONFIRMED


def test_figures(instant, granted, world):
    from tongban.cases.models import Case

    submit(instant, dmn_world.case_fixtures.citizen("赵六"))
    numbers = selectors.figures(Case.objects.all())
    assert numbers["cases"] == 2 and numbers["automatic"] == 1
    assert selectors.automatic_share(numbers) == 50.0


def test_the_admin_checks_an_upload_and_names_every_problem_in_chinese(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import SuperUserFactory
    from tongban.workflow.models import DecisionTable

    from .dmn_builder import table_xml

    login_verified(client, SuperUserFactory())
    clash = table_xml(
        inputs=[("申请人.年令", "number")],
        outputs=[("决定", "string", "")],
        rules=[([">=18"], ['"准予"']), ([">=60"], ['"准予"'])],
    )
    url = reverse("admin:workflow_decisiontable_add")
    upload = SimpleUploadedFile("表.dmn", clash.encode(), content_type="application/xml")
    page = client.post(url, {"key": "item:x", "name": "测试", "upload": upload, "dmn": ""})
    text = page.content.decode()
    assert page.status_code == 200
    assert "第 1 条与第 2 条规则重叠" in text
    assert not DecisionTable.objects.exists()
    good = dmn_world.ADULT_TABLE
    upload = SimpleUploadedFile("表.dmn", good.encode(), content_type="application/xml")
    assert client.post(url, {"key": "item:x", "name": "测试", "upload": upload, "dmn": ""}).status_code == 302
    table = DecisionTable.objects.get()
    assert (table.version, table.status, table.decision) == (1, "draft", "秒批")
