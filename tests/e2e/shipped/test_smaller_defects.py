"""Issue 10's smaller defects on the shipped demo: the legal representative 李建国 authorises an
agent on a page with the date first and a searchable, grouped item list; 张晓明's first form
step has his registered address filled in and goes on without an error; the guide's QR code
points at the address the demo is served on.

Every page is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/defects-*).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import GROUP, look, next_step

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

LEGAL_REP = "13800000002"
CITIZEN = "13800000001"
ENTERPRISE = "广安市鑫源商贸有限公司"
ITEM = "失业保险金申领"


def test_authorisation_page_date_first_grouped_and_searchable(open_as):
    page = open_as(LEGAL_REP, "/account/")
    page.get_by_role("link", name=re.compile(ENTERPRISE)).first.click()
    expect(page.get_by_role("heading", level=1, name=ENTERPRISE)).to_be_visible()
    date_box = page.get_by_label("授权截止日期").bounding_box()
    first_group = page.locator("details.item-group").first.bounding_box()
    assert date_box["y"] < first_group["y"]  # the required date is not hidden below the list
    assert page.locator("details.item-group").count() > 1
    look(page, "defects-01-authorise-agent")
    page.get_by_label("搜索事项（名称、实施编码或部门）").fill("食品经营许可")
    page.get_by_role("button", name="筛选事项").click()
    expect(page.get_by_text(re.compile(r"与“食品经营许可”相符的事项 \d+ 项"))).to_be_visible()
    labels = page.locator(".item-choices label")
    assert labels.count() >= 1
    expect(labels.first).to_contain_text("食品经营许可")
    expect(labels.first).to_contain_text("实施编码")
    look(page, "defects-02-authorise-agent-search")


def test_first_step_has_the_registered_address_and_goes_on(open_as):
    page = open_as(CITIZEN)
    box = page.get_by_role("searchbox", name="搜索办事服务")
    box.fill(ITEM)
    box.press("Enter")
    page.locator(".item-list li").first.get_by_role("link", name=re.compile(ITEM)).first.click()
    qr_url = page.locator(".qr-url").first.inner_text().strip()
    served = page.url.split("/items/")[0]
    assert qr_url.startswith(served + "/items/"), (qr_url, served)  # the port served on, not 8000
    page.get_by_role("link", name="在线办理").first.click()
    page.get_by_role("button", name="我已阅读，开始填写").click()
    street = page.get_by_label("详细地址")
    if street.count():
        expect(street).not_to_have_value("")
        expect(page.get_by_text("已按登记信息预先填写")).to_be_visible()
    look(page, "defects-03-form-step-address")
    next_step(page)
    expect(page.get_by_role("heading", name="请修改以下内容")).to_have_count(0)
