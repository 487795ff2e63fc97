"""A visitor's journey in a real browser: home → search → guide, in normal and elderly mode.

Each page is checked with axe (zero serious or critical violations) and photographed into
``tests/e2e/screenshots/`` (normal, elderly and 390 px mobile width).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible
from tests.web.catalogue import build_catalogue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def assert_no_console_errors(page) -> None:
    assert page.console_problems == []


def journey(page, base_url: str, screenshot, mode: str) -> None:
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="热门服务")).to_be_visible()
    assert_accessible(page, f"home ({mode})")
    screenshot(page, f"home-{mode}")

    box = page.get_by_role("searchbox", name="搜索办事服务")
    box.fill("身份证")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    expect(page.get_by_role("heading", name=re.compile("找到 1 项服务"))).to_be_visible()
    expect(page.locator(".item-list mark").first).to_be_visible()
    assert_accessible(page, f"search results ({mode})")
    screenshot(page, f"search-{mode}")

    page.get_by_role("link", name="居民身份证补领").click()
    expect(page.get_by_role("heading", level=1, name="居民身份证补领")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("二维码"))).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(2)
    assert_accessible(page, f"guide ({mode})")
    screenshot(page, f"guide-{mode}")
    assert_no_console_errors(page)


def test_home_search_guide_normal_and_elderly(live_server, page, screenshot):
    build_catalogue()
    journey(page, live_server.url, screenshot, "normal")

    # Elderly mode is one button away on every page, and stays on.
    page.get_by_role("button", name="长辈版").click()
    expect(page.locator("html")).to_have_class("elderly")
    expect(page.get_by_role("heading", level=1, name="居民身份证补领")).to_be_visible()
    metrics = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('main p')); "
        "return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; }"
    )
    font_size, line_height = metrics
    assert font_size >= 19
    assert line_height / font_size >= 1.3
    journey(page, live_server.url, screenshot, "elderly")
    # No pop-ups in elderly mode: typing does not open suggestions.
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox", name="搜索办事服务").press_sequentially("身份", delay=30)
    page.wait_for_timeout(600)
    expect(page.locator(".suggestion-list")).to_have_count(0)
    page.get_by_role("button", name="退出长辈版").click()
    expect(page.locator("html")).not_to_have_class("elderly")


def test_suggestions_as_you_type(live_server, page):
    build_catalogue()
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox", name="搜索办事服务").press_sequentially("身份", delay=40)
    suggestion = page.locator("#q-suggestions").get_by_role("link", name=re.compile("居民身份证补领"))
    expect(suggestion).to_be_visible()
    assert_accessible(page, "home with suggestions")
    suggestion.click()
    expect(page.get_by_role("heading", level=1, name="居民身份证补领")).to_be_visible()
    assert_no_console_errors(page)


def test_mobile_width(live_server, browser, screenshot):
    build_catalogue()
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    page = context.new_page()
    try:
        for path, name in [("/", "home"), ("/search/?q=身份证", "search")]:
            page.goto(live_server.url + path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"{name} scrolls sideways at 390 px ({width})"
            screenshot(page, f"{name}-mobile")
        page.get_by_role("link", name="居民身份证补领").click()
        expect(page.get_by_role("heading", level=1, name="居民身份证补领")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert_accessible(page, "guide (mobile)")
        screenshot(page, "guide-mobile")
    finally:
        context.close()


def test_region_switcher_with_and_without_javascript(live_server, browser, screenshot):
    build_catalogue()
    for javascript in (True, False):
        context = browser.new_context(locale="zh-CN", java_script_enabled=javascript)
        page = context.new_page()
        try:
            page.goto(live_server.url + "/")
            page.get_by_role("link", name="切换区划").click()
            page.get_by_label("省（自治区、直辖市）").select_option("51")
            if not javascript:
                page.get_by_role("button", name="显示下级区划").click()
            city = page.get_by_label("市（地区、州）")
            expect(city).to_be_enabled()
            city.select_option("5116")
            if not javascript:
                page.get_by_role("button", name="显示下级区划").click()
            county = page.get_by_label("县（区、市）")
            expect(county).to_be_enabled()
            county.select_option("511602")
            if javascript:
                assert_accessible(page, "region switcher")
                screenshot(page, "region-switcher")
            page.get_by_role("button", name="确定").click()
            expect(page.locator(".current-region strong")).to_have_text("广安区")
            cookies = {c["name"]: c["value"] for c in context.cookies()}
            assert cookies["tb_region"] == "511602"
            expect(page.get_by_text("食品生产许可")).to_have_count(0)
        finally:
            context.close()


def test_pages_work_without_javascript(live_server, browser, screenshot):
    build_catalogue()
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.get_by_role("searchbox", name="搜索办事服务").fill("身份证")
        page.get_by_role("button", name="搜索", exact=True).click()
        page.get_by_role("link", name="居民身份证补领").click()
        expect(page.get_by_role("heading", level=1, name="居民身份证补领")).to_be_visible()
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", name="Service guide")).to_have_count(0)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_text("Legal basis").first).to_be_visible()
        screenshot(page, "guide-english")
    finally:
        context.close()
