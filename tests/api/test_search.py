"""GET /api/v1/search and /search/suggest, over the search module's public interface."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PublishedItemFactory
from tongban.catalog.models import ServiceItem
from tongban.catalog.search import index_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(catalogue):
    index_items(ServiceItem.objects.values_list("id", flat=True))
    return catalogue


def test_search_answers_total_and_items_best_first(api, indexed):
    response = api.get("/search", q="食品经营许可")
    assert response.status_code == 200
    data = response.data
    assert data["total"] >= 1
    assert data["page"] == 1 and data["page_size"] == 20
    assert data["query"] == "食品经营许可"
    top = data["items"][0]
    assert top["code"] == indexed["food"].code
    assert top["name"] == "食品经营许可"
    assert top["department"] == {"id": indexed["market"].pk, "name": "广安区市场监督管理局"}
    assert top["region"]["code"] == "511602"
    assert top["type"] == "01" and top["type_name"] == "行政许可"
    assert "<mark>" in top["highlight"] or top["highlight"] == "食品经营许可"
    assert isinstance(top["score"], float)
    # Drafts and withdrawn items are never found.
    codes = {i["code"] for i in data["items"]}
    assert indexed["draft"].code not in codes
    assert indexed["withdrawn"].code not in codes


def test_search_filters_by_region_department_audience_and_theme(api, indexed):
    assert api.get("/search", q="居民身份证补领", region="511603").data["total"] == 0
    assert (
        api.get("/search", q="居民身份证补领", region="511602000000").data["items"][0]["name"]
        == "居民身份证补领"
    )
    assert api.get("/search", q="食品经营许可", department=indexed["police"].pk).data["total"] == 0
    assert api.get("/search", q="企业名称变更登记", audience="person").data["total"] == 0
    assert api.get("/search", q="企业名称变更登记", audience="enterprise").data["total"] >= 1
    assert (
        api.get("/search", q="居民身份证补领", theme="hunyindengji").data["items"][0]["name"]
        == "居民身份证补领"
    )
    assert api.get("/search", q="食品经营许可", theme="hunyindengji").data["total"] == 0


def test_search_pagination(api, indexed):
    for n in range(5):
        PublishedItemFactory(name=f"食品经营许可（分类{n}）", department=indexed["market"], popularity=n)
    index_items(ServiceItem.objects.values_list("id", flat=True))
    first = api.get("/search", q="食品经营许可", page_size=2).data
    second = api.get("/search", q="食品经营许可", page_size=2, page=2).data
    assert first["total"] >= 6
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert {i["code"] for i in first["items"]}.isdisjoint({i["code"] for i in second["items"]})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "许可", "region": "999999"}, "region"),
        ({"q": "许可", "department": "999999"}, "department"),
        ({"q": "许可", "theme": "no-such-theme"}, "theme"),
    ],
)
def test_search_with_unknown_filter_is_404(api, indexed, params, field):
    response = api.get("/search", **params)
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert response.data["field"] == field


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 101},
        {"q": "许可", "page": "0"},
        {"q": "许可", "page_size": "1000"},
        {"q": "许可", "region": "5x"},
    ],
)
def test_search_with_bad_parameters_is_422(api, indexed, params):
    response = api.get("/search", **params)
    assert response.status_code == 422
    assert response.data["code"] == "invalid_parameters"


def test_search_does_not_query_per_result(api, indexed):
    def queries_for(q):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/search", q=q)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.data["total"]

    one, total_one = queries_for("企业名称变更登记")
    assert total_one >= 1
    for n in range(12):
        PublishedItemFactory(
            name=f"企业名称变更登记（类型{n}）", department=indexed["market"], service_objects=["2"]
        )
    index_items(ServiceItem.objects.values_list("id", flat=True))
    many, total_many = queries_for("企业名称变更登记")
    assert total_many >= 13
    assert many <= one


def test_suggest_answers_items_for_a_prefix(api, indexed):
    response = api.get("/search/suggest", q="食品")
    assert response.status_code == 200
    assert response.data["query"] == "食品"
    names = [s["name"] for s in response.data["items"]]
    assert "食品经营许可" in names
    assert "食品生产许可" not in names  # a draft


def test_suggest_respects_region_and_limit(api, indexed):
    for n in range(5):
        PublishedItemFactory(name=f"食品经营许可变更{n}", department=indexed["market"])
    index_items(ServiceItem.objects.values_list("id", flat=True))
    assert len(api.get("/search/suggest", q="食品", limit=3).data["items"]) <= 3
    assert api.get("/search/suggest", q="食品", region="511603").data["items"] == []


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": " "}, {"q": "食品", "limit": "0"}, {"q": "食品", "limit": "50"}]
)
def test_suggest_bad_parameters_are_422(api, indexed, params):
    response = api.get("/search/suggest", **params)
    assert response.status_code == 422
    assert response.data["code"] == "invalid_parameters"


def test_suggest_unknown_region_is_404(api, indexed):
    assert api.get("/search/suggest", q="食品", region="52").status_code == 404


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("开饭店要办什么证", "食品经营许可"),
        ("身份证丢了", "居民身份证补领"),
        ("shenfenzheng", "居民身份证补领"),
    ],
)
def test_search_in_everyday_words_through_the_api(api, indexed, q, expected):
    items = api.get("/search", q=q).data["items"]
    assert expected in [i["name"] for i in items[:3]]
