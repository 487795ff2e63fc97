"""张晓明 (13800000001) on the shipped demo applies for a charging item (社会保障卡补领、换领、换发,
工本费 20 元), rs_shouli 受理 it, the case waits at 缴费; he pays through the sandbox Alipay
channel that ``tongban serve`` starts (its cashier page, its signed return and notification),
the case continues by itself to 办结, and the 非税收入电子票据 is in his wallet. Every Tongban page
is checked with axe and photographed at 1280 and 390 px (screenshots/shipped/payments-*).
"""

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.shipped.conftest import (
    GROUP,
    fill_address,
    fill_form,
    look,
    next_step,
    staff_act,
    upload_required_materials,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(GROUP)]

CITIZEN = "13800000001"
ITEM = "社会保障卡补领、换领、换发"


class TestPaymentJourney:
    state: dict = {}

    def test_01_applies_for_a_charging_item(self, open_as, shipped):
        page = open_as(CITIZEN)
        # Searched within 广安区 (the other counties offer the same service).
        page.goto(f"{shipped.url}/search/?{urlencode({'q': ITEM, 'region': '511602'})}")
        page.locator(".item-list").get_by_role("link", name=ITEM).first.click()
        expect(page.get_by_role("heading", level=1, name=ITEM)).to_be_visible()
        expect(page.get_by_text("社会保障卡工本费").first).to_be_visible()
        look(page, "payments-01-guide")
        page.get_by_role("link", name="在线办理").first.click()
        page.get_by_role("button", name="我已阅读，开始填写").click()
        for _ in range(8):
            fill_address(page, "建设路 8 号 3 单元 201")
            fill_form(page, {"申请事项": "社会保障卡遗失补领"})
            next_step(page)
            if page.get_by_role("heading", name="请修改以下内容").count():
                pytest.fail(f"form refused: {page.locator('main').inner_text()[:600]}")
            if page.get_by_role("heading", name="上传申请材料").count():
                break
        upload_required_materials(page, "补领材料")
        page.get_by_role("link", name="下一步：核对申请").click()
        page.get_by_role("button", name="确认提交").click()
        expect(page.get_by_role("heading", name="申请已提交")).to_be_visible()
        self.state["number"] = page.locator(".case-number").inner_text().strip()

    def test_02_the_window_accepts_and_the_case_waits_for_payment(self, open_as):
        number = self.state["number"]
        page = open_as("rs_shouli", f"/staff/cases/{number}/")
        if page.get_by_role("button", name=re.compile(r"^认领")).count():
            page.get_by_role("button", name=re.compile(r"^认领")).first.click()
        staff_act(page, "accept")
        expect(page.get_by_text("待缴费").first).to_be_visible()

    def test_03_pays_through_the_sandbox_and_the_case_goes_on(self, open_as):
        number = self.state["number"]
        page = open_as(CITIZEN, f"/my/cases/{number}/")
        expect(page.get_by_role("heading", name="需要您缴费")).to_be_visible()
        look(page, "payments-02-case-waits")
        page.get_by_role("link", name="去缴费").click()
        expect(page.get_by_role("heading", level=1, name="缴款通知")).to_be_visible()
        code = page.locator(".pay-code").first.inner_text().strip()
        assert re.fullmatch(r"\d{20}", code), code
        expect(page.get_by_text("20.00 元").first).to_be_visible()
        look(page, "payments-03-notice")
        page.get_by_role("button", name="支付宝支付").click()
        page.get_by_role("link", name="前往支付宝收银台付款").click()
        expect(page.get_by_role("heading", name=re.compile("支付宝收银台"))).to_be_visible()
        page.get_by_role("button", name="确认付款").click()
        expect(page.get_by_role("heading", level=1, name="缴款通知")).to_be_visible()
        expect(page.get_by_text("已缴费，办件已自动进入下一环节。")).to_be_visible()
        look(page, "payments-04-paid")
        page.get_by_role("link", name=number).click()
        expect(page.get_by_text("已办结").first).to_be_visible()
        look(page, "payments-05-case-concluded")

    def test_04_the_receipt_is_in_the_wallet(self, open_as):
        page = open_as(CITIZEN, "/my/certificates/")
        for _ in range(20):  # the worker issues it right after the payment commits
            if page.get_by_role("link", name="非税收入电子票据").count():
                break
            page.wait_for_timeout(1000)
            page.reload()
        page.get_by_role("link", name="非税收入电子票据").first.click()
        expect(page.get_by_text("20.00").first).to_be_visible()
        look(page, "payments-06-receipt")
