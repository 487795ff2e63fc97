"""GET /api/v1/departments and /departments/{id}."""

import pytest

from tests.factories import DepartmentFactory, PublishedItemFactory

pytestmark = pytest.mark.django_db


def _names(response):
    return [d["name"] for d in response.data["items"]]


def test_list_orders_by_published_items_and_counts_only_published(api, catalogue):
    response = api.get("/departments")
    assert response.status_code == 200
    assert response.data["total"] == 3
    rows = {d["name"]: d for d in response.data["items"]}
    # 市场监管: two published, one draft and one withdrawn item.
    assert rows["广安区市场监督管理局"]["item_count"] == 2
    assert rows["广安区公安分局"]["item_count"] == 1
    assert _names(response)[0] == "广安区市场监督管理局"
    market = rows["广安区市场监督管理局"]
    assert market["short_name"] == "区市场监管局"
    assert market["uscc"] == catalogue["market"].uscc
    assert market["region"]["code"] == "511602"
    assert market["region"]["full_name"] == "四川省广安市广安区"


def test_region_filter_includes_regions_below(api, catalogue):
    assert len(api.get("/departments", region="5116").data["items"]) == 3
    assert set(_names(api.get("/departments", region="511602000000"))) == {
        "广安区市场监督管理局",
        "广安区公安分局",
    }
    assert api.get("/departments", region="511603").data["total"] == 0
    assert api.get("/departments", region="33").data["total"] == 0


def test_search_by_name_or_short_name(api, catalogue):
    assert _names(api.get("/departments", q="公安")) == ["广安区公安分局"]
    assert _names(api.get("/departments", q="区市场监管")) == ["广安区市场监督管理局"]
    assert api.get("/departments", q="税务").data["total"] == 0


def test_inactive_departments_are_not_listed(api, catalogue):
    DepartmentFactory(name="已撤销的局", region=catalogue["market"].region, is_active=False)
    assert "已撤销的局" not in _names(api.get("/departments"))


def test_pagination(api, catalogue):
    first = api.get("/departments", page_size=2).data
    second = api.get("/departments", page_size=2, page=2).data
    assert (first["total"], first["page"], first["page_size"]) == (3, 1, 2)
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    assert {d["id"] for d in first["items"]}.isdisjoint({d["id"] for d in second["items"]})
    assert api.get("/departments", page=9).data["items"] == []


def test_unknown_region_filter_is_404(api, catalogue):
    response = api.get("/departments", region="4401")
    assert response.status_code == 404
    assert response.data["field"] == "region"


def test_detail_with_published_counts(api, catalogue):
    market = catalogue["market"]
    response = api.get(f"/departments/{market.pk}")
    assert response.status_code == 200
    data = response.data
    assert data["name"] == "广安区市场监督管理局"
    assert data["phone"] == market.phone
    assert data["item_count"] == 2
    # 食品经营许可 serves both; 企业名称变更登记 only enterprises.
    assert data["item_count_person"] == 1
    assert data["item_count_enterprise"] == 2
    assert data["item_counts_by_type"] == [{"type": "01", "type_name": "行政许可", "count": 2}]


def test_detail_counts_by_type(api, catalogue):
    police = catalogue["police"]
    PublishedItemFactory(department=police, item_type="20")
    PublishedItemFactory(department=police, item_type="20")
    data = api.get(f"/departments/{police.pk}").data
    assert data["item_counts_by_type"] == [
        {"type": "07", "type_name": "行政确认", "count": 1},
        {"type": "20", "type_name": "公共服务", "count": 2},
    ]


def test_detail_of_unknown_or_inactive_department_is_404(api, catalogue):
    response = api.get("/departments/999999")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    inactive = DepartmentFactory(region=catalogue["market"].region, is_active=False)
    assert api.get(f"/departments/{inactive.pk}").status_code == 404


def test_detail_with_non_numeric_id_is_422(api, catalogue):
    response = api.get("/departments/abc")
    assert response.status_code == 422
    assert response.data["errors"][0]["field"] == "department_id"


def test_department_reads_take_a_fixed_number_of_queries(api, catalogue, django_assert_max_num_queries):
    for _ in range(15):
        PublishedItemFactory(department=DepartmentFactory(region=catalogue["market"].region))
    with django_assert_max_num_queries(3):
        assert len(api.get("/departments", region="5116", page_size=100).data["items"]) == 18
    with django_assert_max_num_queries(3):
        api.get(f"/departments/{catalogue['market'].pk}")
