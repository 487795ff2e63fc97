"""GET /api/v1/regions, /regions/{code}, /regions/{code}/tree."""

import pytest

from tests.factories import region_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(guangan):
    """广安区 with two streets, one of which has a village (added by an admin)."""
    street = region_chain("511602001", "浙江路街道")
    region_chain("511602002", "北辰街道")
    region_chain("511602001001", "某某社区")
    return {**guangan, "street": street}


def test_top_level_lists_provinces_only(api, tree):
    response = api.get("/regions")
    assert response.status_code == 200
    assert response.data["parent"] is None
    codes = [r["code"] for r in response.data["items"]]
    assert codes == ["33", "51"]
    assert response.data["total"] == 2
    sichuan = response.data["items"][1]
    assert sichuan == {
        "code": "51",
        "code12": "510000000000",
        "name": "四川省",
        "full_name": "四川省",
        "level": 1,
        "level_name": "省级",
        "parent_code": None,
        "has_children": True,
    }


@pytest.mark.parametrize("parent", ["5116", "511600", "511600000000"])
def test_children_of_a_city_in_every_code_form(api, tree, parent):
    response = api.get("/regions", parent=parent)
    assert response.status_code == 200
    assert response.data["parent"]["code"] == "5116"
    assert [r["code"] for r in response.data["items"]] == ["511602", "511603"]
    county, other = response.data["items"]
    assert county["has_children"] is True
    assert other["has_children"] is False
    assert county["parent_code"] == "5116"
    assert county["full_name"] == "四川省广安市广安区"


def test_children_of_a_street_are_its_villages(api, tree):
    response = api.get("/regions", parent="511602001000")
    assert [r["code"] for r in response.data["items"]] == ["511602001001"]
    assert response.data["items"][0]["level_name"] == "村/社区"


def test_children_of_unknown_parent_is_404(api, tree):
    response = api.get("/regions", parent="5117")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert response.data["field"] == "parent"


@pytest.mark.parametrize("code", ["511602", "511602000000"])
def test_detail_with_ancestors_and_children(api, tree, code):
    response = api.get(f"/regions/{code}")
    assert response.status_code == 200
    data = response.data
    assert data["code"] == "511602"
    assert data["code12"] == "511602000000"
    assert data["level"] == 3
    assert data["parent_code"] == "5116"
    assert [a["code"] for a in data["ancestors"]] == ["51", "5116"]
    assert [a["name"] for a in data["ancestors"]] == ["四川省", "广安市"]
    assert [c["code"] for c in data["children"]] == ["511602001", "511602002"]
    assert data["children"][0]["has_children"] is True
    assert data["has_children"] is True


def test_detail_of_a_province_has_no_ancestors(api, tree):
    data = api.get("/regions/510000").data
    assert data["code"] == "51"
    assert data["ancestors"] == []
    assert [c["code"] for c in data["children"]] == ["5116"]


def test_detail_of_unknown_region_is_404(api, tree):
    response = api.get("/regions/520000")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert "520000" in response.data["message"]


@pytest.mark.parametrize("code", ["abc", "5116023", "1234567890123"])
def test_malformed_code_is_422(api, tree, code):
    response = api.get(f"/regions/{code}")
    assert response.status_code == 422
    assert response.data["errors"][0]["field"] == "code"


def test_tree_default_depth_is_one_level(api, tree):
    data = api.get("/regions/51/tree").data
    assert data["code"] == "51"
    assert data["has_children"] is True
    assert [c["code"] for c in data["children"]] == ["5116"]
    # The last level is not expanded, but says whether it could be.
    assert data["children"][0]["children"] is None
    assert data["children"][0]["has_children"] is True


def test_tree_depth_three_stops_before_villages(api, tree):
    data = api.get("/regions/51/tree", depth=3).data
    city = data["children"][0]
    assert [c["code"] for c in city["children"]] == ["511602", "511603"]
    county = city["children"][0]
    assert [s["code"] for s in county["children"]] == ["511602001", "511602002"]
    street = county["children"][0]
    assert street["children"] is None
    assert street["has_children"] is True
    assert county["children"][1]["has_children"] is False
    assert city["children"][1]["children"] == []


def test_tree_from_a_county_in_12_digit_form(api, tree):
    data = api.get("/regions/511602000000/tree", depth=2).data
    assert data["code"] == "511602"
    assert [s["code"] for s in data["children"]] == ["511602001", "511602002"]
    assert [v["code"] for v in data["children"][0]["children"]] == ["511602001001"]


@pytest.mark.parametrize("depth", ["0", "4", "-1", "all"])
def test_tree_depth_is_bounded(api, tree, depth):
    response = api.get("/regions/51/tree", depth=depth)
    assert response.status_code == 422
    assert response.data["errors"][0]["field"] == "depth"


def test_tree_of_unknown_region_is_404(api, tree):
    assert api.get("/regions/52/tree").status_code == 404


def test_region_reads_take_a_fixed_number_of_queries(api, tree, django_assert_max_num_queries):
    for n in range(4, 14):
        region_chain(f"5116{n:02d}")
    with django_assert_max_num_queries(2):
        assert api.get("/regions", parent="5116").data["total"] == 12
    with django_assert_max_num_queries(3):
        assert len(api.get("/regions/5116").data["children"]) == 12
    with django_assert_max_num_queries(2):
        api.get("/regions/51/tree", depth=3)
