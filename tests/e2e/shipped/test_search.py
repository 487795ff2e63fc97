"""Search on the shipped demo learns from use: a visitor finds services in everyday words, a
query nobody's words explain gets the fallback (themes, 12345) instead of an empty list, the
catalogue admin (rs_shixiang) finds that query in 检索词分析 and adds it as a synonym, and the
next search finds the item."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

EVERYDAY = {
    "申请低保": re.compile("最低生活保障"),
    "养狗要办证吗": re.compile("犬"),
    "身份证丢了": re.compile("身份证"),
    "开饭店要办什么证": re.compile("食品.*经营"),
}
NONSENSE = "魃魈魍魉"  # words no dictionary explains: nothing matches until an admin says what they mean
TARGET = "最低生活保障"
LOG_WAIT_SECONDS = 30  # the server writes its search counts every few seconds (search_log)


def results(page):
    return page.locator("section.results ol.item-list > li")


class TestSearchLearnsFromUse:
    def test_a_visitor_finds_services_in_everyday_words(self, open_as, shipped):
        page = open_as(None)
        for query, expected in EVERYDAY.items():
            page.goto(shipped.url + "/")
            box = page.get_by_role("search").get_by_role("searchbox").first
            box.fill(query)
            box.press("Enter")
            expect(page.get_by_role("heading", name=re.compile(r"找到 \d+ 项服务"))).to_be_visible()
            expect(results(page).first).to_contain_text(expected)
        look(page, "search-everyday")
        first = results(page).first.get_by_role("link").first
        name = first.inner_text()
        first.click()
        expect(page).to_have_url(re.compile(r"/items/"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)

    def test_a_query_that_matches_nothing_offers_themes_and_12345(self, open_as, shipped):
        page = open_as(None, "/search/?q=" + NONSENSE)
        expect(page.get_by_role("heading", name="没有找到相符的服务")).to_be_visible()
        expect(page.get_by_role("heading", name="按主题查找")).to_be_visible()
        main = page.locator("main")
        expect(main.get_by_role("link", name="社会保障").first).to_be_visible()
        expect(main.get_by_role("link", name="12345")).to_have_attribute("href", "tel:12345")
        look(page, "search-nothing-found")

    def test_the_catalogue_admin_adds_the_query_as_a_synonym(self, open_as, shipped):
        page = open_as("rs_shixiang")
        page.get_by_role("link", name=re.compile("检索词分析")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("检索词分析")
        row = page.locator("li.search-query", has_text=NONSENSE)
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while not row.count() and time.monotonic() < deadline:
            time.sleep(2)
            page.reload()
        expect(row).to_be_visible()
        look(page, "search-queries")
        row.get_by_role("link", name=re.compile("加为同义词")).click()
        expect(page.get_by_label(re.compile("^群众说法"))).to_have_value(NONSENSE)
        page.get_by_label(re.compile("^对应规范用语")).fill("魍魉魑魅")
        page.get_by_role("button", name="保存同义词").click()
        expect(page.get_by_role("alert")).to_contain_text("在已发布的事项中找不到")
        look(page, "search-synonym-refused")
        page.get_by_label(re.compile("^对应规范用语")).fill("最低生活保障")
        page.get_by_role("button", name="保存同义词").click()
        expect(page.get_by_text(re.compile("已保存同义词"))).to_be_visible()
        expect(page.locator("li.search-query", has_text=NONSENSE)).to_have_count(0)
        look(page, "search-queries-after")

    def test_the_next_search_finds_the_item(self, open_as, shipped):
        page = open_as(None, "/search/?q=" + NONSENSE)
        expect(page.get_by_role("heading", name=re.compile(r"找到 \d+ 项服务"))).to_be_visible()
        expect(results(page).first).to_contain_text(TARGET)
        look(page, "search-learned")
