"""Every error under /api/v1/ is JSON {code, message} with a Chinese message."""

import json

import pytest

from tongban.catalog import selectors

pytestmark = pytest.mark.django_db


def _has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["code"] == "not_found"
    assert _has_chinese(body["message"])
    assert "/api/v1/no-such-thing" in body["message"]


def test_unknown_nested_route_is_json_404(client):
    response = client.get("/api/v1/regions/51/unknown/deeper")
    assert response.status_code == 404
    assert json.loads(response.content)["code"] == "not_found"


def test_wrong_method_is_json_405_with_allow_header(client):
    response = client.post("/api/v1/regions", {})
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    body = json.loads(response.content)
    assert body["code"] == "method_not_allowed"
    assert body["allowed"] == ["GET"]
    assert _has_chinese(body["message"])


def test_delete_on_an_item_is_405(client):
    response = client.delete("/api/v1/items/ANY-CODE")
    assert response.status_code == 405
    assert json.loads(response.content)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("path", "params", "field", "fragment"),
    [
        ("/items", {"page": "0"}, "page", "不能小于 1"),
        ("/items", {"page": "abc"}, "page", "整数"),
        ("/items", {"page_size": "1000"}, "page_size", "不能大于 100"),
        ("/items", {"page_size": "0"}, "page_size", "不能小于 1"),
        ("/items", {"audience": "alien"}, "audience", "可选"),
        ("/items", {"type": "99"}, "type", "可选"),
        ("/items", {"region": "abc"}, "region", "行政区划代码"),
        ("/items", {"region": "51160"}, "region", "行政区划代码"),
        ("/items", {"department": "x"}, "department", "整数"),
        ("/departments", {"page_size": "101"}, "page_size", "不能大于 100"),
        ("/regions", {"parent": "5116xx"}, "parent", "行政区划代码"),
        ("/regions/5116/tree", {"depth": "4"}, "depth", "不能大于 3"),
        ("/themes", {"audience": "everyone"}, "audience", "可选"),
        ("/search", {}, "q", "请输入要查找的内容"),
        ("/search", {"q": ""}, "q", "请输入要查找的内容"),
        ("/search", {"q": "   "}, "q", "请输入要查找的内容"),
        ("/search", {"q": "许可", "audience": "x"}, "audience", "可选"),
    ],
)
def test_bad_parameters_are_422_with_field_and_chinese_message(api, path, params, field, fragment):
    response = api.get(path, **params)
    assert response.status_code == 422
    body = response.data
    assert body["code"] == "invalid_parameters"
    assert _has_chinese(body["message"])
    errors = {e["field"]: e for e in body["errors"]}
    assert field in errors, body
    assert fragment in errors[field]["message"]
    assert fragment in body["message"]


def test_unknown_objects_are_404_naming_the_parameter(api, guangan):
    response = api.get("/items", region="999999")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert response.data["field"] == "region"
    assert response.data["errors"][0]["field"] == "region"
    assert "999999" in response.data["message"]


def test_unexpected_failure_is_json_500_without_internals(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(selectors, "themes_with_counts", broken)
    response = api.get("/themes")
    assert response.status_code == 500
    assert response.data["code"] == "server_error"
    assert "secret" not in json.dumps(response.data)
    assert _has_chinese(response.data["message"])


def test_json_is_utf8_not_escaped(client, guangan):
    response = client.get("/api/v1/regions/51")
    assert "四川省".encode() in response.content


def test_enum_errors_list_the_accepted_values(api):
    body = api.get("/items", audience="alien", type="99").data
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert errors["audience"] == "取值无效，可选：person、enterprise。"
    assert "01、02" in errors["type"] and errors["type"].endswith("20。")
    assert body["message"].startswith("请求参数不正确：")
