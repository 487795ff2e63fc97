"""The city supervisor (shi_jiancha) on the shipped demo: the 电子监察 home shows the open cards;
a red card (a case the demo left past its 法定期限) leads to the case; the supervisor issues 督办,
the department's 决定 staff answer it from their 督办待办, the supervisor accepts and the card
closes. Every page of ours is checked with axe and photographed at 1280 and 390 px
(screenshots/shipped/cards-*).
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

SUPERVISOR = "shi_jiancha"
ANSWERER = {"广安区人力资源和社会保障局": "rs_jueding", "广安区市场监督管理局": "sj_jueding"}


class TestCardsJourney:
    state: dict = {}

    def test_01_from_the_home_dashboard_to_a_red_carded_case(self, open_as):
        page = open_as(SUPERVISOR, "/staff/supervision/")
        cards = page.locator("section", has=page.get_by_role("heading", name="未办结的黄牌、红牌"))
        red = cards.get_by_role("link", name=re.compile(r"^红牌 · ")).first
        expect(red).to_be_visible()
        red.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("超期未办结")
        expect(page.get_by_text("督办期限")).to_be_visible()
        self.state["url"] = urlsplit(page.url).path
        department = page.locator("dt:has-text('承办部门') + dd").inner_text().strip()
        self.state["answerer"] = ANSWERER[department]
        number = page.locator("dt:has-text('办件') + dd").first.inner_text().strip()
        self.state["number"] = number
        look(page, "cards-01-red-card")
        page.get_by_role("link", name=number).click()
        expect(page).to_have_url(re.compile(rf"/staff/cases/{number}/"))
        expect(page.get_by_text("亮红牌").first).to_be_attached()

    def test_02_the_supervisor_issues_duban(self, open_as):
        page = open_as(SUPERVISOR, self.state["url"])
        page.get_by_label("答复时限（工作日，1–30）").fill("0")
        page.get_by_label("督办要求").fill("该件已超过法定期限，请三个工作日内办结并说明超期原因。")
        page.get_by_role("button", name="督办").click()
        expect(page.get_by_role("alert")).to_contain_text("答复时限应为 1 至 30 之间的工作日数")
        look(page, "cards-02-duban-refused")
        page.get_by_label("答复时限（工作日，1–30）").fill("3")
        page.get_by_role("button", name="督办").click()
        expect(page.locator(".cards-messages")).to_contain_text("已督办")
        expect(page.get_by_text("督办中")).to_be_visible()
        look(page, "cards-03-duban-issued")
        listing = open_as(SUPERVISOR, "/staff/cards/")
        expect(listing.get_by_role("link", name=self.state["number"]).first).to_be_visible()
        look(listing, "cards-04-list")

    def test_03_the_department_answers_from_its_inbox(self, open_as):
        page = open_as(self.state["answerer"], "/staff/")
        page.get_by_role("link", name=re.compile("督办待办")).click()
        expect(page.get_by_role("heading", level=1, name="督办待办")).to_be_visible()
        look(page, "cards-05-inbox")
        page.get_by_role("link", name=self.state["number"]).first.click()
        page.get_by_label("整改措施").fill(
            "已指定专人当日完成审查并作出决定，超期原因为材料核查等待外单位回函，已建立催办台账。"
        )
        page.get_by_role("button", name="提交答复").click()
        expect(page.locator(".cards-messages")).to_contain_text("已答复督办")
        look(page, "cards-06-answered")

    def test_04_the_supervisor_accepts_and_the_card_closes(self, open_as):
        page = open_as(SUPERVISOR, self.state["url"])
        expect(page.get_by_text("已指定专人当日完成审查")).to_be_visible()
        page.get_by_role("button", name="认可并办结").click()
        expect(page.locator(".cards-messages")).to_contain_text("该牌已办结")
        expect(page.locator("dt:has-text('状态') + dd").last).to_contain_text("已办结")
        look(page, "cards-07-closed")
