"""The public pages: what each shows, and what each refuses."""

import pytest
from django.urls import reverse

from tongban.web.middleware import REGION_COOKIE

pytestmark = pytest.mark.django_db


def test_healthz_is_bare_json_without_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_home_shows_search_themes_popular_items_life_events_and_shops(client, catalogue):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html
    assert 'name="q"' in html
    assert catalogue.person_theme.name in html
    assert catalogue.enterprise_theme.name in html
    assert "居民身份证补领" in html
    assert "出生一件事" in html
    assert reverse("web:department", args=[catalogue.department.pk]) in html
    shops = response.context["shops"]
    assert {s.name: s.item_count for s in shops}["广安区公安分局"] == 2  # the draft does not count
    assert [i.name for i in response.context["popular_items"]][:2] == ["居民身份证补领", "食品经营许可"]
    assert "草稿事项" not in html


def test_home_filtered_by_chosen_region(client, catalogue):
    client.cookies[REGION_COOKIE] = catalogue.county.code
    response = client.get(reverse("web:home"))
    names = [i.name for i in response.context["popular_items"]]
    assert "食品生产许可" not in names
    assert "居民身份证补领" in names
    assert [s.name for s in response.context["shops"]] == ["广安区公安分局"]
    assert "广安区" in response.content.decode()


def test_unknown_region_cookie_is_ignored(client, catalogue):
    client.cookies[REGION_COOKIE] = "999999"
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    assert response.context["region"] is None
    client.cookies[REGION_COOKIE] = "not-a-code"
    assert client.get(reverse("web:home")).status_code == 200


def test_theme_page_lists_its_items(client, catalogue):
    response = client.get(reverse("web:theme", args=["person", "zhengjianbanli"]))
    assert response.status_code == 200
    assert [i.name for i in response.context["page_obj"]] == ["居民身份证补领"]


@pytest.mark.parametrize(
    "audience, slug",
    [("person", "no-such-theme"), ("nobody", "zhengjianbanli"), ("enterprise", "zhengjianbanli")],
)
def test_unknown_theme_is_404(client, catalogue, audience, slug):
    response = client.get(reverse("web:theme", args=[audience, slug]))
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_theme_list(client, catalogue):
    response = client.get(reverse("web:themes"))
    assert response.status_code == 200
    assert "证件办理" in response.content.decode()
    assert "准营准办" in response.content.decode()


def test_audience_pages(client, catalogue):
    person = client.get(reverse("web:audience", args=["person"]))
    assert [i.name for i in person.context["page_obj"]] == ["居民身份证补领"]
    enterprise = client.get(reverse("web:audience", args=["enterprise"]))
    assert {i.name for i in enterprise.context["page_obj"]} == {"食品经营许可", "食品生产许可"}
    assert client.get(reverse("web:audience", args=["robots"])).status_code == 404


def test_department_shop_page(client, catalogue):
    response = client.get(reverse("web:department", args=[catalogue.department.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "广安区公安分局" in html
    assert "金安大道" in html
    assert [i.name for i in response.context["page_obj"]] == ["居民身份证补领", "食品经营许可"]


def test_unknown_or_inactive_department_is_404(client, catalogue):
    assert client.get("/departments/999999/").status_code == 404
    assert client.get("/departments/abc/").status_code == 404
    catalogue.other_department.is_active = False
    catalogue.other_department.save()
    assert client.get(reverse("web:department", args=[catalogue.other_department.pk])).status_code == 404


def test_department_list(client, catalogue):
    response = client.get(reverse("web:departments"))
    assert {d.name for d in response.context["page_obj"]} == {"广安区公安分局", "西湖区市场监管局"}


def test_region_pages(client, catalogue):
    index = client.get(reverse("web:regions"))
    assert {r.code for r in index.context["provinces"]} == {"51", "33"}
    province = client.get(reverse("web:region", args=["51"]))
    assert province.status_code == 200
    assert [r.code for r in province.context["children"]] == ["5116"]
    assert {i.name for i in province.context["page_obj"]} == {"居民身份证补领", "食品经营许可"}
    county = client.get(reverse("web:region", args=["511602000000"]))  # the 12-digit form names the county
    assert county.context["region"].code == "511602"
    assert [a.code for a in county.context["ancestors"]] == ["51", "5116"]
    assert "设为我的区划" in county.content.decode()


@pytest.mark.parametrize("code", ["999999", "abc", "5"])
def test_unknown_region_is_404(client, catalogue, code):
    assert client.get(reverse("web:region", args=[code])).status_code == 404


def test_life_event_page_shows_published_items_only(client, catalogue):
    response = client.get(reverse("web:life_event", args=["chusheng"]))
    assert response.status_code == 200
    assert [i.name for i in response.context["items"]] == ["居民身份证补领", "食品经营许可"]
    assert client.get(reverse("web:life_event", args=["no-such-event"])).status_code == 404


@pytest.mark.parametrize("page", ["abc", "-3", "0", "999", "1e9", ""])
def test_bad_page_numbers_give_a_valid_page(client, catalogue, page):
    response = client.get(reverse("web:departments"), {"page": page})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1
    response = client.get(reverse("web:theme", args=["person", "zhengjianbanli"]), {"page": page})
    assert response.status_code == 200


def test_pagination_links_keep_other_parameters(client, catalogue, settings):
    from tests.factories import PublishedItemFactory

    for n in range(25):
        PublishedItemFactory(
            name=f"分页事项{n}", department=catalogue.department, themes=[catalogue.person_theme]
        )
    response = client.get(reverse("web:theme", args=["person", "zhengjianbanli"]), {"page": "2", "x": "1"})
    assert response.context["page_obj"].number == 2
    assert len(response.context["page_obj"]) == 6
    html = response.content.decode()
    assert "?page=1&amp;x=1" in html or "?x=1&amp;page=1" in html
    last = client.get(reverse("web:theme", args=["person", "zhengjianbanli"]), {"page": "50"})
    assert last.context["page_obj"].number == 2


def test_every_page_has_skip_link_landmarks_and_preferences(client, catalogue):
    for url in [
        reverse("web:home"),
        reverse("web:search"),
        reverse("web:item", args=[catalogue.guide_item.code]),
        reverse("web:department", args=[catalogue.department.pk]),
        reverse("web:region_choose"),
    ]:
        html = client.get(url).content.decode()
        assert 'class="skip-link" href="#main"' in html, url
        assert '<main id="main"' in html, url
        assert "<header" in html and "<footer" in html and "<nav" in html, url
        assert reverse("web:set_elderly") in html, url
        assert reverse("set_language") in html, url
        assert 'lang="zh-Hans"' in html, url


def test_scripts_carry_the_csp_nonce_and_no_inline_script(client, catalogue):
    response = client.get(reverse("web:home"))
    policy = response.headers["Content-Security-Policy"]
    html = response.content.decode()
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert html.count("<script") == 2
    assert html.count(f'nonce="{nonce}"') == 2
    assert "htmx.min.js" in html
    assert "<style" not in html and "style=" not in html
