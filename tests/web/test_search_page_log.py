"""The search page learning from use: every search is logged (cached answers too) without
personal data, result links count clicks through /search/go/, a search that finds nothing offers
the nearest items, the themes and 12345, and a hit names the same service in other regions."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PublishedItemFactory
from tongban.catalog import search_log
from tongban.catalog.models import SearchClick, SearchQuery
from tongban.web import views

pytestmark = pytest.mark.django_db

ID_NUMBER = "51160219900307123X"
MOBILE = "13912345678"
GO_LINK = re.compile(r'href="(/search/go/\?[^"]+)"')


@pytest.fixture(autouse=True)
def written_at_once(settings):
    """Counts are written with each search here (the tests' default waits for ``flush()``)."""
    search_log.forget()
    settings.TONGBAN_SEARCH_LOG_SECONDS = 0
    yield
    search_log.forget()


def search(client, **params):
    return client.get(reverse("web:search"), params)


def go_links(response) -> list[str]:
    return [unescape(link) for link in GO_LINK.findall(response.content.decode())]


def test_a_search_is_logged_with_its_result_count_and_region(client, catalogue):
    response = search(client, q="身份证", region="511602")
    assert response.status_code == 200
    [row] = SearchQuery.objects.all()
    assert (row.normalized, row.query, row.region_code, row.result_count) == ("身份证", "身份证", "511602", 1)
    assert (row.searches, row.zero_result_searches) == (1, 0)
    html = response.content.decode()
    assert views.SEARCH_LOG_MARK not in html
    assert f'data-search-log="{search_log.sign_key(row.key)}"' in html


def test_a_cached_answer_is_logged_too(catalogue):
    assert Client().get(reverse("web:search"), {"q": "食品"}).context is not None
    cached = Client().get(reverse("web:search"), {"q": "食品"})
    assert cached.context is None  # served from the shared page cache
    assert SearchQuery.objects.get().searches == 2
    assert views.SEARCH_LOG_MARK not in cached.content.decode()
    assert go_links(cached)


def test_a_search_with_an_id_number_and_a_phone_number_keeps_neither(client, catalogue):
    search(client, q=f"身份证 {ID_NUMBER} 补领 {MOBILE}")
    search(client, q=f"{MOBILE}")
    [row] = SearchQuery.objects.all()
    stored = " ".join(str(v) for v in SearchQuery.objects.values_list().get())
    for number in (ID_NUMBER, MOBILE):
        assert number not in stored
        assert not any(number[i : i + 4] in stored for i in range(len(number) - 3))
    assert row.normalized == "身份证补领"


def test_later_pages_of_a_search_are_not_counted_again(client, catalogue):
    search(client, q="食品")
    search(client, q="食品", page="2")
    assert SearchQuery.objects.get().searches == 1


def test_searches_without_a_query_or_refused_are_not_logged(client, catalogue):
    search(client)
    assert search(client, q="证" * 101).status_code == 400
    assert not SearchQuery.objects.exists()


def test_result_links_count_the_click_and_lead_to_the_guide(client, catalogue):
    response = search(client, q="身份证")
    [link] = go_links(response)
    answer = client.get(link)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("web:item", args=[catalogue.guide_item.code])
    client.get(link)
    click = SearchClick.objects.get()
    assert (click.item_code, click.clicks) == (catalogue.guide_item.code, 2)
    assert click.query_key == SearchQuery.objects.get().key


def test_a_forged_click_leads_to_the_guide_but_counts_nothing(client, catalogue):
    search(client, q="身份证")
    key = SearchQuery.objects.get().key
    for forged in (key, f"{key}:AAAA", "", "x" * 500):
        answer = client.get(reverse("web:search_go"), {"s": forged, "item": catalogue.guide_item.code})
        assert answer.status_code == 302
    assert not SearchClick.objects.exists()


@pytest.mark.parametrize("code", ["", "NO-SUCH-ITEM", "draft"])
def test_a_click_to_an_unknown_or_unpublished_item_is_404(client, catalogue, code):
    signed = search_log.record_search("身份证", result_count=1)
    code = catalogue.draft_item.code if code == "draft" else code
    assert client.get(reverse("web:search_go"), {"s": signed, "item": code}).status_code == 404
    assert not SearchClick.objects.exists()


def test_the_search_api_is_logged_too(client, catalogue):
    assert client.get("/api/v1/search", {"q": "食品", "region": "511602"}).status_code == 200
    client.get("/api/v1/search", {"q": "食品", "region": "511602", "page": 2})
    client.get("/api/v1/search", {"q": f"魃魈{MOBILE}"})
    rows = {r.normalized: r for r in SearchQuery.objects.all()}
    assert rows["食品"].searches == 1 and rows["食品"].region_code == "511602"
    assert rows["魃魈"].zero_result_searches == 1


# ---------------------------------------------------------------------------------------------
# Nothing found


def test_nothing_found_offers_themes_and_12345(client, catalogue):
    response = search(client, q="魃魈魍魉")
    assert response.context["result"].total == 0
    html = response.content.decode()
    assert "没有找到与“魃魈魍魉”相符的服务" in html
    assert "按主题查找" in html
    assert reverse("web:theme", args=["person", catalogue.person_theme.slug]) in html
    assert 'href="tel:12345"' in html and "咨询" in html
    assert SearchQuery.objects.get().zero_result_searches == 1


def test_nothing_found_offers_the_nearest_items(client, catalogue, monkeypatch):
    from tongban.catalog import search as search_module
    from tongban.catalog.search import SearchHit

    real = search_module.search_items

    def with_nearest(query, **kwargs):
        page = real(query, **kwargs)
        page.nearest = [SearchHit(item=catalogue.food_item, score=0.1, highlighted_name="")]
        return page

    monkeypatch.setattr(search_module, "search_items", with_nearest)
    response = search(client, q="魃魈魍魉")
    html = response.content.decode()
    assert "您可能要找" in html and "食品经营许可" in html
    [link] = go_links(response)
    assert f"item={catalogue.food_item.code}" in link
    client.get(link)
    assert SearchClick.objects.get().item_code == catalogue.food_item.code


def test_filters_that_hide_everything_are_offered_to_be_dropped(client, catalogue):
    html = search(client, q="身份证", audience="enterprise").content.decode()
    assert "去掉筛选条件再搜一次" in html


def test_a_hit_offers_the_same_service_in_other_regions(client, catalogue, monkeypatch):
    from tongban.catalog import search as search_module

    sibling = PublishedItemFactory(name="食品经营许可", department=catalogue.other_department)
    real = search_module.search_items

    def with_other_regions(query, **kwargs):
        page = real(query, **kwargs)
        for hit in page.hits:
            hit.other_regions = [sibling] if hit.item == catalogue.food_item else []
        return page

    monkeypatch.setattr(search_module, "search_items", with_other_regions)
    response = search(client, q="食品经营")
    html = response.content.decode()
    assert html.count('<details class="other-regions">') == 1
    assert "其他地区（1 个）" in html
    assert catalogue.other_department.region.name in html
    assert any(f"item={sibling.code}" in link for link in go_links(response))


def test_one_result_per_service_with_the_visitors_region_first(client, catalogue):
    from tongban.catalog.search import rebuild_index
    from tongban.web.middleware import REGION_COOKIE

    sibling = PublishedItemFactory(name="食品经营许可", department=catalogue.other_department)
    rebuild_index()
    response = search(client, q="食品经营许可", region="")
    hits = [h for h in response.context["result"].hits if h.item.name == "食品经营许可"]
    assert len(hits) == 1
    assert {hits[0].item, *hits[0].other_regions} == {catalogue.food_item, sibling}
    assert "其他地区（1 个）" in response.content.decode()
    client.cookies[REGION_COOKIE] = catalogue.other_county.code
    mine = search(client, q="食品经营许可", region="")
    [hit] = [h for h in mine.context["result"].hits if h.item.name == "食品经营许可"]
    assert hit.item == sibling and hit.other_regions == [catalogue.food_item]


def test_the_fallback_speaks_english_too(client, catalogue):
    client.cookies["django_language"] = "en"
    html = search(client, q="魃魈魍魉").content.decode()
    assert "No matching services" in html and "Nothing matches “魃魈魍魉”." in html
    assert "Browse by theme" in html and "Ask by phone" in html
