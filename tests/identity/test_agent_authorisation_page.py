"""The legal representative's agent authorisation page: the validity date comes before the
item list; items are grouped by department, labelled (type and code tell same-named items
apart) and searchable with a GET filter (htmx refreshes only the list)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, PublishedItemFactory
from tests.identity.factories import enterprise_for, verified_citizen
from tongban.identity.models import AgentAuthorization

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_world(client):
    rep = verified_citizen()
    account = enterprise_for(rep)
    labour = DepartmentFactory(name="区人力资源和社会保障局")
    market = DepartmentFactory(name="区市场监督管理局")
    items = {
        "wage_a": PublishedItemFactory(name="企业工资集体协议审查", department=labour, service_objects=["2"]),
        "wage_b": PublishedItemFactory(name="企业工资集体协议审查", department=market, service_objects=["2"]),
        "food": PublishedItemFactory(name="食品经营许可", department=market, service_objects=["2"]),
        "person_only": PublishedItemFactory(name="个人事项", department=labour, service_objects=["1"]),
    }
    client.force_login(rep)
    return {
        "rep": rep,
        "account": account,
        "items": items,
        "url": reverse("identity:enterprise", args=[account.pk]),
    }


def test_the_date_comes_before_the_items_which_are_grouped_and_labelled(client, page_world):
    page = client.get(page_world["url"]).content.decode()
    assert page.index('name="valid_until"') < page.index('name="items"')
    assert page.count('class="item-department"') == 2  # departments under their region
    assert "区人力资源和社会保障局" in page and "区市场监督管理局" in page
    wage_a, wage_b = page_world["items"]["wage_a"], page_world["items"]["wage_b"]
    for item in (wage_a, wage_b):
        assert f'<label for="item-{item.pk}">企业工资集体协议审查' in page
        assert item.code in page  # same names told apart by the implementation code
    assert "个人事项" not in page
    assert "共 3 项" in page


def test_the_filter_works_without_javascript(client, page_world):
    page = client.get(page_world["url"], {"q": "食品"}).content.decode()
    assert "食品经营许可" in page and "企业工资集体协议审查" not in page
    assert "与“食品”相符的事项 1 项" in page
    assert '<details class="item-group" open>' in page
    assert 'form="item-search"' in page and '<form method="get"' in page
    by_department = client.get(page_world["url"], {"q": "人力资源"}).content.decode()
    assert by_department.count('type="checkbox" name="items"') == 1
    nothing = client.get(page_world["url"], {"q": "不存在的事项"}).content.decode()
    assert "没有相符的事项" in nothing


def test_htmx_gets_only_the_list_and_keeps_ticked_items(client, page_world):
    food, wage_a = page_world["items"]["food"], page_world["items"]["wage_a"]
    response = client.get(page_world["url"], {"q": "食品", "items": [str(wage_a.pk)]}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="agent-items"')
    assert "<h1>" not in fragment
    assert f'<input type="hidden" name="items" value="{wage_a.pk}">' in fragment
    assert f'value="{food.pk}" id="item-{food.pk}">' in fragment


def test_authorising_chosen_items_from_a_filtered_list(client, page_world):
    agent = verified_citizen()
    food, wage_a = page_world["items"]["food"], page_world["items"]["wage_a"]
    response = client.post(
        page_world["url"] + "?q=食品",
        {
            "mobile": agent.mobile,
            "id_number": agent.id_number,
            "items": [str(food.pk), str(wage_a.pk)],  # wage_a ticked before the search: a hidden input
            "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    grant = AgentAuthorization.objects.get(agent=agent)
    assert set(grant.items.all()) == {food, wage_a}


def test_a_refused_authorisation_keeps_the_choices_and_says_why(client, page_world):
    food = page_world["items"]["food"]
    response = client.post(
        page_world["url"],
        {"mobile": "13900000000", "id_number": "1", "items": [str(food.pk)], "valid_until": ""},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(rf'value="{food.pk}" id="item-{food.pk}" checked', page)
    assert "已选 1 项" in page
    assert not AgentAuthorization.objects.exists()


def test_the_date_box_shows_its_default_in_the_format_date_inputs_read(client, page_world):
    page = client.get(page_world["url"]).content.decode()
    default = (timezone.localdate() + datetime.timedelta(days=365)).isoformat()
    assert f'type="date" name="valid_until" value="{default}"' in page
