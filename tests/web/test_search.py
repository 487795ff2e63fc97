"""The search page and the as-you-type suggestions."""

import pytest
from django.urls import reverse

from tests.factories import PublishedItemFactory
from tongban.web.middleware import ELDERLY_COOKIE, REGION_COOKIE

pytestmark = pytest.mark.django_db


def search(client, **params):
    return client.get(reverse("web:search"), params)


def names(response):
    return [hit.item.name for hit in response.context["result"].hits]


def test_search_finds_and_highlights(client, catalogue):
    response = search(client, q="身份证")
    assert response.status_code == 200
    assert names(response) == ["居民身份证补领"]
    html = response.content.decode()
    assert "<mark>" in html
    assert "找到 1 项服务" in html


def test_search_without_query_shows_popular_items(client, catalogue):
    response = search(client)
    assert response.status_code == 200
    assert "result" not in response.context
    assert [i.name for i in response.context["popular_items"]][0] == "居民身份证补领"


def test_search_filters(client, catalogue):
    assert set(names(search(client, q="食品"))) == {"食品经营许可", "食品生产许可"}
    assert names(search(client, q="食品", region="511602")) == ["食品经营许可"]
    assert names(search(client, q="食品", department=str(catalogue.other_department.pk))) == ["食品生产许可"]
    assert names(search(client, q="许可", theme="zhunyingzhunban")) == ["食品经营许可"]
    assert names(search(client, q="身份证", audience="enterprise")) == []
    assert names(search(client, q="身份证", audience="person")) == ["居民身份证补领"]
    assert names(search(client, q="身份证", type="01")) == []


def test_search_uses_the_chosen_region_unless_the_filter_says_otherwise(client, catalogue):
    client.cookies[REGION_COOKIE] = "511602"
    assert names(search(client, q="食品")) == ["食品经营许可"]
    assert set(names(search(client, q="食品", region=""))) == {"食品经营许可", "食品生产许可"}


@pytest.mark.parametrize(
    "params",
    [
        {"region": "abc"},
        {"region": "999999"},
        {"audience": "aliens"},
        {"department": "x"},
        {"department": "99999"},
        {"theme": "no-such-theme"},
        {"type": "99"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999999999999999999"},
    ],
)
def test_bad_filter_values_are_ignored(client, catalogue, params):
    response = search(client, q="身份证", **params)
    assert response.status_code == 200
    assert names(response) == ["居民身份证补领"]
    assert response.context["page_number"] == 1


def test_pagination_of_results(client, catalogue):
    for n in range(45):
        PublishedItemFactory(name="普通护照签发", department=catalogue.department, popularity=n)
    from tongban.catalog.search import rebuild_index

    rebuild_index()
    first = search(client, q="护照")
    assert first.context["result"].total == 45
    assert len(names(first)) == 20
    assert first.context["num_pages"] == 3
    html = first.content.decode()
    assert "page=2" in html and "q=%E6%8A%A4%E7%85%A7" in html
    third = search(client, q="护照", page="3")
    assert len(names(third)) == 5
    assert third.context["first_index"] == 41
    beyond = search(client, q="护照", page="7")
    assert beyond.context["page_number"] == 3
    assert len(names(beyond)) == 5


def test_too_long_query_is_refused_with_a_message(client, catalogue):
    response = search(client, q="证" * 101)
    assert response.status_code == 400
    assert "搜索内容过长" in response.content.decode()


def test_did_you_mean(client, catalogue, monkeypatch):
    from tongban.catalog import search as search_module

    real = search_module.search_items

    def with_correction(query, **kwargs):
        page = real(query, **kwargs)
        page.corrected_query = "居民身份证"
        return page

    monkeypatch.setattr(search_module, "search_items", with_correction)
    html = search(client, q="居民身分证").content.decode()
    assert "您是不是要找" in html
    assert "q=%E5%B1%85%E6%B0%91%E8%BA%AB%E4%BB%BD%E8%AF%81" in html


def test_search_box_asks_for_suggestions(client, catalogue):
    html = search(client).content.decode()
    assert f'hx-get="{reverse("web:suggest")}"' in html
    assert 'id="q-suggestions"' in html
    assert '<label for="q"' in html


def test_elderly_mode_has_no_pop_up_suggestions(client, catalogue):
    client.cookies[ELDERLY_COOKIE] = "1"
    html = search(client).content.decode()
    assert "hx-get" not in html
    assert "q-suggestions" not in html
    assert 'class="elderly"' in html


def test_suggest_returns_a_small_fragment_of_links(client, catalogue):
    response = client.get(reverse("web:suggest"), {"q": "身份"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert reverse("web:item", args=[catalogue.guide_item.code]) in html
    assert "居民身份证补领" in html and "广安区公安分局" in html


def test_suggest_with_empty_or_unknown_prefix(client, catalogue):
    assert client.get(reverse("web:suggest"), {"q": ""}).content.decode().strip() == ""
    html = client.get(reverse("web:suggest"), {"q": "不存在的东西"}).content.decode()
    assert "没有建议" in html
    assert client.get(reverse("web:suggest"), {"q": "证" * 500}).status_code == 200


def test_suggest_respects_the_chosen_region(client, catalogue):
    client.cookies[REGION_COOKIE] = "330106"
    html = client.get(reverse("web:suggest"), {"q": "食品"}).content.decode()
    assert "食品生产许可" in html
    assert "食品经营许可" not in html
