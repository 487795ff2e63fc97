"""Refusals on the apply pages carry their reason in the page (issue 10: the agent of 鑫源商贸
got a bare HTTP 400 on step 1, because the refused field — a prefilled ID number — was on
another step, and errors of fields a page does not show were dropped)."""

import datetime

import pytest
from django.urls import reverse
from stdnum.cn import ric

from tests.cases.conftest import citizen
from tests.factories import PublishedItemFactory
from tests.identity.factories import enterprise_for, grant
from tongban.cases.models import Application
from tongban.identity.actors import SESSION_KEY
from tongban.registries.validators import make_id_number


def text(response) -> str:
    return response.content.decode()


def act_for(client, user, enterprise) -> None:
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = enterprise.pk
    session.save()


@pytest.fixture
def enterprise_item(world):
    return PublishedItemFactory(name="企业事项", department=world["department"], service_objects=["2"])


def start_for_enterprise(client, agent, item) -> Application:
    response = client.post(reverse("cases:apply", args=[item.code]))
    assert response.status_code == 302
    return Application.objects.get(applicant=agent, item=item)


def test_an_agent_born_before_her_area_code_existed_passes_step_one(client, world, enterprise_item):
    """王丽's case: 511602 exists since 1998, she was born in 1993."""
    rep = world["applicant"]
    enterprise = enterprise_for(rep)
    agent = citizen("王丽")
    agent.id_number = make_id_number("511602", datetime.date(1993, 11, 21), 2)
    agent.save(update_fields=["id_number"])
    assert not ric.is_valid(agent.id_number)  # the check that refused her
    grant(enterprise, agent, all_items=True)
    act_for(client, agent, enterprise)
    application = start_for_enterprise(client, agent, enterprise_item)
    assert application.enterprise == enterprise
    response = client.post(reverse("cases:apply_step", args=[application.public_id, 0]), {"action": "next"})
    assert response.status_code == 302, text(response)
    assert response.url == reverse("cases:apply_step", args=[application.public_id, 1])


def test_an_error_on_another_steps_field_is_shown_with_its_step(client, world, enterprise_item):
    rep = world["applicant"]
    enterprise = enterprise_for(rep)
    agent = citizen("王丽")
    body = agent.id_number[:17]
    agent.id_number = body + (
        "0" if ric.calc_check_digit(body + "0") != "0" else "1"
    )  # wrong check character
    agent.save(update_fields=["id_number"])
    grant(enterprise, agent, all_items=True)
    act_for(client, agent, enterprise)
    application = start_for_enterprise(client, agent, enterprise_item)
    response = client.post(reverse("cases:apply_step", args=[application.public_id, 0]), {"action": "next"})
    page = text(response)
    assert response.status_code == 400
    assert "请修改以下内容" in page
    assert "“身份证号码”不是有效的身份证号码" in page and "校验位" in page
    assert "（在“申请人信息”一步）" in page


def test_a_refused_prefilled_value_says_it_cannot_be_changed_here(client, world):
    user = world["applicant"]
    body = user.id_number[:17]
    user.id_number = body + ("0" if ric.calc_check_digit(body + "0") != "0" else "1")
    user.save(update_fields=["id_number"])
    client.force_login(user)
    client.post(reverse("cases:apply", args=[world["item"].code]))
    application = Application.objects.get(applicant=user)
    response = client.post(
        reverse("cases:apply_step", args=[application.public_id, 0]),
        {
            "address__province": "51",
            "address__city": "5116",
            "address__county": "511602",
            "address__detail": "建设路 1 号",
            "action": "next",
        },
    )
    page = text(response)
    assert response.status_code == 400
    assert "校验位" in page and "不能在此修改" in page
    assert 'href="#entry-applicant_id_number"' in page


def test_a_bad_request_gets_a_chinese_page_not_a_bare_400(rf):
    from django.core.exceptions import SuspiciousOperation
    from django.views.defaults import bad_request

    response = bad_request(rf.get("/apply/x/step/0/"), SuspiciousOperation())
    page = response.content.decode()
    assert response.status_code == 400
    assert "请求无法处理" in page and "未作任何更改" in page
