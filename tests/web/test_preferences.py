"""Preferences remembered in cookies: region, elderly mode, language."""

import pytest
from django.urls import reverse

from tongban.web.middleware import ELDERLY_COOKIE, REGION_COOKIE

pytestmark = pytest.mark.django_db


def test_elderly_mode_on_and_off(client, catalogue):
    response = client.post(reverse("web:set_elderly"), {"elderly": "1", "next": "/search/?q=x"})
    assert response.status_code == 302
    assert response.url == "/search/?q=x"
    cookie = response.cookies[ELDERLY_COOKIE]
    assert cookie.value == "1"
    assert cookie["max-age"] >= 30 * 24 * 3600
    assert cookie["httponly"]
    html = client.get(reverse("web:home")).content.decode()
    assert '<html lang="zh-Hans" class="elderly">' in html
    assert "退出长辈版" in html
    response = client.post(reverse("web:set_elderly"), {"elderly": "0", "next": "/"})
    assert response.cookies[ELDERLY_COOKIE].value == ""
    html = client.get(reverse("web:home")).content.decode()
    assert 'class="elderly"' not in html
    assert "长辈版" in html


def test_preference_forms_refuse_get_and_foreign_redirects(client, catalogue):
    assert client.get(reverse("web:set_elderly")).status_code == 405
    assert client.get(reverse("web:set_region")).status_code == 405
    response = client.post(reverse("web:set_elderly"), {"elderly": "1", "next": "https://evil.example/"})
    assert response.url == "/"
    response = client.post(reverse("web:set_region"), {"region": "511602", "next": "//evil.example/x"})
    assert response.url == "/"


def test_preference_forms_need_csrf(catalogue):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("web:set_elderly"), {"elderly": "1"}).status_code == 403


def test_region_chosen_from_region_page(client, catalogue):
    response = client.post(reverse("web:set_region"), {"region": "511602000000", "next": "/regions/511602/"})
    assert response.status_code == 302
    assert response.cookies[REGION_COOKIE].value == "511602"
    html = client.get(reverse("web:region", args=["511602"])).content.decode()
    assert "这是您当前的区划" in html


def test_region_chosen_with_selects(client, catalogue):
    response = client.post(
        reverse("web:set_region"), {"province": "51", "city": "5116", "county": "511602", "action": "save"}
    )
    assert response.cookies[REGION_COOKIE].value == "511602"
    # A county left over from another province is dropped: the deepest consistent level wins.
    response = client.post(
        reverse("web:set_region"), {"province": "33", "city": "5116", "county": "511602", "action": "save"}
    )
    assert response.cookies[REGION_COOKIE].value == "33"


def test_unknown_region_is_not_remembered(client, catalogue):
    response = client.post(reverse("web:set_region"), {"region": "999999"})
    assert response.cookies[REGION_COOKIE].value == ""
    response = client.post(reverse("web:set_region"), {"region": "<script>"})
    assert response.cookies[REGION_COOKIE].value == ""


def test_clear_region(client, catalogue):
    client.cookies[REGION_COOKIE] = "511602"
    response = client.post(reverse("web:set_region"), {"action": "clear", "county": "511602"})
    assert response.cookies[REGION_COOKIE].value == ""


def test_region_switcher_without_javascript(client, catalogue):
    page = client.get(reverse("web:region_choose"), {"next": "/search/"})
    assert page.status_code == 200
    assert [r.code for r in page.context["provinces"]] == ["33", "51"]
    assert page.context["cities"] == []
    # "Show the next level" posts the form and is redirected to the GET form with the choice so far.
    response = client.post(
        reverse("web:set_region"),
        {"province": "51", "city": "", "county": "", "action": "refresh", "next": "/search/"},
    )
    assert response.status_code == 302
    assert response.cookies.get(REGION_COOKIE) is None
    page = client.get(response.url)
    assert [r.code for r in page.context["cities"]] == ["5116"]
    assert page.context["levels"]["province"].code == "51"
    page = client.get(reverse("web:region_choose"), {"province": "51", "city": "5116", "next": "/search/"})
    assert [r.code for r in page.context["counties"]] == ["511602"]
    html = page.content.decode()
    assert 'value="/search/"' in html


def test_region_switcher_ignores_inconsistent_levels(client, catalogue):
    page = client.get(reverse("web:region_choose"), {"province": "33", "city": "5116"})
    assert page.context["levels"]["province"].code == "33"
    assert page.context["levels"]["city"] is None
    assert page.context["counties"] == []


def test_region_switcher_prefilled_from_cookie_and_htmx_fragment(client, catalogue):
    client.cookies[REGION_COOKIE] = "511602"
    page = client.get(reverse("web:region_choose"))
    assert [page.context["levels"][k].code for k in ("province", "city", "county")] == [
        "51",
        "5116",
        "511602",
    ]
    fragment = client.get(
        reverse("web:region_choose"), {"province": "51", "city": "5116"}, headers={"HX-Request": "true"}
    )
    html = fragment.content.decode()
    assert html.lstrip().startswith("<form")
    assert "<html" not in html
    assert "csrfmiddlewaretoken" in html


def test_header_shows_current_region(client, catalogue):
    html = client.get(reverse("web:home")).content.decode()
    assert "全国" in html
    client.cookies[REGION_COOKIE] = "511602"
    html = client.get(reverse("web:home")).content.decode()
    assert "<strong>广安区</strong>" in html


def test_chinese_first_whatever_the_browser_says(client, catalogue):
    html = client.get(reverse("web:home"), headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert 'lang="zh-Hans"' in html
    assert "热门服务" in html


def test_language_switch_to_english_and_back(client, catalogue):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en"' in html
    assert "Popular services" in html
    assert "Skip to main content" in html
    assert ">中文<" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "热门服务" in client.get(reverse("web:home")).content.decode()
