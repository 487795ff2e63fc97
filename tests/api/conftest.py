"""Fixtures for the API tests: a small real-looking catalogue in 广安 (四川) and one region elsewhere."""

import json

import pytest

from tests.factories import DepartmentFactory, PublishedItemFactory, ServiceItemFactory, region_chain
from tongban.catalog.models import ServiceItem, Theme


class Api:
    """``django.test.Client`` with the /api/v1 prefix and the body decoded."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **params):
        response = self.client.get(f"/api/v1{path}", params)
        response.data = json.loads(response.content)
        return response


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def guangan(db):
    """四川省 › 广安市 › 广安区 / 前锋区, and 浙江省 › 杭州市 › 西湖区 as a region elsewhere."""
    return {
        "county": region_chain("511602"),
        "other_county": region_chain("511603"),
        "city": region_chain("5116"),
        "elsewhere": region_chain("330106"),
    }


@pytest.fixture
def catalogue(guangan):
    """Two county departments and one city department with published, draft and withdrawn items."""
    market = DepartmentFactory(
        name="广安区市场监督管理局", short_name="区市场监管局", region=guangan["county"]
    )
    police = DepartmentFactory(name="广安区公安分局", region=guangan["county"])
    city_hr = DepartmentFactory(name="广安市人力资源和社会保障局", region=guangan["city"])
    marriage = Theme.objects.get(audience="person", slug="hunyindengji")
    food = PublishedItemFactory(
        name="食品经营许可",
        department=market,
        service_objects=["1", "2"],
        popularity=90,
        keywords="开饭店 餐馆",
    )
    id_card = PublishedItemFactory(
        name="居民身份证补领", department=police, item_type="07", popularity=80, themes=[marriage]
    )
    pension = PublishedItemFactory(
        name="城乡居民养老保险参保登记",
        department=city_hr,
        item_type="20",
        service_objects=["1"],
        popularity=50,
    )
    company = PublishedItemFactory(
        name="企业名称变更登记", department=market, service_objects=["2"], popularity=10
    )
    draft = ServiceItemFactory(name="食品生产许可", department=market)
    withdrawn = ServiceItemFactory(
        name="旧版食品流通许可", department=market, status=ServiceItem.Status.WITHDRAWN
    )
    return {
        "market": market,
        "police": police,
        "city_hr": city_hr,
        "food": food,
        "id_card": id_card,
        "pension": pension,
        "company": company,
        "draft": draft,
        "withdrawn": withdrawn,
        "marriage": marriage,
    }
